"""Who may do what with a client file: every endpoint, for every role, for the case's own
member organisation and another one.

A caseworker of another member gets 404 (the case's existence does not leak); corporation
staff and supporters — even of the case's own member organisation — get 403; the coordinator
reads without personal data and changes nothing; no token is 401.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.events.matching import MatchProposed
from tests.integration.intake.support import Intakes, intake_body, new_member, token

pytestmark = pytest.mark.infra

CALLERS = ("nobody", "corporation", "supporter", "coordinator", "other_caseworker",
           "own_caseworker")


def headers(caller: str, member: str) -> dict[str, str]:
    return {
        "nobody": {},
        "corporation": token("corporation", member),  # even with the member's org id
        "supporter": token("supporter", member),  # ambulant support of the same member
        "coordinator": token("coordinator", "region"),
        "other_caseworker": token("caseworker", new_member()),
        "own_caseworker": token("caseworker", member),
    }[caller]


Call = Callable[[Intakes, str, dict[str, str]], Awaitable[Any]]


async def _proposed_case(intakes: Intakes, member: str) -> dict[str, Any]:
    intake = await intakes.open(member)
    now = datetime.now(UTC)
    await intakes.act_as(MatchProposed(
        match_id=uuid.uuid4(), home_id=uuid.uuid4(), client_ref=intake["client_ref"],
        member_id=member, corporation_id="c-test", municipality="Utrecht",
        contingent_year=2001, deadline=now, intake_submitted_at=now), intake["case_id"])
    await intakes.status_becomes(member, intake["case_id"], "proposed")
    return intake


# endpoint → (the case it needs, the request, expected status per caller)
ENDPOINTS: dict[str, tuple[str, Callable[[Intakes, str, dict[str, str]], Awaitable[Any]],
                           dict[str, int]]] = {
    "list intakes": ("submitted", lambda i, case, h: i.http.get(f"{i.url}/intakes", headers=h),
                     {"nobody": 401, "corporation": 403, "supporter": 403, "coordinator": 200,
                      "other_caseworker": 200, "own_caseworker": 200}),
    "read a case": ("submitted",
                    lambda i, case, h: i.http.get(f"{i.url}/intakes/{case}", headers=h),
                    {"nobody": 401, "corporation": 403, "supporter": 403, "coordinator": 200,
                     "other_caseworker": 404, "own_caseworker": 200}),
    "open an intake": ("none", lambda i, case, h: i.http.post(
        f"{i.url}/intakes", headers=h, json=intake_body()),
        {"nobody": 401, "corporation": 403, "supporter": 403, "coordinator": 403,
         "other_caseworker": 201, "own_caseworker": 201}),
    "update a case": ("submitted", lambda i, case, h: i.http.patch(
        f"{i.url}/intakes/{case}", headers=h, json={"urgency": "urgent"}),
        {"nobody": 401, "corporation": 403, "supporter": 403, "coordinator": 403,
         "other_caseworker": 404, "own_caseworker": 200}),
    "submit a draft": ("draft", lambda i, case, h: i.http.post(
        f"{i.url}/intakes/{case}/submit", headers=h),
        {"nobody": 401, "corporation": 403, "supporter": 403, "coordinator": 403,
         "other_caseworker": 404, "own_caseworker": 200}),
    "withdraw a case": ("submitted", lambda i, case, h: i.http.post(
        f"{i.url}/intakes/{case}/withdraw", headers=h, json={"reason": "client_request"}),
        {"nobody": 401, "corporation": 403, "supporter": 403, "coordinator": 403,
         "other_caseworker": 404, "own_caseworker": 200}),
    "record the client's answer": ("proposed", lambda i, case, h: i.http.post(
        f"{i.url}/intakes/{case}/client-response", headers=h, json={"response": "accept"}),
        {"nobody": 401, "corporation": 403, "supporter": 403, "coordinator": 403,
         "other_caseworker": 404, "own_caseworker": 200}),
    "read the access log": ("none", lambda i, case, h: i.http.get(f"{i.url}/audit", headers=h),
                            {"nobody": 401, "corporation": 403, "supporter": 403,
                             "coordinator": 200, "other_caseworker": 403,
                             "own_caseworker": 403}),
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_access_matrix(intakes: Intakes, endpoint: str) -> None:
    needs, call, expected = ENDPOINTS[endpoint]
    member = new_member()
    case_id = ""
    if needs == "proposed":
        case_id = (await _proposed_case(intakes, member))["case_id"]
    elif needs in ("submitted", "draft"):
        case_id = (await intakes.open(member, intake_body(submit=needs == "submitted")))["case_id"]
    before = await intakes.get(member, case_id) if case_id else None

    seen = {}
    for caller in CALLERS:  # the own caseworker last: it is the one allowed to change things
        if caller == "own_caseworker" and before is not None:
            after = await intakes.get(member, case_id)
            assert after["status"] == before["status"], "a refused caller changed the case"
            assert after["profile"] == before["profile"]
        response = await call(intakes, case_id, headers(caller, member))
        seen[caller] = response.status_code
        if response.status_code in (401, 403, 404):
            assert set(response.json()) == {"detail"}
    assert seen == expected


async def test_lists_show_only_what_the_caller_may_see(intakes: Intakes) -> None:
    member = new_member()
    mine = await intakes.open(member)
    r = await intakes.http.get(f"{intakes.url}/intakes", headers=token("caseworker", member),
                               params={"member_id": "someone-else"})
    assert [c["case_id"] for c in r.json()] == [mine["case_id"]]
    assert all(c["client"] is None and c["file"] is None for c in r.json())
    r = await intakes.http.get(f"{intakes.url}/intakes", headers=token("caseworker", new_member()))
    assert mine["case_id"] not in r.text
    r = await intakes.http.get(f"{intakes.url}/intakes", params={"member_id": member},
                               headers=token("coordinator", "region"))
    assert [c["case_id"] for c in r.json()] == [mine["case_id"]]


async def test_coordinator_sees_the_case_without_personal_data(intakes: Intakes) -> None:
    member = new_member()
    body = intake_body()
    intake = await intakes.open(member, body)
    r = await intakes.http.get(f"{intakes.url}/intakes/{intake['case_id']}",
                               headers=token("coordinator", "region"))
    assert r.status_code == 200
    case = r.json()
    assert case["client"] is None and case["file"] is None
    assert case["client_ref"] == intake["client_ref"] and case["profile"]["urgency"] == "high"
    for value in (*[str(v) for v in body["client"].values() if v], body["notes"],
                  body["support_provider"], body["risks"][0]["carried_by"]):
        assert value not in r.text
