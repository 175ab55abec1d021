"""A year of aftercare, for real: TenancyStarted on Kafka → check-ins over HTTP → a missed
check-in alerted → a signal escalated and picked up → closing with omklap due; business time
moved by the test, events read back from Kafka."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from services.aftercare.domain.schedule import add_months
from shared.events.common import Contract
from tests.integration.aftercare.harness import (
    Aftercare,
    Tenancy,
    metric_value,
    of_type,
    unique,
)
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra

NOTE = "Privenotitie-7f3a: cliënt vertelde over schulden bij de buurman"
ACTION = "Actie-91c2: samen naar de schuldhulpverlening"
SIGNAL_TEXT = "Signaaltekst-5d1e: buren klagen over geluid"


async def test_a_trajectory_runs_through_a_simulated_year(aftercare: Aftercare) -> None:
    http, url = aftercare.http, aftercare.url
    member, corp = unique("m"), unique("c")
    start = await aftercare.today()
    tenancy = await aftercare.start_tenancy(
        aftercare.tenancy(member_id=member, corporation_id=corp, start=start),
        Contract(type="intermediary", omklap_after_months=12),
    )
    tid = tenancy.trajectory_id
    due = {month: add_months(start, month) for month in (1, 2, 3, 6, 9, 12)}
    [opened] = await aftercare.events(of_type("TrajectoryOpened", trajectory_id=tid))
    assert opened["data"]["ends_on"] == due[12].isoformat()

    # Months 1 and 2 on time; scores, actions and notes are kept for the supporter.
    await aftercare.move_to(due[1])
    r = await aftercare.check_in(tenancy, due[1], "stable",
                                 scores={"rent_and_money": 4, "health": 3},
                                 agreed_actions=[ACTION], private_notes=NOTE)
    assert r.status_code == 201, r.text
    assert r.json()["fulfils_month"] == 1
    await aftercare.move_to(due[2])
    r = await aftercare.check_in(tenancy, due[2], "attention")
    assert r.status_code == 201 and r.json()["fulfils_month"] == 2, r.text
    [first] = (await aftercare.detail(tenancy))["checkins"][:1]
    assert (first["private_notes"], first["agreed_actions"]) == (NOTE, [ACTION])
    assert first["scores"] == {"rent_and_money": 4, "health": 3}

    # Month 3 is missed: on time through the grace days, then one alert.
    await aftercare.move_to(due[3] + timedelta(days=14))
    await asyncio.sleep(1.0)
    assert not await aftercare.events(
        of_type("CheckInOverdue", trajectory_id=tid, due_on=due[3].isoformat()), seconds=2)
    await aftercare.move_to(due[3] + timedelta(days=15))
    [overdue] = await aftercare.events(
        of_type("CheckInOverdue", trajectory_id=tid, due_on=due[3].isoformat()))
    assert overdue["data"]["member_id"] == member and overdue["data"]["month"] == 3

    async def overdue_gauge(expected: float) -> bool:
        text = await aftercare.metrics()
        return metric_value(text, "transferpunt_aftercare_checkins_overdue",
                            member_id=member) == expected

    await eventually(lambda: overdue_gauge(1), seconds=15)
    assert (await aftercare.listed(tenancy))["attention"] == "overdue_checkin"

    # Vroegsignalering: rent arrears, nobody picks it up for 5 days → the coordinator.
    r = await http.post(f"{url}/signals", headers=tenancy.corporation, json={
        "kind": "rent_arrears", "months_owed": 2, "home_id": str(tenancy.home_id),
        "description": SIGNAL_TEXT})
    assert r.status_code == 201, r.text
    signal_id = r.json()["signal_id"]
    assert r.json()["trajectory_id"] == tid and r.json()["status"] == "open"
    await aftercare.events(of_type("SignalRaised", signal_id=signal_id))
    assert await _corporation_sees(aftercare, tenancy, signal_id) == ("open", False)

    await aftercare.advance(timedelta(days=5))
    [escalated] = await aftercare.events(of_type("SignalEscalated", signal_id=signal_id))
    assert escalated["data"]["trajectory_id"] == tid
    assert await _corporation_sees(aftercare, tenancy, signal_id) == ("escalated", False)
    assert (await aftercare.listed(tenancy))["attention"] == "escalated_signal"

    r = await http.post(f"{url}/signals/{signal_id}/acknowledge", headers=tenancy.supporter)
    assert r.status_code == 200 and r.json()["picked_up"] is True, r.text
    assert await _corporation_sees(aftercare, tenancy, signal_id) == ("picked_up", True)

    # Several sweeps later, still one alert per missed due date and one escalation.
    await asyncio.sleep(1.5)
    alerts = await aftercare.events(
        of_type("CheckInOverdue", trajectory_id=tid, due_on=due[3].isoformat()),
        count=2, seconds=3)
    escalations = await aftercare.events(
        of_type("SignalEscalated", signal_id=signal_id), count=2, seconds=3)
    assert (len(alerts), len(escalations)) == (1, 1)

    # Month 6 brings the supporter back on schedule: month 3 is missed, nothing overdue.
    for month in (6, 9, 12):
        await aftercare.move_to(due[month])
        r = await aftercare.check_in(tenancy, due[month], "stable")
        assert r.status_code == 201 and r.json()["fulfils_month"] == month, r.text
    schedule = {d["month"]: d["status"] for d in (await aftercare.detail(tenancy))["schedule"]}
    assert schedule == {1: "fulfilled", 2: "fulfilled", 3: "missed", 6: "fulfilled",
                        9: "fulfilled", 12: "fulfilled"}
    await eventually(lambda: overdue_gauge(0), seconds=15)

    # Closing at the end of the year: stable, so the intermediary contract converts.
    r = await http.post(f"{url}/trajectories/{tid}/complete", headers=tenancy.supporter,
                        json={"outcome": "stable"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed"
    assert r.json()["conversion_due_on"] == due[12].isoformat()
    [completed] = await aftercare.events(of_type("AftercareCompleted", trajectory_id=tid))
    assert completed["data"]["outcome"] == "stable"
    assert completed["data"]["duration_days"] == (due[12] - start).days
    [conversion] = await aftercare.events(of_type("ContractConversionDue", trajectory_id=tid))
    assert conversion["data"]["home_id"] == str(tenancy.home_id)
    assert conversion["data"]["due_on"] == due[12].isoformat()
    text = await aftercare.metrics()
    assert metric_value(text, "transferpunt_aftercare_outcomes_total",
                        member_id=member, outcome="stable") == 1
    assert metric_value(text, "transferpunt_aftercare_duration_seconds_count",
                        member_id=member, outcome="stable") == 1
    assert metric_value(text, "transferpunt_aftercare_signals_escalated_total",
                        member_id=member, kind="rent_arrears") == 1
    assert metric_value(text, "transferpunt_aftercare_signals_raised_total",
                        corporation_id=corp, kind="rent_arrears") == 1
    assert metric_value(text, "transferpunt_aftercare_trajectories_opened_total",
                        member_id=member) == 1
    assert metric_value(text, "transferpunt_aftercare_overdue_alerts_total",
                        member_id=member) == 1

    # A completed trajectory takes nothing more, and nothing is half-written.
    r = await aftercare.check_in(tenancy, due[12], "stable")
    assert r.status_code == 409 and "completed" in r.json()["detail"]
    r = await http.post(f"{url}/signals", headers=tenancy.corporation,
                        json={"kind": "nuisance", "home_id": str(tenancy.home_id)})
    assert r.status_code == 409 and "ended" in r.json()["detail"]
    assert len((await aftercare.detail(tenancy))["checkins"]) == 5

    # Nothing private went onto Kafka.
    published = await aftercare.raw_events_about(tenancy)
    assert len(published) >= 12
    for raw in published:
        for private in (NOTE, ACTION, SIGNAL_TEXT, "Privenotitie", "rent_and_money"):
            assert private.encode() not in raw


async def _corporation_sees(aftercare: Aftercare, tenancy: Tenancy, signal_id: str
                            ) -> tuple[str, bool]:
    r = await aftercare.http.get(f"{aftercare.url}/signals", headers=tenancy.corporation)
    [signal] = [s for s in r.json() if s["signal_id"] == signal_id]
    return signal["status"], signal["picked_up"]
