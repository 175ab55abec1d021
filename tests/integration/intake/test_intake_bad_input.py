"""Bad input over HTTP: every field error at once in the API's names, nothing echoed, nothing
half-written; and a second intake for a client with an open case."""

from __future__ import annotations

import asyncio

import pytest

from shared.topics import events_topic
from tests.integration.intake.support import (
    PERSONAL_VALUES,
    Intakes,
    intake_body,
    new_member,
    token,
)
from tests.support.kafka import envelope_of, find_records

pytestmark = pytest.mark.infra


async def test_every_invalid_field_is_named_and_nothing_is_stored(intakes: Intakes) -> None:
    member = new_member()
    body = intake_body()
    wrong_bsn = body["client"]["bsn"][:-1] + str((int(body["client"]["bsn"][-1]) + 1) % 10)
    PERSONAL_VALUES.add(wrong_bsn)
    bad = {
        **body,
        "client": {**body["client"], "bsn": wrong_bsn, "phone": "12"},
        "household": {"adults": 0, "children": 2},
        "preferred_municipalities": ["Amsterdam"],
        "ready_from": "2020-01-01",
        "consent": False,
        "risks": [{"category": "addiction", "mitigation": " "}],
        "max_rent": "950.00",
    }
    r = await intakes.http.post(f"{intakes.url}/intakes", json=bad,
                                headers=token("caseworker", member))
    assert r.status_code == 422
    problems = {item["field"]: item["message"] for item in r.json()["detail"]}
    assert set(problems) == {
        "client.bsn", "client.phone", "household.adults", "preferred_municipalities[0]",
        "ready_from", "consent", "risks[0].mitigation", "risks[0].carried_by", "max_rent",
    }
    assert "11-check" in problems["client.bsn"]
    assert "children" in problems["household.adults"]
    assert "past" in problems["ready_from"]
    assert "EUR 900.07" in problems["max_rent"]
    for value in (wrong_bsn, body["client"]["name"], body["client"]["date_of_birth"],
                  "Amsterdam", "2020-01-01", "950"):
        assert value not in r.text

    r = await intakes.http.get(f"{intakes.url}/intakes", headers=token("caseworker", member))
    assert r.json() == []


async def test_a_body_of_the_wrong_shape_names_the_fields(intakes: Intakes) -> None:
    body = intake_body()
    r = await intakes.http.post(f"{intakes.url}/intakes", headers=token("caseworker", "m1"),
                                json={**body, "monthly_income": "a lot", "urgency": "asap",
                                      "risks": [{"category": "gambling"}], "shoe_size": 44})
    assert r.status_code == 422
    fields = {item["field"] for item in r.json()["detail"]}
    assert fields == {"monthly_income", "urgency", "risks[0].category", "shoe_size"}


async def test_a_refused_update_changes_nothing(intakes: Intakes) -> None:
    member = new_member()
    intake = await intakes.open(member)
    before = await intakes.get(member, intake["case_id"])
    r = await intakes.http.patch(
        f"{intakes.url}/intakes/{intake['case_id']}", headers=token("caseworker", member),
        json={"monthly_income": "1999.00", "client": {"email": "not-an-address"},
              "excluded_municipalities": ["Utrecht"]})
    assert r.status_code == 422
    assert {i["field"] for i in r.json()["detail"]} == {
        "client.email", "excluded_municipalities[0]"}
    after = await intakes.get(member, intake["case_id"])
    assert after["profile"] == before["profile"] and after["client"] == before["client"]
    updates = await find_records(
        intakes.bootstrap, events_topic("intake"),
        lambda rec: envelope_of(rec).get("case_id") == intake["case_id"]
        and envelope_of(rec).get("type") == "IntakeUpdated", seconds=2)
    assert updates == []


async def test_second_intake_at_the_same_member_points_at_the_open_case(
    intakes: Intakes,
) -> None:
    member = new_member()
    body = intake_body()
    first = await intakes.open(member, body)
    again = {**intake_body(), "client": {**body["client"], "client_number": "other-number"}}
    r = await intakes.http.post(f"{intakes.url}/intakes", json=again,
                                headers=token("caseworker", member))
    assert r.status_code == 409
    assert r.json()["open_case_id"] == first["case_id"]
    assert first["case_id"] in r.json()["detail"]


async def test_simultaneous_intakes_for_one_client_store_one_case_and_name_it_to_the_rest(
    intakes: Intakes,
) -> None:
    member = new_member()
    body = intake_body()
    tries = [{**body, "client": {**body["client"], "client_number": f"number-{i}"}}
             for i in range(8)]
    answers = await asyncio.gather(*(
        intakes.http.post(f"{intakes.url}/intakes", json=one,
                          headers=token("caseworker", member)) for one in tries))
    stored = [r.json()["case_id"] for r in answers if r.status_code == 201]
    assert len(stored) == 1, [r.status_code for r in answers]
    refused = [r for r in answers if r.status_code != 201]
    assert {r.status_code for r in refused} == {409}
    assert {r.json()["open_case_id"] for r in refused} == set(stored)
    r = await intakes.http.get(f"{intakes.url}/intakes", headers=token("caseworker", member))
    assert [case["case_id"] for case in r.json()] == stored


async def test_open_case_at_another_member_is_told_without_its_id(intakes: Intakes) -> None:
    body = intake_body()
    first = await intakes.open(new_member(), body)
    elsewhere = new_member()
    r = await intakes.http.post(f"{intakes.url}/intakes", json=body,
                                headers=token("caseworker", elsewhere))
    assert r.status_code == 409
    assert "another member organisation" in r.json()["detail"]
    assert "open_case_id" not in r.json() and first["case_id"] not in r.text
    r = await intakes.http.get(f"{intakes.url}/intakes", headers=token("caseworker", elsewhere))
    assert r.json() == []
    # The coordinator can find both sides by the pseudonymous reference.
    r = await intakes.http.get(f"{intakes.url}/intakes", params={"client_ref": first["client_ref"]},
                               headers=token("coordinator", "region"))
    assert [c["case_id"] for c in r.json()] == [first["case_id"]]


async def test_without_bsn_the_same_client_number_at_another_member_is_another_client(
    intakes: Intakes,
) -> None:
    body = intake_body(bsn=None)
    first = await intakes.open(new_member(), body)
    second = await intakes.open(new_member(), body)
    assert first["client_ref"] != second["client_ref"]
