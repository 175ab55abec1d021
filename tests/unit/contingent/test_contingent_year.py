"""Redistribution, members leaving, closing a year and carrying it over."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from services.contingent.domain.apportionment import apportion
from services.contingent.domain.contingent import Contingent, carry_over_needs
from services.contingent.domain.errors import (
    CarryOverRefused,
    HomesInFlight,
    InvalidContingent,
    UnknownMember,
    YearClosed,
)

AT = datetime(2027, 6, 1, tzinfo=UTC)
END = datetime(2027, 12, 31, tzinfo=UTC)


def consume(contingent: Contingent, member: str, count: int, prefix: str = "h") -> None:
    start = len(contingent.ledger)
    for i in range(count):
        contingent.consume(f"{prefix}{start + i}", member, f"e{start + i}", AT)


# --- Redistribution -----------------------------------------------------------------------------


def test_redistribution_reapportions_the_unused_homes_by_unmet_need() -> None:
    # Sainte-Laguë on 12, 8, 2 for 11 homes: a 6, b 4, c 1.
    contingent = Contingent.create(2027, 11, {"a": 12, "b": 8, "c": 2})
    assert contingent.shares == {"a": 6, "b": 4, "c": 1}
    consume(contingent, "a", 1)
    consume(contingent, "b", 4)
    consume(contingent, "c", 1)
    # Pool 11 - 6 = 5; unmet need a 11, b 4, c 1 → Sainte-Laguë: 11, 4, 3.7, 2.2, 1.6 → a 4, b 1.
    record = contingent.redistribute(AT)
    assert (record.pool, record.unmet_need) == (5, {"a": 11, "b": 4, "c": 1})
    assert record.shares_before == {"a": 6, "b": 4, "c": 1}
    assert record.shares_after == contingent.shares == {"a": 5, "b": 5, "c": 1}
    assert contingent.redistributions == (record,)


def test_members_with_met_need_keep_only_what_they_used() -> None:
    contingent = Contingent.create(2027, 10, {"a": 5, "b": 5})
    consume(contingent, "a", 5)
    contingent.redistribute(AT)
    assert contingent.shares == {"a": 5, "b": 5}
    consume(contingent, "b", 2)
    contingent.redistribute(AT, needs={"b": 2})
    # b's need drops to the 2 it used: nobody has unmet need, so 3 homes are unallocated.
    assert contingent.shares == {"a": 5, "b": 2}
    assert contingent.unallocated == 3


def test_without_cap_the_pool_goes_to_unmet_need_even_beyond_it() -> None:
    contingent = Contingent.create(2027, 10, {"a": 5, "b": 5})
    consume(contingent, "a", 5)
    contingent.redistribute(AT, needs={"b": 2})
    assert contingent.shares == {"a": 5, "b": 5}


def test_redistribution_caps_at_unmet_need_and_reports_what_is_left() -> None:
    contingent = Contingent.create(2027, 10, {"a": 8, "b": 2}, cap_at_need=True)
    consume(contingent, "b", 2)
    contingent.redistribute(AT, needs={"a": 4})
    assert contingent.shares == {"a": 4, "b": 2}
    assert contingent.unallocated == 4


def test_redistribution_tops_up_the_minimum_a_member_still_lacks() -> None:
    # Sainte-Laguë from 3 each: a takes the other 3 → a 6, b 3, c 3.
    contingent = Contingent.create(2027, 12, {"a": 30, "b": 5, "c": 5}, min_per_member=3)
    assert contingent.shares == {"a": 6, "b": 3, "c": 3}
    consume(contingent, "b", 1)
    contingent.redistribute(AT)
    # Pool 11; still lacking the minimum: a 3, b 2, c 3; the last 3 go to a (30/3.5 …).
    assert contingent.shares == {"a": 6, "b": 3, "c": 3}


def test_a_redistribution_that_cannot_keep_the_minimum_is_refused_and_changes_nothing() -> None:
    contingent = Contingent.create(2027, 6, {"a": 10, "b": 10}, min_per_member=3)
    consume(contingent, "a", 5)  # tenancies recorded without allocation, beyond a's share
    with pytest.raises(InvalidContingent, match="need 3 homes and only 1 are unused"):
        contingent.redistribute(AT)
    assert contingent.shares == {"a": 3, "b": 3}
    assert contingent.redistributions == ()


def test_redistribution_can_add_a_member_mid_year() -> None:
    contingent = Contingent.create(2027, 10, {"a": 10})
    consume(contingent, "a", 4)
    contingent.redistribute(AT, needs={"new": 6})
    assert contingent.shares == {"a": 7, "new": 3}  # pool 6 on unmet 6 and 6: 3 and 3


def test_a_member_that_leaves_keeps_its_history_and_its_unused_share_goes_to_the_others() -> None:
    contingent = Contingent.create(2027, 9, {"a": 5, "b": 5, "c": 5})
    consume(contingent, "a", 1)
    record = contingent.deactivate("a", AT)
    assert record.note == "member a left"
    assert contingent.shares == {"a": 1, "b": 4, "c": 4}
    assert contingent.consumed("a") == 1
    view = {v.member_id: v for v in contingent.standings()}["a"]
    assert not view.active and view.used == 1
    with pytest.raises(InvalidContingent, match="already left"):
        contingent.deactivate("a", AT)
    with pytest.raises(UnknownMember):
        contingent.deactivate("zz", AT)


# --- Closing ----------------------------------------------------------------------------------


def test_closing_records_each_members_balance() -> None:
    contingent = Contingent.create(2027, 6, {"a": 4, "b": 2}, method="hamilton")
    consume(contingent, "a", 2)
    consume(contingent, "b", 3)
    closed = contingent.close(END)
    a, b = closed.balance("a"), closed.balance("b")
    assert a is not None and b is not None
    assert (a.share, a.used, a.balance, a.unused, a.overrun) == (4, 2, 2, 2, 0)
    assert (b.share, b.used, b.balance, b.unused, b.overrun) == (2, 3, -1, 0, 1)
    assert contingent.closed == closed


def test_a_year_with_homes_in_flight_closes_only_when_they_are_counted_as_used() -> None:
    contingent = Contingent.create(2027, 4, {"a": 2, "b": 2})
    contingent.allocate("h1", ["a"], "e1", AT)
    with pytest.raises(HomesInFlight, match=r"1 home is allocated .* \(h1\)"):
        contingent.close(END)
    closed = contingent.close(END, count_in_flight_as_used=True)
    assert closed.in_flight_homes == ("h1",)
    balance = closed.balance("a")
    assert balance is not None and balance.used == 1


def test_a_closed_year_refuses_every_change() -> None:
    contingent = Contingent.create(2027, 4, {"a": 2, "b": 2})
    contingent.close(END)
    message = (
        "The 2027 contingent was closed at 2027-12-31T00:00:00+00:00; its figures can no "
        "longer change. Record this in the 2028 contingent."
    )
    changes: list[Callable[[], object]] = [
        lambda: contingent.allocate("h1", ["a"], "e1", END),
        lambda: contingent.release("h1", "e1", END),
        lambda: contingent.consume("h1", "a", "e1", END),
        lambda: contingent.redistribute(END),
        lambda: contingent.deactivate("a", END),
        lambda: contingent.close(END),
    ]
    for change in changes:
        with pytest.raises(YearClosed) as caught:
            change()
        assert caught.value.message == message
    assert contingent.ledger == ()


# --- Carry-over -------------------------------------------------------------------------------


def closed_2026() -> Contingent:
    previous = Contingent.create(2026, 8, {"a": 5, "b": 3, "gone": 2}, method="hamilton")
    assert previous.shares == {"a": 4, "b": 2, "gone": 2}
    consume(previous, "a", 1)  # 3 unused
    consume(previous, "b", 3)  # 1 over its share
    consume(previous, "gone", 0)
    previous.close(datetime(2026, 12, 31, tzinfo=UTC))
    return previous


def test_carry_over_adds_last_years_unused_share_to_this_years_need() -> None:
    previous = closed_2026().closed
    assert previous is not None
    contingent = Contingent.create(2027, 10, {"a": 10, "b": 10, "new": 5}, method="hamilton")
    carried = contingent.carry_over(previous)
    # a had 3 unused → need 13; b's overrun is not subtracted; "gone" is not a member now.
    assert carried.added_need == {"a": 3}
    assert carried.needs == {"a": 13, "b": 10, "new": 5}
    assert contingent.shares == apportion(10, carried.needs, "hamilton").shares
    view = {v.member_id: v for v in contingent.standings()}["a"]
    assert (view.need, view.declared_need, view.carried_over) == (13, 10, 3)
    assert contingent.carried_over_from == 2026


def test_carry_over_rule_is_available_as_a_pure_function() -> None:
    previous = closed_2026().closed
    assert previous is not None
    assert carry_over_needs(previous, {"a": 1, "b": 1}) == {"a": 3}


def test_carry_over_is_refused_after_the_first_home_twice_or_from_a_later_year() -> None:
    previous = closed_2026().closed
    assert previous is not None
    started = Contingent.create(2027, 10, {"a": 10, "b": 10})
    started.allocate("h1", ["a"], "e1", AT)
    with pytest.raises(CarryOverRefused, match="carry over before the first home"):
        started.carry_over(previous)
    once = Contingent.create(2027, 10, {"a": 10, "b": 10})
    once.carry_over(previous)
    with pytest.raises(CarryOverRefused, match="already carries over 2026"):
        once.carry_over(previous)
    earlier = Contingent.create(2025, 10, {"a": 10})
    with pytest.raises(CarryOverRefused, match="Only an earlier year"):
        earlier.carry_over(previous)
