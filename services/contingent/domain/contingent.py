"""The yearly contingent (jaarcontingent): shares, the ledger of homes, redistribution, close.

One ``Contingent`` per year. The coordinator sets the total, each member's declared need and
the rules; the shares follow from :func:`apportion`. Homes then pass through an append-only
ledger (grootboek):

* ``allocated`` — matching asked who is owed a home and the quota rule picked a member. The
  home is *in flight*: it counts as received for the sequencing, so that homes whose tenancy
  has not started yet are not all given to the same member.
* ``released`` — the match fell through or the home was withdrawn before the tenancy.
* ``consumed`` — the tenancy started (TenancyStarted): the home is spent for good.

A member's ``used`` is what it holds: consumed plus in flight. Nothing here reads a clock;
every change carries the business time and the source event id it was given.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Literal

from services.contingent.domain.apportionment import (
    Apportionment,
    Method,
    Tie,
    apportion,
    apportion_within,
)
from services.contingent.domain.errors import (
    CarryOverRefused,
    HomeAlreadyConsumed,
    HomesInFlight,
    InvalidContingent,
    UnknownMember,
    YearClosed,
)
from services.contingent.domain.sequencing import SequencingDecision, next_member

LedgerKind = Literal["allocated", "released", "consumed"]
HoldingStatus = Literal["allocated", "consumed"]
NEARLY_USED_AT = Fraction(9, 10)


# --------------------------------------------------------------------------------------------
# Value objects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    """One line of the ledger. ``decision`` explains an allocation; ``note`` says why else."""

    sequence: int
    kind: LedgerKind
    home_id: str
    member_id: str
    event_id: str
    occurred_at: datetime
    note: str = ""
    decision: SequencingDecision | None = None


@dataclass(frozen=True)
class Holding:
    """What the contingent holds for one home now, and the event that put it there."""

    home_id: str
    member_id: str
    status: HoldingStatus
    event_id: str


@dataclass(frozen=True)
class LedgerResult:
    """Outcome of a release or consume: ``applied`` is False when nothing had to change."""

    applied: bool
    entries: tuple[LedgerEntry, ...]
    message: str


@dataclass(frozen=True)
class MemberView:
    """One member's line for the coordinator (the ``shares`` payload plus a few extras)."""

    member_id: str
    need: int
    share: int
    used: int
    remaining: int
    ideal_to_date: Fraction
    deviation: Fraction
    consumed: int
    in_flight: int
    active: bool
    declared_need: int
    carried_over: int


@dataclass(frozen=True)
class ContingentWarnings:
    """Signals for the coordinator: shares that ran out and a contingent nearly used."""

    exhausted: tuple[str, ...]
    without_share: tuple[str, ...]
    used_homes: int
    total_homes: int
    used_fraction: Fraction
    threshold: Fraction
    nearly_used: bool


@dataclass(frozen=True)
class Redistribution:
    """A recomputation of the unused part (see :meth:`Contingent.redistribute`)."""

    occurred_at: datetime
    pool: int
    unmet_need: dict[str, int]
    shares_before: dict[str, int]
    shares_after: dict[str, int]
    ties: tuple[Tie, ...]
    unallocated: int
    note: str = ""


@dataclass(frozen=True)
class MemberBalance:
    """A member's result for a closed year. ``balance = share - used``.

    ``unused`` (balance > 0): the member received fewer homes than its share.
    ``overrun`` (balance < 0): it received more, through skips or beyond the contingent.
    """

    member_id: str
    need: int
    share: int
    used: int
    balance: int
    unused: int
    overrun: int


@dataclass(frozen=True)
class ClosedYear:
    """The frozen outcome of a year, the input of a carry-over."""

    year: int
    closed_at: datetime
    method: Method
    total_homes: int
    balances: tuple[MemberBalance, ...]
    in_flight_homes: tuple[str, ...] = ()

    def balance(self, member_id: str) -> MemberBalance | None:
        return next((b for b in self.balances if b.member_id == member_id), None)


@dataclass(frozen=True)
class CarryOver:
    """A previous year's unused shares added to this year's need, and the new shares."""

    from_year: int
    added_need: dict[str, int]
    needs: dict[str, int]
    apportionment: Apportionment


def member_needs(members: Mapping[str, int] | Iterable[tuple[str, int]]) -> dict[str, int]:
    """Needs by member id, refusing a member listed twice (a mapping cannot say so itself)."""
    if isinstance(members, Mapping):
        return dict(members)
    needs: dict[str, int] = {}
    for member, need in members:
        if member in needs:
            raise InvalidContingent(
                f"Member {member} is listed twice (needs {needs[member]} and {need}); "
                "list each member once."
            )
        needs[member] = need
    return needs


def carry_over_needs(previous: ClosedYear, needs: Mapping[str, int]) -> dict[str, int]:
    """Need to add per member: its unused share of the previous year, for members in both.

    Overruns are not subtracted: a member only receives more than its share when no member
    allowed by the quota rule could use the home, or beyond the contingent, so it took
    nothing that someone else could have had.
    """
    added: dict[str, int] = {}
    for balance in previous.balances:
        if balance.member_id in needs and balance.unused > 0:
            added[balance.member_id] = balance.unused
    return added


# --------------------------------------------------------------------------------------------
# The aggregate
# --------------------------------------------------------------------------------------------


@dataclass
class Contingent:
    """The yearly contingent. Build a new one with :meth:`create`; the constructor restores one.

    ``needs`` are the declared needs; ``carried_over`` is added to them (see
    :meth:`carry_over`). ``ledger`` and ``redistributions`` only grow, through the methods.
    """

    year: int
    total_homes: int
    method: Method
    min_per_member: int
    cap_at_need: bool
    needs: dict[str, int]
    shares: dict[str, int]
    ties: tuple[Tie, ...] = ()
    unallocated: int = 0
    carried_over: dict[str, int] = field(default_factory=dict)
    carried_over_from: int | None = None
    inactive: frozenset[str] = frozenset()
    ledger: tuple[LedgerEntry, ...] = ()
    redistributions: tuple[Redistribution, ...] = ()
    closed: ClosedYear | None = None
    _holdings: dict[str, Holding] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if set(self.shares) != set(self.needs):
            raise InvalidContingent("Every member needs both a need and a share.")
        # Restoring from storage: the index of homes is rebuilt from the ledger itself.
        for entry in self.ledger:
            _apply(self._holdings, entry)

    @classmethod
    def create(
        cls,
        year: int,
        total_homes: int,
        members: Mapping[str, int] | Iterable[tuple[str, int]],
        method: Method = "sainte_lague",
        *,
        min_per_member: int = 0,
        cap_at_need: bool = False,
    ) -> Contingent:
        if isinstance(year, bool) or not isinstance(year, int) or year < 1:
            raise InvalidContingent(f"Year {year!r} is not a calendar year.")
        needs = member_needs(members)
        result = apportion(
            total_homes, needs, method, min_per_member=min_per_member, cap_at_need=cap_at_need
        )
        return cls(
            year=year,
            total_homes=total_homes,
            method=method,
            min_per_member=min_per_member,
            cap_at_need=cap_at_need,
            needs=needs,
            shares=dict(result.shares),
            ties=result.ties,
            unallocated=result.unallocated,
        )

    def copy(self) -> Contingent:
        """An independent twin: changing one never changes the other. Cheaper than restoring
        from storage — the ledger is not replayed, the state per home is copied — so a process
        can keep the year it read last and hand out a twin while nothing changed."""
        twin = copy.copy(self)
        twin.needs, twin.shares = dict(self.needs), dict(self.shares)
        twin.carried_over = dict(self.carried_over)
        twin._holdings = dict(self._holdings)  # Holding is frozen; the mapping is not
        return twin

    # --- Reading -----------------------------------------------------------------------------

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(self.needs)

    def need(self, member_id: str) -> int:
        """Effective need: declared plus carried over from the previous year."""
        self._check_member(member_id)
        return self.needs[member_id] + self.carried_over.get(member_id, 0)

    def consumed(self, member_id: str) -> int:
        self._check_member(member_id)
        return self._count("consumed")[member_id]

    def in_flight(self, member_id: str) -> int:
        self._check_member(member_id)
        return self._count("allocated")[member_id]

    def used(self, member_id: str) -> int:
        """Homes consumed plus homes allocated and still in flight."""
        return self.consumed(member_id) + self.in_flight(member_id)

    def remaining(self, member_id: str) -> int:
        """Share minus used; negative when a member received more than its share."""
        return self.shares[member_id] - self.used(member_id)

    def homes_so_far(self) -> int:
        """``t`` of the coordinator's view: every home consumed or in flight, all members."""
        return len(self._holdings)

    def ideal_to_date(self, member_id: str) -> Fraction:
        """``t·T_i/H`` with ``t`` the homes consumed or allocated so far (0 at the start)."""
        self._check_member(member_id)
        total = sum(self.shares.values())
        if total == 0:
            return Fraction(0)
        return Fraction(self.homes_so_far() * self.shares[member_id], total)

    def deviation(self, member_id: str) -> Fraction:
        """Used minus ideal to date: negative means behind."""
        return self.used(member_id) - self.ideal_to_date(member_id)

    def standings(self) -> tuple[MemberView, ...]:
        consumed, in_flight = self._count("consumed"), self._count("allocated")
        return tuple(self._view(m, consumed[m], in_flight[m]) for m in self.needs)

    def holding(self, home_id: str) -> Holding | None:
        return self._holdings.get(home_id)

    def explanation(self, home_id: str) -> SequencingDecision | None:
        """The decision of the latest allocation of a home: who was considered and why."""
        for entry in reversed(self.ledger):
            if entry.home_id == home_id and entry.kind == "allocated":
                return entry.decision
        return None

    def warnings(self, threshold: Fraction = NEARLY_USED_AT) -> ContingentWarnings:
        """Members whose share ran out, members with need but no share, and overall use."""
        everyone = self.standings()
        views = [v for v in everyone if v.active and v.need > 0]
        used = sum(v.used for v in everyone)
        fraction = Fraction(used, self.total_homes) if self.total_homes else Fraction(0)
        return ContingentWarnings(
            exhausted=tuple(v.member_id for v in views if v.share > 0 and v.remaining <= 0),
            without_share=tuple(v.member_id for v in views if v.share == 0),
            used_homes=used,
            total_homes=self.total_homes,
            used_fraction=fraction,
            threshold=threshold,
            nearly_used=self.total_homes > 0 and fraction >= threshold,
        )

    # --- The ledger ----------------------------------------------------------------------------

    def allocate(
        self,
        home_id: str,
        eligible_members: Collection[str],
        event_id: str,
        at: datetime,
    ) -> SequencingDecision:
        """Ask the quota rule which member is owed this home, and record the allocation.

        Idempotent per home: a redelivered event (same event id for a home it allocated)
        returns the recorded decision; another allocation of a home that is in flight first
        releases the earlier one, so the home is never counted twice. Members that left, and
        ids not in this contingent, are not eligible.
        """
        self._check_open()
        held = self._holdings.get(home_id)
        if held is not None and held.status == "consumed":
            raise HomeAlreadyConsumed(
                f"Home {home_id} already started a tenancy for {held.member_id} "
                f"(event {held.event_id}); it cannot be allocated again."
            )
        if held is not None and held.event_id == event_id:
            recorded = self.explanation(home_id)
            if recorded is not None:
                return recorded
        if held is not None:
            self._append("released", home_id, held.member_id, event_id, at, "re-allocated")
        decision = next_member(self.shares, self._received(), self._eligible(eligible_members))
        if decision.member_id is not None:
            self._append("allocated", home_id, decision.member_id, event_id, at, "", decision)
        return decision

    def release(self, home_id: str, event_id: str, at: datetime, note: str = "") -> LedgerResult:
        """Give back a home in flight (match fell through, home withdrawn before tenancy)."""
        self._check_open()
        held = self._holdings.get(home_id)
        if held is None:
            return LedgerResult(
                False,
                (),
                f"Home {home_id} is not allocated in the {self.year} contingent; "
                "nothing to release.",
            )
        if held.status == "consumed":
            raise HomeAlreadyConsumed(
                f"Home {home_id} already started a tenancy for {held.member_id} "
                f"(event {held.event_id}); a consumed home cannot be released."
            )
        entry = self._append("released", home_id, held.member_id, event_id, at, note)
        return LedgerResult(True, (entry,), f"Home {home_id} released by {held.member_id}.")

    def consume(
        self, home_id: str, member_id: str, event_id: str, at: datetime, note: str = ""
    ) -> LedgerResult:
        """Count a started tenancy against the member's share.

        An allocation of the home to this member converts; an allocation to another member is
        released first (the tenancy is what happened); without an allocation the home is
        consumed directly. A second tenancy for the same home is ignored when it is for the
        same member and refused when it is for another: a home is never spent twice.
        """
        self._check_open()
        self._check_member(member_id)
        held = self._holdings.get(home_id)
        if held is not None and held.status == "consumed":
            return self._consumed_again(held, member_id)
        entries: list[LedgerEntry] = []
        if held is not None and held.member_id != member_id:
            moved = f"tenancy started for {member_id}"
            entries.append(self._append("released", home_id, held.member_id, event_id, at, moved))
        how = "allocation converted" if held is not None and not entries else "direct"
        text = f"{how}; {note}" if note else how
        entries.append(self._append("consumed", home_id, member_id, event_id, at, text))
        return LedgerResult(
            True, tuple(entries), f"Home {home_id} consumed by {member_id} ({how})."
        )

    # --- Redistribution, members leaving -------------------------------------------------------

    def redistribute(
        self, at: datetime, *, needs: Mapping[str, int] | None = None, note: str = ""
    ) -> Redistribution:
        """Re-apportion what is still unused among the members with unmet need.

        * pool = total homes - homes used by all members (consumed or in flight, members who
          left included);
        * weight of an active member = its unmet need, need - used (never below 0); members
          that left, or whose need is met, get nothing new;
        * the pool is apportioned by the contingent's method on those weights; the cap (if
          set) is the unmet need; the minimum (if set) is topped up: a member gets at least
          what it still lacks of the minimum;
        * new share = used + the member's part of the pool.

        ``needs`` updates declared needs first (a new id adds a member).
        """
        self._check_open()
        declared = self._updated_needs(needs)
        record = self._plan(at, declared, self.inactive, note)
        self.needs = declared
        self._adopt(record)
        return record

    def deactivate(self, member_id: str, at: datetime) -> Redistribution:
        """A member leaves: it keeps its history, its unused share goes to the others."""
        self._check_open()
        self._check_member(member_id)
        if member_id in self.inactive:
            raise InvalidContingent(f"Member {member_id} already left the {self.year} contingent.")
        inactive = self.inactive | {member_id}
        record = self._plan(at, self.needs, inactive, f"member {member_id} left")
        self.inactive = inactive
        self._adopt(record)
        return record

    # --- Closing and carrying over ---------------------------------------------------------

    def close(self, at: datetime, *, count_in_flight_as_used: bool = False) -> ClosedYear:
        """Freeze the year and record every member's balance (share - used).

        Homes still in flight block the close, unless the coordinator counts them as used.
        """
        self._check_open()
        flying = tuple(h.home_id for h in self._holdings.values() if h.status == "allocated")
        if flying and not count_in_flight_as_used:
            raise HomesInFlight(
                f"{_homes(len(flying))} allocated but neither consumed nor released "
                f"({', '.join(flying[:10])}{', …' if len(flying) > 10 else ''}): record their "
                "tenancy or release them before closing, or close counting them as used."
            )
        balances = tuple(_balance(v) for v in self.standings())
        self.closed = ClosedYear(self.year, at, self.method, self.total_homes, balances, flying)
        return self.closed

    def carry_over(self, previous: ClosedYear) -> CarryOver:
        """Add a previous year's unused shares to this year's need and re-apportion.

        Only before the first home of this year is allocated, and only once.
        """
        self._check_open()
        self._check_carry_over(previous)
        added = carry_over_needs(previous, self.needs)
        effective = {m: n + added.get(m, 0) for m, n in self.needs.items()}
        result = apportion(
            self.total_homes,
            effective,
            self.method,
            min_per_member=self.min_per_member,
            cap_at_need=self.cap_at_need,
        )
        self.carried_over = added
        self.carried_over_from = previous.year
        self.shares, self.ties = dict(result.shares), result.ties
        self.unallocated = result.unallocated
        return CarryOver(previous.year, added, effective, result)

    # --- Internals -----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed is not None:
            raise YearClosed(
                f"The {self.year} contingent was closed at {self.closed.closed_at.isoformat()}; "
                f"its figures can no longer change. Record this in the {self.year + 1} contingent."
            )

    def _check_member(self, member_id: str) -> None:
        if member_id not in self.needs:
            raise UnknownMember(
                f"Member {member_id} is not part of the {self.year} contingent; "
                "add it with its need first."
            )

    def _check_carry_over(self, previous: ClosedYear) -> None:
        if self.carried_over_from is not None:
            raise CarryOverRefused(
                f"The {self.year} contingent already carries over {self.carried_over_from}."
            )
        if previous.year >= self.year:
            raise CarryOverRefused(
                f"Only an earlier year can be carried over into {self.year} (got {previous.year})."
            )
        if self.ledger:
            raise CarryOverRefused(
                f"Homes have already been allocated in {self.year}; carry over before the "
                "first home, or use a redistribution with updated needs instead."
            )

    def _count(self, status: HoldingStatus) -> Counter[str]:
        return Counter(h.member_id for h in self._holdings.values() if h.status == status)

    def _received(self) -> dict[str, int]:
        held = Counter(h.member_id for h in self._holdings.values())
        return {m: held[m] for m in self.needs}

    def _eligible(self, members: Collection[str]) -> list[str]:
        return [m for m in members if m in self.needs and m not in self.inactive]

    def _view(self, member_id: str, consumed: int, in_flight: int) -> MemberView:
        used = consumed + in_flight
        ideal = self.ideal_to_date(member_id)
        return MemberView(
            member_id=member_id,
            need=self.need(member_id),
            share=self.shares[member_id],
            used=used,
            remaining=self.shares[member_id] - used,
            ideal_to_date=ideal,
            deviation=used - ideal,
            consumed=consumed,
            in_flight=in_flight,
            active=member_id not in self.inactive,
            declared_need=self.needs[member_id],
            carried_over=self.carried_over.get(member_id, 0),
        )

    def _append(
        self,
        kind: LedgerKind,
        home_id: str,
        member_id: str,
        event_id: str,
        at: datetime,
        note: str = "",
        decision: SequencingDecision | None = None,
    ) -> LedgerEntry:
        entry = LedgerEntry(
            len(self.ledger) + 1, kind, home_id, member_id, event_id, at, note, decision
        )
        _apply(self._holdings, entry)
        self.ledger = (*self.ledger, entry)
        return entry

    def _consumed_again(self, held: Holding, member_id: str) -> LedgerResult:
        if held.member_id == member_id:
            return LedgerResult(
                False,
                (),
                f"Home {held.home_id} already counts as a tenancy for {member_id} "
                f"(event {held.event_id}); nothing changed.",
            )
        raise HomeAlreadyConsumed(
            f"Home {held.home_id} already counts as a tenancy for {held.member_id} "
            f"(event {held.event_id}); it was not counted for {member_id} as well. "
            "Check which member's client moved in and correct the tenancy."
        )

    def _updated_needs(self, needs: Mapping[str, int] | None) -> dict[str, int]:
        declared = {**self.needs, **(needs or {})}
        for member, need in declared.items():
            if isinstance(need, bool) or not isinstance(need, int) or need < 0:
                raise InvalidContingent(
                    f"Member {member} has need {need!r}; a need is a whole number of homes, "
                    "0 or more."
                )
        return declared

    def _plan(
        self,
        at: datetime,
        declared: Mapping[str, int],
        inactive: frozenset[str],
        note: str,
    ) -> Redistribution:
        """Compute a redistribution without changing anything (so a refusal leaves no trace)."""
        received = Counter(h.member_id for h in self._holdings.values())
        used = {m: received[m] for m in declared}
        pool = max(0, self.total_homes - sum(received.values()))
        need = {m: n + self.carried_over.get(m, 0) for m, n in declared.items()}
        unmet = {m: (max(0, need[m] - used[m]) if m not in inactive else 0) for m in declared}
        extra, ties, unallocated = self._apportion_pool(pool, need, used, unmet)
        return Redistribution(
            occurred_at=at,
            pool=pool,
            unmet_need=unmet,
            shares_before={m: self.shares.get(m, 0) for m in declared},
            shares_after={m: used[m] + extra[m] for m in declared},
            ties=ties,
            unallocated=unallocated,
            note=note,
        )

    def _apportion_pool(
        self,
        pool: int,
        need: Mapping[str, int],
        used: Mapping[str, int],
        unmet: Mapping[str, int],
    ) -> tuple[dict[str, int], tuple[Tie, ...], int]:
        if pool == 0 or not any(unmet.values()):
            return dict.fromkeys(unmet, 0), (), pool
        minimums = {m: self._minimum_top_up(need[m], used[m]) for m, w in unmet.items() if w}
        lacking = sum(minimums.values())
        if lacking > pool:
            raise InvalidContingent(
                f"Redistribution cannot keep the minimum of {self.min_per_member} per member: "
                f"members still short of it need {lacking} homes and only {pool} are unused. "
                "Lower the minimum per member or raise the total."
            )
        caps = dict(unmet) if self.cap_at_need else None
        result = apportion_within(pool, unmet, self.method, minimums=minimums, caps=caps)
        return dict(result.shares), result.ties, result.unallocated

    def _minimum_top_up(self, need: int, used: int) -> int:
        floor = min(self.min_per_member, need) if self.cap_at_need else self.min_per_member
        return max(0, floor - used)

    def _adopt(self, record: Redistribution) -> None:
        self.shares = dict(record.shares_after)
        self.ties = record.ties
        self.unallocated = record.unallocated
        self.redistributions = (*self.redistributions, record)


def _apply(holdings: dict[str, Holding], entry: LedgerEntry) -> None:
    """The ledger's state machine per home; also guards a ledger restored from storage."""
    held = holdings.get(entry.home_id)
    if entry.kind == "allocated" and held is None:
        holdings[entry.home_id] = Holding(
            entry.home_id, entry.member_id, "allocated", entry.event_id
        )
    elif entry.kind == "released" and held is not None and held.status == "allocated":
        del holdings[entry.home_id]
    elif entry.kind == "consumed" and (
        held is None or (held.status == "allocated" and held.member_id == entry.member_id)
    ):
        holdings[entry.home_id] = Holding(
            entry.home_id, entry.member_id, "consumed", entry.event_id
        )
    else:
        raise InvalidContingent(
            f"Ledger entry {entry.sequence} ({entry.kind} of home {entry.home_id} for "
            f"{entry.member_id}) does not follow from the entries before it."
        )


def _homes(count: int) -> str:
    return "1 home is" if count == 1 else f"{count} homes are"


def _balance(view: MemberView) -> MemberBalance:
    balance = view.share - view.used
    return MemberBalance(
        member_id=view.member_id,
        need=view.need,
        share=view.share,
        used=view.used,
        balance=balance,
        unused=max(0, balance),
        overrun=max(0, -balance),
    )
