"""Properties of the apportionment, checked on random inputs.

Two independent references: PyPI's ``apportionment`` package (Martin Lackner) for the plain
methods, and a deliberately naive one-home-at-a-time sequence written here for divisor
methods with a minimum and a cap (it has none of the production code's shortcuts).
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

import apportionment.methods as reference
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.contingent.domain.apportionment import METHODS, Method, apportion
from tests.unit.contingent.test_contingent_apportionment_examples import US_2020_POPULATION

DIVISOR_METHODS: tuple[Method, ...] = ("sainte_lague", "dhondt", "huntington_hill")
PACKAGE_NAME = {
    "sainte_lague": "saintelague",
    "dhondt": "dhondt",
    "hamilton": "largest_remainder",
    "huntington_hill": "huntington",
}


@st.composite
def unequal_needs(draw: st.DrawFn, max_members: int = 42, zero: bool = True) -> dict[str, int]:
    """Needs of up to 42 members, mixing census-sized and tiny figures."""
    low = 0 if zero else 1
    size = st.one_of(st.integers(low, 12), st.integers(max(low, 1), 2_000), st.integers(1, 10**7))
    needs = draw(st.lists(size, min_size=1, max_size=max_members))
    assume(any(needs))
    return {f"m{i:02d}": n for i, n in enumerate(needs)}


def naive_divisor(
    total: int, needs: dict[str, int], method: Method, minimum: int, cap: bool
) -> dict[str, int]:
    """The textbook sequence, one home at a time, with the documented min/cap/tie rules."""
    seats = {m: (min(minimum, n) if cap else minimum) if n > 0 else 0 for m, n in needs.items()}

    def rank(m: str) -> tuple[int, Fraction, int, str]:
        w, s = needs[m], seats[m]
        if method == "huntington_hill":
            if s == 0:  # infinite priority; among those the larger need first
                return (0, Fraction(-w), -w, m)
            return (1, -Fraction(w * w, s * (s + 1)), -w, m)
        divisor = s + 1 if method == "dhondt" else 2 * s + 1
        return (1, -Fraction(w, divisor), -w, m)

    for _ in range(total - sum(seats.values())):
        open_ = [m for m, n in needs.items() if n > 0 and not (cap and seats[m] >= n)]
        if not open_:
            break
        seats[min(open_, key=rank)] += 1
    return seats


# --- Against independent references ---------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    needs=unequal_needs(max_members=20),
    total=st.integers(1, 120),
    method=st.sampled_from(METHODS),
)
def test_plain_methods_agree_with_the_apportionment_package(
    needs: dict[str, int], total: int, method: Method
) -> None:
    if method == "huntington_hill":
        # The package gives zero-need members a first seat and ranks in floats: compare
        # where its conventions are the textbook's.
        assume(all(needs.values()) and max(needs.values()) < 10**6)
    ours = apportion(total, needs, method)
    # The package breaks ties by position; ours by need and id. Compare where none occurred.
    assume(not ours.ties)
    theirs = reference.compute(PACKAGE_NAME[method], list(needs.values()), total, fractions=True)
    assert list(ours.shares.values()) == [int(s) for s in theirs]


@settings(max_examples=150, deadline=None)
@given(
    needs=unequal_needs(),
    total=st.integers(0, 400),
    method=st.sampled_from(DIVISOR_METHODS),
    minimum=st.integers(0, 4),
    cap=st.booleans(),
)
def test_divisor_methods_equal_the_naive_sequence_with_min_cap_and_ties(
    needs: dict[str, int], total: int, method: Method, minimum: int, cap: bool
) -> None:
    floors = [min(minimum, n) if cap else minimum for n in needs.values() if n > 0]
    assume(sum(floors) <= total)
    result = apportion(total, needs, method, min_per_member=minimum, cap_at_need=cap)
    assert result.shares == naive_divisor(total, needs, method, minimum, cap)


@pytest.mark.parametrize("method", ["sainte_lague", "dhondt", "hamilton"])
def test_census_sized_needs_agree_with_the_apportionment_package(method: Method) -> None:
    states = list(US_2020_POPULATION.values())
    for seats in (50, 100, 435, 600):
        ours = apportion(seats, US_2020_POPULATION, method)
        theirs = reference.compute(PACKAGE_NAME[method], states, seats, fractions=True)
        assert list(ours.shares.values()) == [int(s) for s in theirs]


# --- Structural properties ------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(needs=unequal_needs(), total=st.integers(0, 700))
def test_hamilton_keeps_every_share_within_its_quota(needs: dict[str, int], total: int) -> None:
    shares = apportion(total, needs, "hamilton").shares
    population = sum(needs.values())
    for member, need in needs.items():
        quota = Fraction(total * need, population)
        assert floor(quota) <= shares[member] <= ceil(quota)


@settings(max_examples=150, deadline=None)
@given(
    needs=unequal_needs(),
    total=st.integers(0, 500),
    method=st.sampled_from(DIVISOR_METHODS),
    minimum=st.integers(0, 3),
    cap=st.booleans(),
)
def test_divisor_methods_never_lower_a_share_when_the_total_grows(
    needs: dict[str, int], total: int, method: Method, minimum: int, cap: bool
) -> None:
    floors = [min(minimum, n) if cap else minimum for n in needs.values() if n > 0]
    assume(sum(floors) <= total)
    smaller = apportion(total, needs, method, min_per_member=minimum, cap_at_need=cap)
    larger = apportion(total + 1, needs, method, min_per_member=minimum, cap_at_need=cap)
    assert all(larger.shares[m] >= smaller.shares[m] for m in needs)


@settings(max_examples=300, deadline=None)
@given(
    needs=unequal_needs(),
    total=st.integers(0, 3_000),
    method=st.sampled_from(METHODS),
    minimum=st.integers(0, 5),
    cap=st.booleans(),
)
def test_shares_add_up_and_respect_minimum_cap_and_zero_need(
    needs: dict[str, int], total: int, method: Method, minimum: int, cap: bool
) -> None:
    floors = {m: min(minimum, n) if cap else minimum for m, n in needs.items() if n > 0}
    assume(sum(floors.values()) <= total)
    result = apportion(total, needs, method, min_per_member=minimum, cap_at_need=cap)
    shares = result.shares
    assert list(shares) == list(needs)
    assert sum(shares.values()) + result.unallocated == total
    # The cap only bites when the total exceeds the sum of the needs; then shares = needs.
    expected_surplus = max(0, total - sum(needs.values())) if cap else 0
    assert result.unallocated == expected_surplus
    for member, need in needs.items():
        if need == 0:
            assert shares[member] == 0
            continue
        assert shares[member] >= floors[member]
        if cap:
            assert shares[member] <= need


@settings(max_examples=100, deadline=None)
@given(needs=unequal_needs(zero=False), method=st.sampled_from(METHODS))
def test_reported_ties_name_the_winners_among_the_tied(
    needs: dict[str, int], method: Method
) -> None:
    # Small totals on small needs make ties frequent.
    for total in range(0, 12):
        for tie in apportion(total, needs, method).ties:
            assert 0 < tie.homes < len(tie.members)
            assert tie.winners == tie.members[: tie.homes]
            order = [(-needs[m], m) for m in tie.members]
            assert order == sorted(order)
