"""Access: only coordinators change contingents and members; a member organisation's
caseworkers and supporters see their own member's line and ledger entries; corporations see
nothing here; no token, no answer."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.contingent.support import COORDINATOR, Region, auth, kinds

pytestmark = pytest.mark.infra


@pytest.fixture
async def year_in_use(region: Region) -> tuple[str, str, uuid.UUID]:
    a, b = region.member(), region.member()
    await region.setup({a: 6, b: 4}, 10)
    home_a, home_b = uuid.uuid4(), uuid.uuid4()
    await region.tenancy(home_a, a)
    await region.tenancy(home_b, b)
    await region.ledger_until(lambda e: len(e) == 2)
    return a, b, home_a


@pytest.mark.parametrize("role", ["caseworker", "supporter"])
async def test_member_staff_see_only_their_own_line_and_ledger(
    region: Region, year_in_use: tuple[str, str, uuid.UUID], role: str,
) -> None:
    a, b, home_a = year_in_use
    own = auth(role, a)
    view = await region.view(headers=own)
    assert [s["member_id"] for s in view["shares"]] == [a]
    assert view["total_homes"] == 10
    ledger_url = f"{region.url}/contingents/{region.year}/ledger"
    r = await region.http.get(ledger_url, headers=own)
    assert r.status_code == 200 and [e["home_id"] for e in r.json()] == [str(home_a)]
    r = await region.http.get(ledger_url, headers=own, params={"member_id": a})
    assert r.status_code == 200 and len(r.json()) == 1
    r = await region.http.get(ledger_url, headers=own, params={"member_id": b})
    assert r.status_code == 403

    stranger = auth(role, f"z{region.run}")
    assert (await region.view(headers=stranger))["shares"] == []
    assert (await region.http.get(ledger_url, headers=stranger)).json() == []


@pytest.mark.parametrize("role", ["caseworker", "supporter"])
async def test_member_staff_change_nothing_and_see_no_explanations(
    region: Region, year_in_use: tuple[str, str, uuid.UUID], role: str,
) -> None:
    a, _, home_a = year_in_use
    own = auth(role, a)
    base = f"{region.url}/contingents/{region.year}"
    refused = [
        await region.http.put(base, headers=own, json={"total_homes": 1, "members": [
            {"member_id": a, "need": 1}]}),
        await region.http.post(f"{base}/redistribute", headers=own),
        await region.http.post(f"{base}/close", headers=own),
        await region.http.post(f"{base}/carry-over", headers=own, json={"from_year": 2000}),
        await region.http.post(f"{base}/next-member", headers=own,
                               json={"eligible_members": [a]}),
        await region.http.get(f"{base}/explanations/{home_a}", headers=own),
        await region.http.get(f"{base}/redistributions", headers=own),
        await region.http.post(f"{region.url}/members", headers=own,
                               json={"member_id": f"n{region.run}", "name": "New"}),
        await region.http.patch(f"{region.url}/members/{a}", headers=own, json={"name": "X"}),
        await region.http.post(f"{region.url}/members/{a}/deactivate", headers=own),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert (await region.lines())[a]["share"] == 6


async def test_corporations_see_nothing_of_the_contingent(
    region: Region, year_in_use: tuple[str, str, uuid.UUID],
) -> None:
    corporation = auth("corporation", "c01")
    base = f"{region.url}/contingents/{region.year}"
    answers = [await region.http.get(url, headers=corporation)
               for url in (base, f"{base}/ledger", f"{region.url}/members")]
    assert [r.status_code for r in answers] == [403, 403, 403]


async def test_without_a_valid_token_nothing_is_answered(
    region: Region, year_in_use: tuple[str, str, uuid.UUID],
) -> None:
    base = f"{region.url}/contingents/{region.year}"
    assert (await region.http.get(base)).status_code == 401
    forged = {"Authorization": "Bearer not.a.token"}
    assert (await region.http.get(base, headers=forged)).status_code == 401


async def test_the_coordinator_sees_every_line_and_the_whole_ledger(
    region: Region, year_in_use: tuple[str, str, uuid.UUID],
) -> None:
    a, b, home_a = year_in_use
    view = await region.view(headers=COORDINATOR)
    assert [s["member_id"] for s in view["shares"]] == [a, b]
    assert view["totals"]["used"] == 2
    assert kinds(await region.ledger(), home_a) == ["consumed"]
