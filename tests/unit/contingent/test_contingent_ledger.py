"""The yearly contingent's ledger: allocation, release, consumption, and the coordinator's view."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from services.contingent.domain.contingent import Contingent, LedgerEntry
from services.contingent.domain.errors import (
    HomeAlreadyConsumed,
    InvalidContingent,
    UnknownMember,
)

AT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def year(members: dict[str, int], total: int, **rules: object) -> Contingent:
    return Contingent.create(2027, total, members, **rules)  # type: ignore[arg-type]


def test_a_new_year_shows_the_shares_and_nothing_used() -> None:
    contingent = year({"m01": 35, "m02": 15}, 20, method="hamilton", cap_at_need=True)
    views = contingent.standings()
    assert [(v.member_id, v.need, v.share, v.used, v.remaining) for v in views] == [
        ("m01", 35, 14, 0, 14),
        ("m02", 15, 6, 0, 6),
    ]
    assert all(v.ideal_to_date == 0 and v.deviation == 0 for v in views)


def test_a_member_listed_twice_is_refused() -> None:
    with pytest.raises(InvalidContingent, match="Member m01 is listed twice"):
        Contingent.create(2027, 10, [("m01", 3), ("m02", 4), ("m01", 5)])


def test_allocation_is_recorded_with_its_decision_and_counts_as_used() -> None:
    contingent = year({"a": 1, "b": 1}, 2)
    decision = contingent.allocate("h1", ["a", "b"], "e1", AT)
    assert decision.member_id == "a"
    entry = contingent.ledger[-1]
    assert (entry.kind, entry.home_id, entry.member_id) == ("allocated", "h1", "a")
    assert entry.event_id == "e1"
    assert entry.occurred_at == AT and entry.decision == decision
    assert (contingent.used("a"), contingent.in_flight("a"), contingent.consumed("a")) == (1, 1, 0)
    assert contingent.explanation("h1") == decision


def test_homes_in_flight_are_not_all_given_to_the_same_member() -> None:
    contingent = year({"a": 1, "b": 1}, 2)
    contingent.allocate("h1", ["a", "b"], "e1", AT)
    assert contingent.allocate("h2", ["a", "b"], "e2", AT).member_id == "b"


def test_a_released_home_gives_the_member_its_place_back() -> None:
    contingent = year({"a": 1, "b": 1}, 2)
    contingent.allocate("h1", ["a", "b"], "e1", AT)
    result = contingent.release("h1", "e2", AT, note="MatchDeclined")
    assert result.applied and result.entries[0].kind == "released"
    assert contingent.used("a") == 0
    assert contingent.allocate("h2", ["a", "b"], "e3", AT).member_id == "a"


def test_reallocating_a_home_in_flight_releases_the_earlier_allocation_first() -> None:
    contingent = year({"a": 2, "b": 1}, 3)
    contingent.allocate("h1", ["a", "b"], "e1", AT)
    decision = contingent.allocate("h1", ["b"], "e2", AT)
    assert decision.member_id == "b"
    assert [(e.kind, e.member_id) for e in contingent.ledger] == [
        ("allocated", "a"),
        ("released", "a"),
        ("allocated", "b"),
    ]
    assert (contingent.used("a"), contingent.used("b"), contingent.homes_so_far()) == (0, 1, 1)


def test_a_redelivered_allocation_event_returns_the_recorded_decision() -> None:
    contingent = year({"a": 1, "b": 1}, 2)
    first = contingent.allocate("h1", ["a", "b"], "e1", AT)
    again = contingent.allocate("h1", ["a", "b"], "e1", AT)
    assert again == first
    assert len(contingent.ledger) == 1


def test_without_an_eligible_member_nothing_is_allocated() -> None:
    contingent = year({"a": 1, "b": 1}, 2)
    decision = contingent.allocate("h1", [], "e1", AT)
    assert decision.member_id is None
    assert contingent.ledger == ()


def test_unknown_ids_and_members_that_left_are_not_eligible() -> None:
    contingent = year({"a": 3, "b": 3}, 4)
    contingent.deactivate("a", AT)
    decision = contingent.allocate("h1", ["a", "stranger"], "e1", AT)
    assert decision.member_id is None


def test_a_tenancy_converts_the_members_allocation() -> None:
    contingent = year({"a": 1, "b": 1}, 2)
    contingent.allocate("h1", ["a"], "e1", AT)
    result = contingent.consume("h1", "a", "e2", AT)
    assert result.applied
    assert [e.kind for e in result.entries] == ["consumed"]
    assert result.entries[0].note == "allocation converted"
    assert (contingent.used("a"), contingent.consumed("a"), contingent.in_flight("a")) == (1, 1, 0)


def test_a_tenancy_without_allocation_is_consumed_directly() -> None:
    contingent = year({"a": 1, "b": 1}, 2)
    result = contingent.consume("h9", "b", "e1", AT)
    assert result.entries[0].note == "direct"
    assert contingent.consumed("b") == 1


def test_a_tenancy_for_another_member_releases_the_allocation_first() -> None:
    contingent = year({"a": 1, "b": 1}, 2)
    contingent.allocate("h1", ["a"], "e1", AT)
    result = contingent.consume("h1", "b", "e2", AT)
    assert [(e.kind, e.member_id) for e in result.entries] == [("released", "a"), ("consumed", "b")]
    assert (contingent.used("a"), contingent.used("b")) == (0, 1)


def test_a_home_is_never_spent_twice() -> None:
    contingent = year({"a": 2, "b": 2}, 4)
    contingent.consume("h1", "a", "e1", AT)
    repeat = contingent.consume("h1", "a", "e2", AT)
    assert not repeat.applied and repeat.entries == ()
    assert "already counts as a tenancy for a (event e1); nothing changed" in repeat.message
    with pytest.raises(HomeAlreadyConsumed, match="it was not counted for b as well"):
        contingent.consume("h1", "b", "e3", AT)
    with pytest.raises(HomeAlreadyConsumed, match="cannot be allocated again"):
        contingent.allocate("h1", ["a", "b"], "e4", AT)
    with pytest.raises(HomeAlreadyConsumed, match="a consumed home cannot be released"):
        contingent.release("h1", "e5", AT)
    assert (contingent.used("a"), contingent.used("b"), len(contingent.ledger)) == (1, 0, 1)


def test_releasing_a_home_that_is_not_held_changes_nothing() -> None:
    contingent = year({"a": 1}, 1)
    result = contingent.release("h1", "e1", AT)
    assert not result.applied
    assert result.message == "Home h1 is not allocated in the 2027 contingent; nothing to release."


def test_a_tenancy_for_an_unknown_member_is_refused() -> None:
    with pytest.raises(UnknownMember, match="m99 is not part of the 2027 contingent"):
        year({"a": 1}, 1).consume("h1", "m99", "e1", AT)


def test_ideal_to_date_and_deviation_use_the_homes_so_far() -> None:
    contingent = year({"a": 3, "b": 1}, 4, method="hamilton")
    contingent.consume("h1", "b", "e1", AT)
    contingent.allocate("h2", ["a"], "e2", AT)
    # t = 2 homes so far, H = 4: ideal a 2·3/4 = 1.5, b 0.5.
    assert contingent.ideal_to_date("a") == Fraction(3, 2)
    assert contingent.deviation("a") == Fraction(-1, 2)
    assert contingent.deviation("b") == Fraction(1, 2)
    view = {v.member_id: v for v in contingent.standings()}["b"]
    assert (view.used, view.remaining, view.consumed, view.in_flight) == (1, 0, 1, 0)


def test_warnings_list_exhausted_shares_and_a_nearly_used_contingent() -> None:
    contingent = year({"a": 9, "b": 1, "c": 0}, 10, method="hamilton")
    for i in range(8):
        contingent.consume(f"h{i}", "a", f"e{i}", AT)
    contingent.consume("h8", "b", "e8", AT)
    warnings = contingent.warnings()
    assert warnings.exhausted == ("b",)
    assert warnings.used_fraction == Fraction(9, 10) and warnings.nearly_used
    assert not contingent.warnings(threshold=Fraction(95, 100)).nearly_used


def test_warnings_name_members_with_need_but_no_share() -> None:
    contingent = year({"a": 50, "b": 1}, 2, method="dhondt")
    assert contingent.warnings().without_share == ("b",)


def test_a_year_with_every_member_eligible_ends_exactly_on_the_shares() -> None:
    rng = random.Random(2027)
    needs = {f"m{i:02d}": rng.choice([1, 2, 3, 5, 8, 40]) for i in range(1, 43)}
    contingent = year(needs, 600, cap_at_need=False)
    for home in range(600):
        decision = contingent.allocate(f"h{home}", needs, f"a{home}", AT)
        assert decision.member_id is not None and not decision.skipped
        if rng.random() < 0.7:  # most tenancies start, some proposals stay in flight
            contingent.consume(f"h{home}", decision.member_id, f"t{home}", AT)
    assert all(v.used == v.share and v.remaining == 0 for v in contingent.standings())


def test_a_year_restored_from_its_fields_has_the_same_standings() -> None:
    contingent = year({"a": 2, "b": 2}, 4)
    contingent.allocate("h1", ["a", "b"], "e1", AT)
    contingent.consume("h1", "a", "e2", AT + timedelta(days=30))
    contingent.allocate("h2", ["a", "b"], "e3", AT)
    restored = dataclasses.replace(contingent)
    assert restored.standings() == contingent.standings()
    assert restored.holding("h1") == contingent.holding("h1")


def test_a_ledger_that_spends_a_home_twice_cannot_be_restored() -> None:
    contingent = year({"a": 2, "b": 2}, 4)
    contingent.consume("h1", "a", "e1", AT)
    forged = LedgerEntry(2, "consumed", "h1", "b", "e2", AT)
    with pytest.raises(InvalidContingent, match="does not follow from the entries before it"):
        dataclasses.replace(contingent, ledger=(*contingent.ledger, forged))


def _everything(c: Contingent) -> tuple[object, ...]:
    return (c.ledger, c.redistributions, c.needs, c.shares, c.carried_over, c.inactive,
            c.ties, c.unallocated, c.closed, c.standings(),
            {f"h{i}": c.holding(f"h{i}") for i in range(8)})


def test_a_copy_and_its_original_never_change_each_other() -> None:
    original = year({"m01": 6, "m02": 4, "m03": 2}, 10)
    for i in range(4):
        original.allocate(f"h{i}", ["m01", "m02", "m03"], f"e{i}", AT)
    original.consume("h0", original.holding("h0").member_id, "t0", AT)  # type: ignore[union-attr]
    before = _everything(original)

    twin = original.copy()
    assert _everything(twin) == before
    twin.allocate("h4", ["m01", "m02"], "e4", AT)
    twin.consume("h1", twin.holding("h1").member_id, "t1", AT)  # type: ignore[union-attr]
    twin.release("h2", "r2", AT)
    twin.deactivate("m03", AT)
    twin.redistribute(AT)
    twin.close(AT, count_in_flight_as_used=True)
    assert _everything(original) == before

    after_twin = _everything(twin)
    original.allocate("h5", ["m02"], "e5", AT)
    original.release("h3", "r3", AT)
    assert _everything(twin) == after_twin
