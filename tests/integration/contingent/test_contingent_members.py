"""The roster: register, list, rename; a member that leaves keeps its history (see also
test_contingent_redistribution_and_close for its share going to the others)."""

from __future__ import annotations

import pytest

from tests.integration.contingent.support import COORDINATOR, Region, auth

pytestmark = pytest.mark.infra


async def test_members_are_registered_listed_and_renamed(region: Region) -> None:
    a = region.member()
    await region.register(a)
    r = await region.http.patch(f"{region.url}/members/{a}", headers=COORDINATOR,
                                json={"name": "Leger des Heils Utrecht"})
    assert r.status_code == 200 and r.json()["name"] == "Leger des Heils Utrecht"
    r = await region.http.get(f"{region.url}/members", headers=auth("caseworker", a))
    [listed] = [m for m in r.json() if m["member_id"] == a]
    assert (listed["name"], listed["active"], listed["deactivated_at"]) == (
        "Leger des Heils Utrecht", True, None)


async def test_a_member_that_left_is_listed_as_inactive_with_the_day_it_left(
    region: Region,
) -> None:
    a = region.member()
    await region.register(a)
    r = await region.http.post(f"{region.url}/members/{a}/deactivate", headers=COORDINATOR)
    assert r.status_code == 200 and r.json()["redistributions"] == []
    r = await region.http.get(f"{region.url}/members/{a}", headers=COORDINATOR)
    assert r.json()["active"] is False and r.json()["deactivated_at"]
