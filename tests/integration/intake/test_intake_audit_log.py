"""Every read of a client's personal data is in the access log — who, from which
organisation, when, which case and why — and the coordinator reads the log without ever
seeing the data that was read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.intake.support import Intakes, intake_body, new_member, token

pytestmark = pytest.mark.infra
COORDINATOR = token("coordinator", "region")


async def log_of(intakes: Intakes, **params: str) -> list[dict]:
    r = await intakes.http.get(f"{intakes.url}/audit", params=params, headers=COORDINATOR)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_each_read_of_personal_data_is_logged_with_who_when_and_why(
    intakes: Intakes,
) -> None:
    member = new_member()
    body = intake_body()
    intake = await intakes.open(member, body)
    case_id = intake["case_id"]
    started = datetime.now(UTC) - timedelta(seconds=5)
    url = f"{intakes.url}/intakes/{case_id}"

    r = await intakes.http.get(url, params={"reason": "preparing the housing interview"},
                               headers=token("caseworker", member, sub="anna@" + member))
    assert r.status_code == 200 and r.json()["client"]["name"] == body["client"]["name"]
    assert r.json()["file"]["notes"] == body["notes"]
    r = await intakes.http.get(url, headers={**token("caseworker", member, sub="ben@" + member),
                                             "X-Access-Reason": "phone call with the client"})
    assert r.status_code == 200
    await intakes.http.get(url, headers=token("caseworker", member, sub="anna@" + member))

    entries = await log_of(intakes, case_id=case_id)
    assert [(e["reader"], e["reason"]) for e in reversed(entries)] == [
        (f"anna@{member}", "preparing the housing interview"),
        (f"ben@{member}", "phone call with the client"),
        (f"anna@{member}", "case work"),
    ]
    for entry in entries:
        assert entry["role"] == "caseworker" and entry["org"] == member
        assert entry["member_id"] == member and entry["case_id"] == case_id
        read_at = datetime.fromisoformat(entry["read_at"])
        assert started <= read_at <= datetime.now(UTC) + timedelta(seconds=5)
    raw = str(entries)
    for value in (*[str(v) for v in body["client"].values() if v], body["notes"]):
        assert value not in raw

    by_reader = await log_of(intakes, reader=f"ben@{member}")
    assert [e["case_id"] for e in by_reader] == [case_id]
    assert len(await log_of(intakes, member_id=member)) == 3
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert await log_of(intakes, case_id=case_id, since=later) == []


async def test_reads_without_personal_data_are_not_logged(intakes: Intakes) -> None:
    member = new_member()
    intake = await intakes.open(member)
    url = f"{intakes.url}/intakes/{intake['case_id']}"
    assert (await intakes.http.get(url, headers=COORDINATOR)).status_code == 200
    assert (await intakes.http.get(url, headers=token("caseworker", new_member()))).status_code \
        == 404
    assert (await intakes.http.get(f"{intakes.url}/intakes",
                                   headers=token("caseworker", member))).status_code == 200
    r = await intakes.http.get(url, params={"reason": "   "},
                               headers=token("caseworker", member))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "reason"
    assert await log_of(intakes, case_id=intake["case_id"]) == []


async def test_the_access_log_is_for_the_coordinator_only(intakes: Intakes) -> None:
    member = new_member()
    r = await intakes.http.get(f"{intakes.url}/audit", headers=token("caseworker", member))
    assert r.status_code == 403
    r = await intakes.http.get(f"{intakes.url}/audit", params={"since": "yesterday"},
                               headers=COORDINATOR)
    assert r.status_code == 422
