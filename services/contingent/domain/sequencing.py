"""In-year sequencing (volgorde): which member is owed the next home.

Balinski and Young's quota method, exactly as DESIGN.md states it. ``T_i`` is member i's
share, ``H`` the sum of the shares, ``x_i`` the homes member i has received (allocated and not
released, or consumed) and ``t = sum(x) + 1`` the number of the home being allocated.

* Member i is *allowed* by the quota rule iff ``T_i > 0``, ``x_i < t·T_i/H`` and ``x_i < T_i``
  (for ``t <= H`` the second test follows from the first; beyond the contingent it is the one
  that binds).
* Among the members that are allowed *and* have an eligible candidate, the smallest
  ``(x_i + 1) / T_i`` wins; ties: larger ``T_i``, then member id.
* If no allowed member is eligible, the rule is *skipped*: the eligible member with a share and
  the smallest ``(x_i + 1) / T_i`` wins, and ``skipped`` is set so it can be shown and counted.
* If no member with a share is eligible, nobody wins (``member_id`` is None).
* When ``t > H`` (more homes than the contingent's total) homes are still sequenced the same
  way and flagged ``beyond_contingent``. Once every share is used up nobody is allowed; the
  home then goes to the eligible member with the smallest ``(x_i + 1) / T_i`` without counting
  as a skip, since no allowed member was passed over.

With every member always eligible this keeps each member within one home of its ideal
cumulative share ``t·T_i/H`` (``floor <= x_i <= ceil``) and lands every member on ``T_i``
at ``t = H``; see the property tests.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import floor

from services.contingent.domain.errors import InvalidContingent


@dataclass(frozen=True)
class MemberStanding:
    """One member's position when home ``t`` is to be allocated (before allocating it).

    ``ideal_to_date`` is ``t·share/H`` for the home being allocated, so a member that is
    exactly on schedule shows a deviation between -1 and 0 until it receives the home.
    ``priority`` is ``(received + 1) / share``: smaller goes first.
    """

    member_id: str
    share: int
    received: int
    ideal_to_date: Fraction
    deviation: Fraction
    allowed: bool
    eligible: bool
    priority: Fraction


@dataclass(frozen=True)
class SequencingDecision:
    """Who is owed home ``home_number``, with every member's standing and the reason why.

    ``exceeds_share`` is set when the winner already received its whole share (possible only
    when the rule was skipped or beyond the contingent).
    """

    member_id: str | None
    home_number: int
    skipped: bool
    beyond_contingent: bool
    standings: tuple[MemberStanding, ...]
    reason: str
    exceeds_share: bool = False

    def standing(self, member_id: str) -> MemberStanding | None:
        return next((s for s in self.standings if s.member_id == member_id), None)


def next_member(
    shares: Mapping[str, int],
    received: Mapping[str, int],
    eligible: Collection[str],
) -> SequencingDecision:
    """Decide which member is owed the next home.

    ``received`` may hold members without a share (they still count towards ``t``); ids in
    ``eligible`` that have no share are ignored, since the contingent owes them nothing.
    """
    _check(shares, received)
    total = sum(shares.values())
    home = sum(received.values()) + 1
    wanted = set(eligible)
    standings = tuple(
        _standing(m, share, received.get(m, 0), home, total, m in wanted)
        for m, share in shares.items()
        if share > 0
    )
    beyond = home > total
    allowed = [s for s in standings if s.allowed and s.eligible]
    if allowed:
        winner = _first(allowed)
        reason = _allowed_reason(winner, allowed, home, total)
        return _decision(winner, home, False, beyond, standings, reason)
    fallback = [s for s in standings if s.eligible]
    if fallback:
        winner = _first(fallback)
        # Only a bypassed allowed member makes a skip; beyond the contingent with every share
        # used up nobody is allowed, and handing out the extra home skips nothing.
        skipped = any(s.allowed for s in standings)
        reason = _fallback_reason(winner, fallback, standings, home, total)
        return _decision(winner, home, skipped, beyond, standings, reason)
    return SequencingDecision(None, home, False, beyond, standings, _nobody_reason(standings, home))


def _check(shares: Mapping[str, int], received: Mapping[str, int]) -> None:
    for member, share in shares.items():
        if share < 0:
            raise InvalidContingent(f"Member {member} has a negative share ({share}).")
    for member, count in received.items():
        if count < 0:
            raise InvalidContingent(f"Member {member} has received a negative number ({count}).")


def _standing(
    member: str, share: int, received: int, home: int, total: int, eligible: bool
) -> MemberStanding:
    # x < t·T/H tested as x·H < t·T: exact, and cheaper than comparing fractions.
    return MemberStanding(
        member_id=member,
        share=share,
        received=received,
        ideal_to_date=Fraction(home * share, total),
        deviation=Fraction(received * total - home * share, total),
        allowed=received * total < home * share and received < share,
        eligible=eligible,
        priority=Fraction(received + 1, share),
    )


def _rank(standing: MemberStanding) -> tuple[Fraction, int, str]:
    # Smallest (x+1)/T first; ties: larger share, then member id.
    return (standing.priority, -standing.share, standing.member_id)


def _first(candidates: list[MemberStanding]) -> MemberStanding:
    return min(candidates, key=_rank)


def _decision(
    winner: MemberStanding,
    home: int,
    skipped: bool,
    beyond: bool,
    standings: tuple[MemberStanding, ...],
    reason: str,
) -> SequencingDecision:
    exceeds = winner.received >= winner.share
    return SequencingDecision(winner.member_id, home, skipped, beyond, standings, reason, exceeds)


# --- Explanations ----------------------------------------------------------------------------


def _allowed_reason(
    winner: MemberStanding, candidates: list[MemberStanding], home: int, total: int
) -> str:
    if winner.share < winner.ideal_to_date:
        test = f"{winner.received} received < share {winner.share}"
    else:
        test = f"{winner.received} received < {_decimal(winner.ideal_to_date)} ideal"
    prefix = f"home {home} is beyond the contingent total of {total}; " if home > total else ""
    return (
        f"{prefix}{winner.member_id} was allowed by the quota rule ({test}) and had the "
        f"smallest (x+1)/share = {_ratio(winner)} among eligible members"
        f"{_tie_note(winner, candidates)}"
    )


def _fallback_reason(
    winner: MemberStanding,
    candidates: list[MemberStanding],
    standings: tuple[MemberStanding, ...],
    home: int,
    total: int,
) -> str:
    allowed = [s.member_id for s in standings if s.allowed]
    if allowed:
        why = (
            "no member allowed by the quota rule had an eligible candidate (allowed: "
            f"{', '.join(allowed)}), so the rule was skipped"
        )
    else:
        why = f"home {home} is beyond the contingent total of {total} and every share is used up"
    return (
        f"{why}: {winner.member_id} had the smallest (x+1)/share = {_ratio(winner)} among "
        f"eligible members ({winner.received} received, {_decimal(winner.ideal_to_date)} ideal)"
        f"{_tie_note(winner, candidates)}"
    )


def _nobody_reason(standings: tuple[MemberStanding, ...], home: int) -> str:
    if not standings:
        return f"no member has a share in this contingent, so home {home} is owed to nobody"
    return f"no member with a share has an eligible candidate for home {home}"


def _tie_note(winner: MemberStanding, candidates: list[MemberStanding]) -> str:
    tied = [s for s in candidates if s.priority == winner.priority and s is not winner]
    if not tied:
        return ""
    on = "larger share" if all(s.share < winner.share for s in tied) else "member id"
    names = ", ".join(s.member_id for s in tied)
    return f"; tied with {names} at {_ratio(winner)}, won on {on}"


def _ratio(standing: MemberStanding) -> str:
    # Unreduced, so the reader sees x+1 and the share themselves: 4/10, not 2/5.
    return f"{standing.received + 1}/{standing.share}"


def _decimal(value: Fraction) -> str:
    """Two decimals, rounded half up, without going through a float."""
    hundredths = floor(value * 100 + Fraction(1, 2))
    whole, part = divmod(hundredths, 100)
    return f"{whole}.{part:02d}"
