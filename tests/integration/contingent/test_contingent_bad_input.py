"""Bad input is a 422 that says what to change (and never echoes the value back); a state that
does not allow the request is a 409; an unknown year or member a 404."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.contingent.support import COORDINATOR, Region

pytestmark = pytest.mark.infra


async def _put(region: Region, body: dict[str, Any], year: int | None = None) -> Any:
    r = await region.http.put(f"{region.url}/contingents/{year or region.year}",
                              headers=COORDINATOR, json=body)
    return r


def _problem(r: Any) -> tuple[str, str]:
    assert r.status_code == 422, r.text
    [detail] = r.json()["detail"]
    return detail["field"], detail["message"]


@pytest.mark.parametrize(("change", "field", "says"), [
    ({"total_homes": -1}, "total_homes", "cannot be negative"),
    ({"total_homes": 10.5}, "total_homes", "whole number"),
    ({"total_homes": "ten"}, "total_homes", "whole number"),
    ({"method": "borda"}, "method", "sainte_lague"),
    ({"min_per_member": -2}, "min_per_member", "cannot be negative"),
    ({"members": []}, "members", "at least 1"),
    ({"colour": "red"}, "colour", "not permitted"),
])
async def test_malformed_settings_are_refused_with_what_to_change(
    region: Region, change: dict[str, Any], field: str, says: str,
) -> None:
    a = region.member()
    await region.register(a)
    body = {"total_homes": 10, "members": [{"member_id": a, "need": 5}], **change}
    got_field, message = _problem(await _put(region, body))
    assert (got_field, says.lower() in message.lower()) == (field, True), message
    assert "10.5" not in message and "ten" not in message.replace("often", "")


async def test_settings_that_cannot_be_apportioned_are_refused_with_what_to_change(
    region: Region,
) -> None:
    a, b, c = region.member(), region.member(), region.member()
    await region.register(a, b, c)
    members = [{"member_id": m, "need": 5} for m in (a, b, c)]
    cases = [
        ({"total_homes": 5, "min_per_member": 2, "members": members},
         "min_per_member", "lower the minimum or raise the total"),
        ({"total_homes": 5, "members": [{"member_id": a, "need": 0}]},
         "members", "declare the members' need"),
        ({"total_homes": 5, "members": [{"member_id": a, "need": -1}]},
         "members[0].need", "cannot be negative"),
        ({"total_homes": 5, "members": [{"member_id": a, "need": 2.5}]},
         "members[0].need", "whole number"),
        ({"total_homes": 5, "members": [{"member_id": a, "need": 1},
                                        {"member_id": a, "need": 2}]},
         "members", "listed twice"),
        ({"total_homes": 5, "members": [{"member_id": f"u{region.run}", "need": 1}]},
         "members", "register them first"),
        ({"total_homes": 5, "members": members,
          "pledges": [{"corporation_id": "c01", "homes": 3}]},
         "pledges", "add up to 3 homes but total_homes is 5"),
        ({"total_homes": 5, "members": members, "carry_over_from": region.year},
         "carry_over_from", "earlier year"),
    ]
    for body, field, says in cases:
        got_field, message = _problem(await _put(region, body))
        assert (got_field, says in message) == (field, True), (body, message)
    r = await region.http.get(f"{region.url}/contingents/{region.year}", headers=COORDINATOR)
    assert r.status_code == 404  # nothing was stored


async def test_unknown_years_and_members_are_404_and_implausible_years_422(
    region: Region,
) -> None:
    base = f"{region.url}/contingents"
    assert (await region.http.get(f"{base}/{region.year}", headers=COORDINATOR)
            ).status_code == 404
    assert (await region.http.post(f"{base}/{region.year}/close", headers=COORDINATOR)
            ).status_code == 404
    assert (await region.http.get(f"{base}/{region.year}/ledger", headers=COORDINATOR)
            ).status_code == 404
    assert (await region.http.get(f"{base}/207", headers=COORDINATOR)).status_code == 422
    assert (await region.http.patch(f"{region.url}/members/u{region.run}", headers=COORDINATOR,
                                    json={"name": "X"})).status_code == 404


async def test_a_redistribution_that_cannot_keep_the_minimum_changes_nothing(
    region: Region,
) -> None:
    a, b, c = region.member(), region.member(), region.member()
    await region.setup({a: 5, b: 5}, 6, min_per_member=3)
    r = await region.post("/redistribute", {"needs": [{"member_id": c, "need": 5}]})
    field, message = _problem(r)
    assert field == "needs" and "register them first" in message
    await region.register(c)
    r = await region.post("/redistribute", {"needs": [{"member_id": c, "need": 5}]})
    field, message = _problem(r)
    assert "Lower the minimum per member or raise the total" in message
    lines = await region.lines()
    assert sorted(lines) == sorted([a, b]) and [lines[m]["share"] for m in (a, b)] == [3, 3]


async def test_a_member_is_registered_once(region: Region) -> None:
    a = region.member()
    await region.register(a)
    r = await region.http.post(f"{region.url}/members", headers=COORDINATOR,
                               json={"member_id": a, "name": "Again"})
    assert r.status_code == 409 and "PATCH" in r.json()["detail"]
    r = await region.http.post(f"{region.url}/members", headers=COORDINATOR,
                               json={"member_id": "has spaces", "name": "X"})
    assert _problem(r)[0] == "member_id"
