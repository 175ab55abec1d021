"""Returns to homelessness (terugval): a new intake for a housed client, found from the
intake topic, published once, counted in metrics and in the coordinator's cohort view."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.aftercare.harness import (
    Aftercare,
    auth,
    metric_value,
    of_type,
    unique,
)
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra


async def _cohort(aftercare: Aftercare, member: str, year: int) -> dict[str, object] | None:
    r = await aftercare.http.get(f"{aftercare.url}/returns", params={"member_id": member},
                                 headers=auth("coordinator", "region"))
    assert r.status_code == 200, r.text
    return next((c for c in r.json()["cohorts"] if c["cohort_year"] == year), None)


async def test_new_intake_within_12_months_of_the_tenancy_is_a_return(
    aftercare: Aftercare,
) -> None:
    member, today = unique("m"), await aftercare.today()
    start = today - timedelta(days=200)
    tenancy = aftercare.tenancy(member_id=member, corporation_id=unique("c"), start=start)
    # The intake that led to the home came before it: no return.
    await aftercare.submit_intake(client_ref=tenancy.client_ref, member_id=member,
                                  on=start - timedelta(days=60), case_id=tenancy.case_id)
    await aftercare.start_tenancy(tenancy)
    # Another client's intake is nobody's return.
    await aftercare.submit_intake(client_ref=unique("someone_else_"), member_id=member,
                                  on=start + timedelta(days=50))
    returned_on = start + timedelta(days=150)
    await aftercare.submit_intake(client_ref=tenancy.client_ref, member_id=unique("m"),
                                  on=returned_on)

    [found] = await aftercare.events(
        of_type("ReturnToHomelessness", trajectory_id=tenancy.trajectory_id))
    assert found["data"]["client_ref"] == tenancy.client_ref
    assert found["data"]["member_id"] == member  # the member that housed the client
    assert (found["data"]["days_after_tenancy"], found["data"]["bucket"]) == (150, "0-180")
    assert found["data"]["returned_on"] == returned_on.isoformat()
    assert found["case_id"] == str(tenancy.case_id)

    cohort = await eventually(lambda: _cohort(aftercare, member, start.year))
    assert cohort["housed"] == 1
    assert cohort["returned_within_12_months"] == 1
    assert cohort["returned_within_24_months"] == 1
    assert cohort["rate_within_12_months"] == 1.0
    text = await aftercare.metrics()
    assert metric_value(text, "transferpunt_aftercare_returns_within_12_months_total",
                        member_id=member) == 1
    assert metric_value(text, "transferpunt_aftercare_returns_within_24_months_total",
                        member_id=member) == 1

    # A second new intake for the same client does not count the tenancy twice.
    await aftercare.submit_intake(client_ref=tenancy.client_ref, member_id=member,
                                  on=returned_on + timedelta(days=10))
    returns = await aftercare.events(
        of_type("ReturnToHomelessness", trajectory_id=tenancy.trajectory_id),
        count=2, seconds=4)
    assert len(returns) == 1
    assert (await _cohort(aftercare, member, start.year))["returned_within_12_months"] == 1


async def test_return_after_a_year_counts_within_24_months_only(aftercare: Aftercare) -> None:
    member, today = unique("m"), await aftercare.today()
    start = today - timedelta(days=500)
    tenancy = await aftercare.start_tenancy(
        aftercare.tenancy(member_id=member, corporation_id=unique("c"), start=start))

    await aftercare.submit_intake(client_ref=tenancy.client_ref, member_id=member,
                                  on=start + timedelta(days=400))

    [found] = await aftercare.events(
        of_type("ReturnToHomelessness", trajectory_id=tenancy.trajectory_id))
    assert (found["data"]["days_after_tenancy"], found["data"]["bucket"]) == (400, "366-730")
    cohort = await _cohort(aftercare, member, start.year)
    assert cohort is not None
    assert (cohort["returned_within_12_months"], cohort["returned_within_24_months"]) == (0, 1)
    text = await aftercare.metrics()
    assert metric_value(text, "transferpunt_aftercare_returns_within_12_months_total",
                        member_id=member) == 0
    assert metric_value(text, "transferpunt_aftercare_returns_within_24_months_total",
                        member_id=member) == 1


async def test_return_is_found_when_the_new_intake_arrives_before_the_tenancy(
    aftercare: Aftercare,
) -> None:
    member, today = unique("m"), await aftercare.today()
    start = today - timedelta(days=100)
    tenancy = aftercare.tenancy(member_id=member, corporation_id=unique("c"), start=start)

    # The two topics are not ordered with respect to each other.
    await aftercare.submit_intake(client_ref=tenancy.client_ref, member_id=member,
                                  on=start + timedelta(days=30))
    await aftercare.start_tenancy(tenancy)

    [found] = await aftercare.events(
        of_type("ReturnToHomelessness", trajectory_id=tenancy.trajectory_id))
    assert found["data"]["days_after_tenancy"] == 30


async def test_returns_view_is_for_the_coordinator_only(aftercare: Aftercare) -> None:
    for role in ("supporter", "corporation", "caseworker"):
        r = await aftercare.http.get(f"{aftercare.url}/returns", headers=auth(role, "m01"))
        assert r.status_code == 403, role
