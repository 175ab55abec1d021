"""Apportionment (verdeling) of a yearly contingent of homes among member organisations.

A member's declared need (behoefte) is its weight. Four textbook methods are supported:

* ``sainte_lague`` — Sainte-Laguë / Webster, divisors 1, 3, 5, … (default: unbiased between
  large and small members);
* ``dhondt`` — D'Hondt / Jefferson, divisors 1, 2, 3, …;
* ``huntington_hill`` — Huntington-Hill / equal proportions, divisor sqrt(s(s+1)), compared
  exactly as need² / (s(s+1)); the first home of every member has infinite priority;
* ``hamilton`` — Hamilton / largest remainder (Hare quota).

Everything is computed in exact rational arithmetic (``fractions.Fraction``): floats order
near-equal priorities wrongly on census-sized needs and would hide or invent ties.

Rules, all documented in docs/fair-allocation.md:

* Ties are broken by larger need, then by member id ascending. A tie that the rule actually had
  to decide (equal priority straddling the last home(s)) is reported in ``Apportionment.ties``.
* A member with need 0 gets 0 homes, also when a minimum applies.
* ``min_per_member``: every member with need > 0 first holds the minimum (at most its need when
  ``cap_at_need``); divisor methods continue their priority sequence from the homes already
  held; Hamilton fixes members whose quota falls short of the minimum and re-runs on the rest.
* ``cap_at_need``: nobody gets more than its need; divisor methods stop giving to a capped
  member, Hamilton fixes capped members at their need and re-runs on the rest. Homes that no
  member can take are reported as ``unallocated``.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import isqrt
from typing import Literal

from services.contingent.domain.errors import InvalidContingent

Method = Literal["sainte_lague", "dhondt", "hamilton", "huntington_hill"]
METHODS: tuple[Method, ...] = ("sainte_lague", "dhondt", "hamilton", "huntington_hill")


@dataclass(frozen=True)
class Tie:
    """A genuine tie: more members with the same priority than homes left for them.

    ``members`` lists every tied member in tie-break order (larger need first, then member id);
    ``winners`` are the first ``homes`` of them. ``value`` is the tied quantity: the divisor
    priority need / d(s) in standard form (D'Hondt d = s + 1, Sainte-Laguë d = s + 1/2,
    Huntington-Hill squared: need² / (s(s+1))), the Hamilton remainder, or — for
    Huntington-Hill with fewer homes than members — the need itself.
    """

    members: tuple[str, ...]
    homes: int
    winners: tuple[str, ...]
    value: Fraction

    @property
    def losers(self) -> tuple[str, ...]:
        return tuple(m for m in self.members if m not in self.winners)


@dataclass(frozen=True)
class Apportionment:
    """The result: ``shares`` holds every member of the input, in input order."""

    method: Method
    total: int
    shares: dict[str, int]
    ties: tuple[Tie, ...] = ()
    unallocated: int = 0

    @property
    def allocated(self) -> int:
        return self.total - self.unallocated


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def apportion(
    total: int,
    needs: Mapping[str, int],
    method: Method = "sainte_lague",
    *,
    min_per_member: int = 0,
    cap_at_need: bool = False,
) -> Apportionment:
    """Share ``total`` homes among members in proportion to their ``needs``.

    Without a minimum and a cap the result is exactly the textbook apportionment of ``total``
    seats to populations ``needs`` by ``method``.
    """
    _check_method(method)
    _check_total(total)
    _check_needs(needs)
    if not _is_int(min_per_member) or min_per_member < 0:
        raise InvalidContingent(
            f"The minimum per member must be a whole number of 0 or more (got {min_per_member!r});"
            " use 0 for none."
        )
    minimums = {
        m: (min(min_per_member, n) if cap_at_need else min_per_member)
        for m, n in needs.items()
        if n > 0
    }
    _check_minimum_fits(total, min_per_member, minimums, cap_at_need)
    caps = dict(needs) if cap_at_need else None
    return _apportion(total, needs, method, minimums, caps)


def apportion_within(
    total: int,
    weights: Mapping[str, int],
    method: Method,
    *,
    minimums: Mapping[str, int],
    caps: Mapping[str, int] | None,
) -> Apportionment:
    """Like :func:`apportion`, with a minimum and a cap per member.

    Redistribution uses this: each member's weight is its unmet need, its minimum is what it
    still lacks of the yearly minimum, and its cap its unmet need. Members with weight 0 get 0;
    a minimum applies only to members with weight > 0.
    """
    _check_method(method)
    _check_total(total)
    _check_needs(weights)
    _check_bounds(weights, minimums, caps)
    floors = {m: minimums.get(m, 0) for m, w in weights.items() if w > 0}
    required = sum(floors.values())
    if required > total:
        raise InvalidContingent(
            f"The members' minimums add up to {required} homes; only {total} are available: "
            "lower the minimum or raise the total."
        )
    return _apportion(total, weights, method, floors, caps)


# --------------------------------------------------------------------------------------------
# Validation: messages a coordinator can act on
# --------------------------------------------------------------------------------------------


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise InvalidContingent(f"Unknown method {method!r}; choose one of {', '.join(METHODS)}.")


def _check_total(total: int) -> None:
    if not _is_int(total) or total < 0:
        raise InvalidContingent(
            f"The total number of homes must be a whole number of 0 or more (got {total!r})."
        )


def _check_needs(needs: Mapping[str, int]) -> None:
    if not needs:
        raise InvalidContingent(
            "A contingent needs at least one member: add the member organisations and their need."
        )
    for member, need in needs.items():
        if not isinstance(member, str) or not member.strip():
            raise InvalidContingent(f"Member id {member!r} is empty; give every member an id.")
        if not _is_int(need) or need < 0:
            raise InvalidContingent(
                f"Member {member} has need {need!r}; a need is a whole number of homes, 0 or more."
            )


def _check_bounds(
    weights: Mapping[str, int], minimums: Mapping[str, int], caps: Mapping[str, int] | None
) -> None:
    for member in [*minimums, *(caps or {})]:
        if member not in weights:
            raise InvalidContingent(f"Member {member} has a minimum or cap but no need.")
    for member in weights:
        low = minimums.get(member, 0)
        if not _is_int(low) or low < 0:
            raise InvalidContingent(f"Member {member} has minimum {low!r}; use 0 or more.")
        if caps is None:
            continue
        if member not in caps:
            raise InvalidContingent(f"Member {member} has no cap; give every member a cap or none.")
        if not _is_int(caps[member]) or not low <= caps[member]:
            raise InvalidContingent(
                f"Member {member} has minimum {low} and cap {caps[member]!r}; "
                "the cap must be a whole number not below the minimum."
            )


def _check_minimum_fits(
    total: int, minimum: int, minimums: Mapping[str, int], capped: bool
) -> None:
    required = sum(minimums.values())
    if required <= total:
        return
    qualifier = " (at most each member's need)" if capped else ""
    raise InvalidContingent(
        f"a minimum of {minimum}{qualifier} for {len(minimums)} members needs {required} homes; "
        f"the total is {total}: lower the minimum or raise the total"
    )


def _is_int(value: object) -> bool:
    # bool is an int subclass; True homes is never what a coordinator meant.
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------
# The apportionment proper
# --------------------------------------------------------------------------------------------


def _apportion(
    total: int,
    needs: Mapping[str, int],
    method: Method,
    minimums: Mapping[str, int],
    caps: Mapping[str, int] | None,
) -> Apportionment:
    weights = {m: n for m, n in needs.items() if n > 0}
    if not weights:
        if total > 0:
            raise InvalidContingent(
                f"Every member's need is 0, so {total} homes cannot be shared on the basis of "
                "need: declare the members' need (or set the total to 0)."
            )
        return Apportionment(method, total, dict.fromkeys(needs, 0))
    low = {m: minimums.get(m, 0) for m in weights}
    high = {m: caps[m] for m in weights} if caps is not None else None
    if method == "hamilton":
        seats, ties = _hamilton(total, weights, low, high)
    else:
        seats, ties = _divisor(total, weights, method, low, high)
    shares = {m: seats.get(m, 0) for m in needs}
    return Apportionment(method, total, shares, ties, total - sum(shares.values()))


def _tie_order(weights: Mapping[str, int]) -> dict[str, tuple[int, str]]:
    """Sort key of the documented tie-break: larger need first, then member id ascending."""
    return {m: (-w, m) for m, w in weights.items()}


def _award_top(
    values: Mapping[str, Fraction], seats: int, weights: Mapping[str, int]
) -> tuple[list[str], tuple[Tie, ...]]:
    """One home each to the ``seats`` members with the largest value; report a straddling tie."""
    key = _tie_order(weights)
    order = sorted(values, key=lambda m: (-values[m], key[m]))
    winners = order[:seats]
    if seats == 0 or seats >= len(order) or values[order[seats]] != values[order[seats - 1]]:
        return winners, ()
    cut = values[order[seats - 1]]
    tied = tuple(m for m in order if values[m] == cut)
    won = tuple(m for m in tied if m in winners)
    return winners, (Tie(tied, len(won), won, cut),)


# --- Hamilton --------------------------------------------------------------------------------


def _hamilton(
    total: int,
    weights: Mapping[str, int],
    low: Mapping[str, int],
    high: Mapping[str, int] | None,
) -> tuple[dict[str, int], tuple[Tie, ...]]:
    fixed = _hamilton_fixed(total, weights, low, high)
    rest = {m: w for m, w in weights.items() if m not in fixed}
    left = total - sum(fixed.values())
    if not rest:
        return fixed, ()
    seats, ties = _largest_remainder(left, rest)
    return {**fixed, **seats}, ties


def _hamilton_fixed(
    total: int,
    weights: Mapping[str, int],
    low: Mapping[str, int],
    high: Mapping[str, int] | None,
) -> dict[str, int]:
    """Members held at their minimum or cap, found by re-running the quota on the rest.

    Minimums are fixed first: fixing a member above its quota lowers everyone else's quota, so
    more members may fall short; repeat until stable. Caps are fixed when no minimum binds;
    fixing a member below its quota raises the others' quotas, so repeat as well. Each round
    fixes at least one member, so this ends. With the cap equal to the weight (the need) the
    two never interact: a cap binds only when the total exceeds the sum of the needs, and then
    no quota falls short of a minimum.
    """
    fixed: dict[str, int] = {}
    while len(fixed) < len(weights):
        rest = {m: w for m, w in weights.items() if m not in fixed}
        quotas = _quotas(total - sum(fixed.values()), rest)
        short = {m: low[m] for m, q in quotas.items() if q < low[m]}
        over = {m: high[m] for m, q in quotas.items() if high is not None and q > high[m]}
        if not short and not over:
            break
        fixed.update(short or over)
    return fixed


def _quotas(seats: int, weights: Mapping[str, int]) -> dict[str, Fraction]:
    population = sum(weights.values())
    return {m: Fraction(seats * w, population) for m, w in weights.items()}


def _largest_remainder(
    seats: int, weights: Mapping[str, int]
) -> tuple[dict[str, int], tuple[Tie, ...]]:
    quotas = _quotas(seats, weights)
    result = {m: q.numerator // q.denominator for m, q in quotas.items()}
    remainders = {m: q - result[m] for m, q in quotas.items()}
    winners, ties = _award_top(remainders, seats - sum(result.values()), weights)
    for m in winners:
        result[m] += 1
    return result, ties


# --- Divisor methods -------------------------------------------------------------------------


def _priority(method: Method, weight: int, seats: int) -> Fraction:
    """Priority of a member's next home when it holds ``seats`` homes (higher goes first).

    Standard divisor form, weight / d(s) with s <= d(s) <= s + 1: D'Hondt d = s + 1,
    Sainte-Laguë d = s + 1/2 (the same order as divisors 2s + 1), Huntington-Hill
    d = sqrt(s(s+1)), squared so that it stays rational. Huntington-Hill's s = 0 (infinite
    priority) is handled before this is called.
    """
    if method == "dhondt":
        return Fraction(weight, seats + 1)
    if method == "sainte_lague":
        return Fraction(2 * weight, 2 * seats + 1)
    return Fraction(weight * weight, seats * (seats + 1))


def _seats_above(method: Method, weight: int, threshold: Fraction) -> int:
    """How many homes s = 0, 1, 2, … of a member have a priority strictly above ``threshold``."""
    if method == "huntington_hill":
        # s(s+1) < weight² / threshold; s = 0 (infinite priority) always counts.
        bound = Fraction(weight * weight) / threshold
        s = isqrt(bound.numerator // bound.denominator)
        while s > 0 and s * (s + 1) >= bound:
            s -= 1
        while (s + 1) * (s + 2) < bound:
            s += 1
        return s + 1
    # D'Hondt: s + 1 < w/θ; Sainte-Laguë: s + 1/2 < w/θ. Count s = 0 .. ceil(bound) - 1.
    offset = Fraction(1, 2) if method == "sainte_lague" else Fraction(1)
    bound = Fraction(weight) / threshold - offset
    return max(0, _ceil(bound))


def _ceil(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


def _divisor(
    total: int,
    weights: Mapping[str, int],
    method: Method,
    low: Mapping[str, int],
    high: Mapping[str, int] | None,
) -> tuple[dict[str, int], tuple[Tie, ...]]:
    seats = dict(low)
    if method == "huntington_hill":
        done, ties = _first_homes(total, weights, seats, high)
        if done:
            return seats, ties
    seats = _jump_start(total, weights, method, seats, high)
    return _highest_averages(total, weights, method, seats, high)


def _first_homes(
    total: int,
    weights: Mapping[str, int],
    seats: dict[str, int],
    high: Mapping[str, int] | None,
) -> tuple[bool, tuple[Tie, ...]]:
    """Huntington-Hill: every member without a home has infinite priority for its first one.

    If there are enough homes, each gets one first. If not, the usual convention ranks them by
    need, and the apportionment is complete (returns True).
    """
    empty = [m for m in weights if seats[m] == 0 and (high is None or high[m] > 0)]
    left = total - sum(seats.values())
    if left < len(empty):
        winners, ties = _award_top({m: Fraction(weights[m]) for m in empty}, left, weights)
        for m in winners:
            seats[m] = 1
        return True, ties
    for m in empty:
        seats[m] = 1
    return False, ()


def _jump_start(
    total: int,
    weights: Mapping[str, int],
    method: Method,
    held: Mapping[str, int],
    high: Mapping[str, int] | None,
) -> dict[str, int]:
    """Skip the bulk of the one-home-at-a-time sequence, so that any total is cheap.

    For a threshold θ, the sequence that starts from the homes already held gives member i
    clamp(#priorities above θ, held_i, cap_i) homes before any priority <= θ is reached. With
    θ = sum(w) / spare each count is below w·spare/sum(w) + 1, so with spare = total - n the
    counts stay below the total; minimums can push the clamped sum over, and then
    spare = total - held - n always fits. The sequence continues from there, so the result,
    ties included, is that of the plain sequence.
    """
    n = len(weights)
    for spare in (total - n, total - sum(held.values()) - n):
        if spare <= 0:
            break
        threshold = Fraction(sum(weights.values()), spare)
        if method == "huntington_hill":
            threshold = threshold * threshold
        counts = {m: max(held[m], _seats_above(method, w, threshold)) for m, w in weights.items()}
        if high is not None:
            counts = {m: min(c, high[m]) for m, c in counts.items()}
        if sum(counts.values()) <= total:
            return counts
    return dict(held)


def _highest_averages(
    total: int,
    weights: Mapping[str, int],
    method: Method,
    seats: dict[str, int],
    high: Mapping[str, int] | None,
) -> tuple[dict[str, int], tuple[Tie, ...]]:
    """Give the remaining homes one by one to the highest priority, level by level.

    All members sharing the top priority form a level. If the level fits in the homes left,
    all get one; otherwise it is a genuine tie, decided by the tie-break and reported.
    """
    key = _tie_order(weights)
    heap = [
        (-_priority(method, w, seats[m]), key[m], m)
        for m, w in weights.items()
        if high is None or seats[m] < high[m]
    ]
    heapq.heapify(heap)
    left = total - sum(seats.values())
    while left > 0 and heap:
        top = heap[0][0]
        level: list[str] = []
        while heap and heap[0][0] == top:
            level.append(heapq.heappop(heap)[2])
        winners = level[:left]
        for m in winners:
            seats[m] += 1
            if high is None or seats[m] < high[m]:
                heapq.heappush(heap, (-_priority(method, weights[m], seats[m]), key[m], m))
        left -= len(winners)
        if len(level) > len(winners):
            return seats, (Tie(tuple(level), len(winners), tuple(winners), -top),)
    return seats, ()
