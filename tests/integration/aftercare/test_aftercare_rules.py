"""Bad input is refused with a reason and leaves nothing behind; the werklijst order; the
extension; one trajectory per tenancy however often it is delivered."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import pytest

from services.aftercare.domain.schedule import add_months
from tests.integration.aftercare.harness import Aftercare, Tenancy, of_type, unique

pytestmark = pytest.mark.infra


async def _open(aftercare: Aftercare, member: str | None = None) -> Tenancy:
    today = await aftercare.today()
    return await aftercare.start_tenancy(aftercare.tenancy(
        member_id=member or unique("m"), corporation_id=unique("c"), start=today))


def _problem(r: object) -> tuple[int, str, str]:
    """(status, field, message) of a 422 in the shared error shape."""
    body = r.json()  # type: ignore[attr-defined]
    [first] = body["detail"]
    return r.status_code, first["field"], first["message"]  # type: ignore[attr-defined]


async def test_checkin_before_the_tenancy_start_or_in_the_future_is_refused(
    aftercare: Aftercare,
) -> None:
    tenancy = await _open(aftercare)
    today = await aftercare.today()

    r = await aftercare.check_in(tenancy, tenancy.start - timedelta(days=1))
    status, field, message = _problem(r)
    assert (status, field) == (422, "held_on") and "before the tenancy start" in message
    r = await aftercare.check_in(tenancy, today + timedelta(days=1))
    status, field, message = _problem(r)
    assert (status, field) == (422, "held_on") and "not happened yet" in message
    r = await aftercare.check_in(tenancy, today, scores={"debts": 6})
    assert r.status_code == 422 and _problem(r)[1] == "scores.debts"
    r = await aftercare.check_in(tenancy, today, scores={"hobbies": 3})
    assert r.status_code == 422
    r = await aftercare.check_in(tenancy, today, status="fine")
    assert r.status_code == 422 and _problem(r)[1] == "status"

    assert (await aftercare.detail(tenancy))["checkins"] == []
    assert not await aftercare.events(
        of_type("CheckInRecorded", trajectory_id=tenancy.trajectory_id), seconds=2)


async def test_signal_for_an_unknown_tenancy_is_refused_with_the_reason(
    aftercare: Aftercare,
) -> None:
    tenancy = await _open(aftercare)
    url = f"{aftercare.url}/signals"

    r = await aftercare.http.post(url, headers=tenancy.corporation,
                                  json={"kind": "nuisance", "home_id": str(uuid.uuid4())})
    status, field, message = _problem(r)
    assert (status, field) == (422, "home_id") and "no tenancy" in message
    r = await aftercare.http.post(url, headers=tenancy.corporation,
                                  json={"kind": "nuisance", "trajectory_id": str(uuid.uuid4())})
    assert _problem(r)[:2] == (422, "trajectory_id")
    r = await aftercare.http.post(url, headers=tenancy.corporation, json={
        "kind": "rent_arrears", "home_id": str(tenancy.home_id)})
    status, field, message = _problem(r)
    assert (status, field) == (422, "months_owed") and "months_owed" in message
    r = await aftercare.http.post(url, headers=tenancy.corporation, json={"kind": "nuisance"})
    assert r.status_code == 422 and "home_id" in r.text
    r = await aftercare.http.post(url, headers=tenancy.corporation, json={
        "kind": "flood", "home_id": str(tenancy.home_id)})
    assert _problem(r)[:2] == (422, "kind")

    assert (await aftercare.detail(tenancy))["signals"] == []


async def test_a_signal_in_the_first_dutch_hour_of_the_tenancy_is_taken(
    aftercare: Aftercare,
) -> None:
    """00:30 in Amsterdam is still the day before in UTC: the region's calendar decides
    whether a signal predates the tenancy (it was refused between 23:00 and 24:00 UTC)."""
    start = await aftercare.today() + timedelta(days=1)
    await aftercare.move_to(start, time(0, 30))
    tenancy = await aftercare.start_tenancy(aftercare.tenancy(
        member_id=unique("m"), corporation_id=unique("c"), start=start))
    r = await aftercare.http.post(f"{aftercare.url}/signals", headers=tenancy.corporation,
                                  json={"kind": "nuisance", "home_id": str(tenancy.home_id)})
    assert r.status_code == 201, r.text


async def test_outcome_not_in_the_list_is_refused_and_the_trajectory_stays_open(
    aftercare: Aftercare,
) -> None:
    tenancy = await _open(aftercare)
    url = f"{aftercare.url}/trajectories/{tenancy.trajectory_id}/complete"

    r = await aftercare.http.post(url, headers=tenancy.supporter, json={"outcome": "happy"})
    assert _problem(r)[:2] == (422, "outcome")
    assert (await aftercare.detail(tenancy))["status"] == "open"

    r = await aftercare.http.post(url, headers=tenancy.supporter, json={"outcome": "evicted"})
    assert r.status_code == 200 and r.json()["conversion_due_on"] is None
    r = await aftercare.http.post(url, headers=tenancy.supporter, json={"outcome": "stable"})
    assert r.status_code == 409
    assert (await aftercare.detail(tenancy))["outcome"] == "evicted"


async def test_extension_moves_the_end_and_continues_the_schedule(
    aftercare: Aftercare,
) -> None:
    tenancy = await _open(aftercare)
    url = f"{aftercare.url}/trajectories/{tenancy.trajectory_id}/extend"

    r = await aftercare.http.post(url, headers=tenancy.supporter,
                                  json={"months": 6, "reason": "   "})
    assert _problem(r)[:2] == (422, "reason")
    r = await aftercare.http.post(url, headers=tenancy.supporter,
                                  json={"months": 0, "reason": "schulden nog niet geregeld"})
    assert _problem(r)[:2] == (422, "months")
    r = await aftercare.http.post(url, headers=tenancy.supporter,
                                  json={"months": 6, "reason": "schulden nog niet geregeld"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["ends_on"]) == (
        "extended", add_months(tenancy.start, 18).isoformat())
    assert [d["month"] for d in body["schedule"]][-2:] == [15, 18]
    assert body["extensions"] == [{"months": 6, "granted_on": tenancy.start.isoformat(),
                                   "reason": "schulden nog niet geregeld"}]
    [extended] = await aftercare.events(
        of_type("AftercareExtended", trajectory_id=tenancy.trajectory_id))
    assert "reason" not in extended["data"]


async def test_werklijst_puts_signals_first_then_overdue_then_crisis(
    aftercare: Aftercare,
) -> None:
    member = unique("m")
    today = await aftercare.today()
    quiet = await _open(aftercare, member)
    crisis = await _open(aftercare, member)
    signalled = await _open(aftercare, member)
    late = await aftercare.start_tenancy(aftercare.tenancy(
        member_id=member, corporation_id=unique("c"), start=today - timedelta(days=60)))
    r = await aftercare.check_in(crisis, today, "crisis")
    assert r.status_code == 201
    r = await aftercare.http.post(f"{aftercare.url}/signals", headers=signalled.corporation,
                                  json={"kind": "nuisance", "home_id": str(signalled.home_id)})
    assert r.status_code == 201

    r = await aftercare.http.get(f"{aftercare.url}/trajectories", headers=quiet.supporter)
    order = [(t["trajectory_id"], t["attention"]) for t in r.json()]
    assert order == [
        (signalled.trajectory_id, "open_signal"),
        (late.trajectory_id, "overdue_checkin"),
        (crisis.trajectory_id, "crisis"),
        (quiet.trajectory_id, "on_track"),
    ]


async def test_tenancy_delivered_twice_opens_one_trajectory(aftercare: Aftercare) -> None:
    tenancy = await _open(aftercare)

    await aftercare.publish(aftercare.tenancy_started(tenancy), case_id=tenancy.case_id)
    await aftercare.publish(aftercare.tenancy_started(tenancy), case_id=tenancy.case_id)

    opened = await aftercare.events(
        of_type("TrajectoryOpened", client_ref=tenancy.client_ref), count=2, seconds=4)
    assert len(opened) == 1
    r = await aftercare.http.get(f"{aftercare.url}/trajectories", headers=tenancy.supporter)
    assert [t["case_id"] for t in r.json()] == [str(tenancy.case_id)]
