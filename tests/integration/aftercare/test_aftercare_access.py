"""Who sees what: supporters their own organisation's trajectories, corporations the signals
they raised, the coordinator dates, statuses and pseudonymous references only."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.aftercare.harness import Aftercare, Tenancy, auth, unique

pytestmark = pytest.mark.infra

NOTE = "Notitie-c0ffee: alleen voor de begeleider"
SIGNAL_TEXT = "Signaal-beef: huurachterstand na ontslag"


async def _tenancy_with_checkin_and_signal(aftercare: Aftercare) -> tuple[Tenancy, str]:
    today = await aftercare.today()
    tenancy = await aftercare.start_tenancy(
        aftercare.tenancy(member_id=unique("m"), corporation_id=unique("c"), start=today))
    r = await aftercare.check_in(tenancy, today, "attention", scores={"debts": 2},
                                 agreed_actions=["bel de schuldhulp"], private_notes=NOTE)
    assert r.status_code == 201, r.text
    r = await aftercare.http.post(f"{aftercare.url}/signals", headers=tenancy.corporation, json={
        "kind": "rent_arrears", "months_owed": 1, "trajectory_id": tenancy.trajectory_id,
        "description": SIGNAL_TEXT})
    assert r.status_code == 201, r.text
    return tenancy, r.json()["signal_id"]


async def test_supporter_never_sees_another_organisations_trajectory(
    aftercare: Aftercare,
) -> None:
    tenancy, signal_id = await _tenancy_with_checkin_and_signal(aftercare)
    http, url, stranger = aftercare.http, aftercare.url, auth("supporter", unique("m"))

    r = await http.get(f"{url}/trajectories", headers=stranger)
    assert r.status_code == 200
    assert tenancy.trajectory_id not in {t["trajectory_id"] for t in r.json()}
    for method, path, body in [
        ("GET", f"/trajectories/{tenancy.trajectory_id}", None),
        ("POST", f"/trajectories/{tenancy.trajectory_id}/checkins",
         {"held_on": tenancy.start.isoformat(), "status": "stable"}),
        ("POST", f"/trajectories/{tenancy.trajectory_id}/complete", {"outcome": "stable"}),
        ("POST", f"/trajectories/{tenancy.trajectory_id}/extend",
         {"months": 3, "reason": "nog niet stabiel"}),
        ("POST", f"/signals/{signal_id}/acknowledge", None),
    ]:
        r = await http.request(method, f"{url}{path}", json=body, headers=stranger)
        assert r.status_code == 404, (path, r.text)
    r = await http.get(f"{url}/signals", headers=stranger)
    assert signal_id not in {s["signal_id"] for s in r.json()}
    detail = await aftercare.detail(tenancy)
    assert len(detail["checkins"]) == 1 and detail["status"] == "open"
    assert detail["signals"][0]["picked_up"] is False


async def test_corporation_sees_only_the_signals_it_raised(aftercare: Aftercare) -> None:
    tenancy, signal_id = await _tenancy_with_checkin_and_signal(aftercare)
    http, url = aftercare.http, aftercare.url

    r = await http.get(f"{url}/signals", headers=tenancy.corporation)
    [own] = r.json()
    assert own["signal_id"] == signal_id and own["description"] == SIGNAL_TEXT
    r = await http.get(f"{url}/signals", headers=auth("corporation", unique("c")))
    assert r.status_code == 200 and r.json() == []
    # Another corporation cannot route a signal to this tenancy, by home or by trajectory.
    other = auth("corporation", unique("c"))
    for ref in ({"home_id": str(tenancy.home_id)}, {"trajectory_id": tenancy.trajectory_id}):
        r = await http.post(f"{url}/signals", headers=other, json={"kind": "nuisance", **ref})
        assert r.status_code == 422, r.text
    # A corporation reads no trajectories at all.
    r = await http.get(f"{url}/trajectories", headers=tenancy.corporation)
    assert r.status_code == 403


async def test_coordinator_sees_pseudonymous_references_but_no_notes_or_texts(
    aftercare: Aftercare,
) -> None:
    tenancy, _ = await _tenancy_with_checkin_and_signal(aftercare)
    coordinator = auth("coordinator", "region")

    r = await aftercare.http.get(f"{aftercare.url}/trajectories",
                                 params={"member_id": tenancy.member_id}, headers=coordinator)
    [listed] = r.json()
    assert listed["client_ref"] == tenancy.client_ref and listed["attention"] == "open_signal"
    r = await aftercare.http.get(f"{aftercare.url}/trajectories/{tenancy.trajectory_id}",
                                 headers=coordinator)
    assert r.status_code == 200
    [checkin] = r.json()["checkins"]
    assert checkin["status"] == "attention"
    assert (checkin["scores"], checkin["agreed_actions"], checkin["private_notes"]) == (
        None, None, None)
    assert r.json()["signals"][0]["description"] is None
    assert NOTE not in r.text and SIGNAL_TEXT not in r.text
    r = await aftercare.http.get(f"{aftercare.url}/signals", headers=coordinator)
    assert SIGNAL_TEXT not in r.text


async def test_only_the_supporting_organisation_records_and_closes(
    aftercare: Aftercare,
) -> None:
    tenancy, signal_id = await _tenancy_with_checkin_and_signal(aftercare)
    http, url, tid = aftercare.http, aftercare.url, tenancy.trajectory_id
    for headers in (auth("coordinator", "region"), tenancy.corporation,
                    auth("caseworker", tenancy.member_id)):
        r = await http.post(f"{url}/trajectories/{tid}/checkins", headers=headers,
                            json={"held_on": tenancy.start.isoformat(), "status": "stable"})
        assert r.status_code == 403
        r = await http.post(f"{url}/trajectories/{tid}/complete", headers=headers,
                            json={"outcome": "stable"})
        assert r.status_code == 403
        r = await http.post(f"{url}/signals/{signal_id}/acknowledge", headers=headers)
        assert r.status_code == 403
    r = await http.post(f"{url}/signals", headers=tenancy.supporter,
                        json={"kind": "nuisance", "trajectory_id": tid})
    assert r.status_code == 403
    r = await http.get(f"{url}/trajectories")
    assert r.status_code == 401
    r = await http.get(f"{url}/trajectories/{uuid.uuid4()}", headers=tenancy.supporter)
    assert r.status_code == 404
