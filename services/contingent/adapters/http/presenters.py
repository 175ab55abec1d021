"""From the domain and the stored records to the HTTP payloads, filtered for the viewer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from services.contingent.adapters.http.schemas import (
    BalanceOut,
    ClosedOut,
    ContingentOut,
    DecisionOut,
    LedgerEntryOut,
    MemberOut,
    PledgeOut,
    RedistributionLine,
    RedistributionOut,
    ShareOut,
    StandingOut,
    StoredDecisionOut,
    TieOut,
    TotalsOut,
    WarningsOut,
)
from services.contingent.application.access import Viewer
from services.contingent.application.ports import Member, Pledge
from services.contingent.domain.apportionment import Tie
from services.contingent.domain.contingent import Contingent, Redistribution


def member_out(m: Member) -> MemberOut:
    return MemberOut(member_id=m.member_id, name=m.name, active=m.active,
                     created_at=m.created_at, deactivated_at=m.deactivated_at)


def ties_out(ties: Sequence[Tie], viewer: Viewer | None = None) -> list[TieOut]:
    return [TieOut(members=list(t.members), homes=t.homes, winners=list(t.winners),
                   losers=list(t.losers), value=str(t.value))
            for t in ties if viewer is None or any(viewer.sees(m) for m in t.members)]


def contingent_out(
    c: Contingent, viewer: Viewer, pledges: Sequence[Pledge], delivered: Mapping[str, int],
) -> ContingentOut:
    """The coordinator's view; a member's caseworker or supporter gets its own line only
    (and the year's headline figures)."""
    views = c.standings()
    warnings = c.warnings()
    lines = [ShareOut(
        member_id=v.member_id, need=v.need, share=v.share, used=v.consumed,
        remaining=v.remaining, ideal_to_date=float(v.ideal_to_date),
        deviation=float(v.deviation), allocated=v.in_flight, in_flight=v.in_flight,
        consumed=v.consumed, active=v.active, declared_need=v.declared_need,
        carried_over=v.carried_over,
    ) for v in sorted(views, key=lambda v: v.member_id) if viewer.sees(v.member_id)]
    closed = None
    if c.closed is not None:
        closed = ClosedOut(
            closed_at=c.closed.closed_at,
            in_flight_counted_as_used=list(c.closed.in_flight_homes),
            balances=[BalanceOut(member_id=b.member_id, need=b.need, share=b.share,
                                 used=b.used, balance=b.balance, unused=b.unused,
                                 overrun=b.overrun)
                      for b in c.closed.balances if viewer.sees(b.member_id)])
    return ContingentOut(
        year=c.year, total_homes=c.total_homes, method=c.method,
        min_per_member=c.min_per_member, cap_at_need=c.cap_at_need,
        status="closed" if c.closed else "open", homes_allocated=c.homes_so_far(),
        unallocated=c.unallocated, carried_over_from=c.carried_over_from,
        pledges=[PledgeOut(corporation_id=p.corporation_id, homes=p.homes,
                           delivered=delivered.get(p.corporation_id, 0)) for p in pledges],
        ties=ties_out(c.ties, viewer),
        totals=TotalsOut(
            need=sum(v.need for v in views), share=sum(v.share for v in views),
            used=sum(v.consumed for v in views), in_flight=sum(v.in_flight for v in views),
            remaining=sum(v.remaining for v in views)),
        warnings=WarningsOut(
            exhausted=[m for m in warnings.exhausted if viewer.sees(m)],
            without_share=[m for m in warnings.without_share if viewer.sees(m)],
            nearly_used=warnings.nearly_used, used_homes=warnings.used_homes,
            total_homes=warnings.total_homes, used_fraction=float(warnings.used_fraction),
            threshold=float(warnings.threshold)),
        closed=closed,
        shares=lines,
    )


def redistribution_out(
    year: int, r: Redistribution, after_entry: int | None = None
) -> RedistributionOut:
    return RedistributionOut(
        year=year, occurred_at=r.occurred_at, after_entry=after_entry, pool=r.pool,
        unallocated=r.unallocated, note=r.note, ties=ties_out(r.ties),
        shares=[RedistributionLine(member_id=m, unmet_need=r.unmet_need.get(m, 0),
                                   share_before=r.shares_before.get(m, 0), share_after=after)
                for m, after in sorted(r.shares_after.items())])


def redistribution_row_out(row: Any) -> RedistributionOut:
    ties = [Tie(tuple(t["members"]), t["homes"], tuple(t["winners"]), Fraction(t["value"]))
            for t in row.ties]
    record = Redistribution(
        occurred_at=row.occurred_at, pool=row.pool, unmet_need=row.unmet_need,
        shares_before=row.shares_before, shares_after=row.shares_after, ties=tuple(ties),
        unallocated=row.unallocated, note=row.note)
    return redistribution_out(row.year, record, row.after_entry)


def ledger_entry_out(row: Any) -> LedgerEntryOut:
    return LedgerEntryOut(
        entry_id=row.entry_id, sequence=row.sequence, year=row.year, home_id=row.home_id,
        member_id=row.member_id, kind=row.kind, note=row.note, event_id=row.event_id,
        event_type=row.event_type, round=row.round, corporation_id=row.corporation_id,
        occurred_at=row.occurred_at)


def _standing(s: Mapping[str, Any]) -> StandingOut:
    ideal, deviation = Fraction(s["ideal_to_date"]), Fraction(s["deviation"])
    return StandingOut(
        member_id=s["member_id"], share=s["share"], received=s["received"],
        ideal_to_date=float(ideal), ideal_to_date_exact=str(ideal),
        deviation=float(deviation), deviation_exact=str(deviation), allowed=s["allowed"],
        eligible=s["eligible"], priority=str(s["priority"]))


def _decision_fields(member_id: str | None, e: Mapping[str, Any]) -> dict[str, Any]:
    considered = [_standing(s) for s in e.get("standings", [])]
    shown = {s.member_id for s in considered}
    eligible = list(e.get("eligible_members", []))
    return dict(
        member_id=member_id, home_number=e.get("home_number", 0),
        skipped=e.get("skipped", False), beyond_contingent=e.get("beyond_contingent", False),
        exceeds_share=e.get("exceeds_share", False), reason=e.get("reason", ""),
        eligible_members=eligible, not_considered=[m for m in eligible if m not in shown],
        considered=considered)


def decision_out(member_id: str | None, explanation: Mapping[str, Any]) -> DecisionOut:
    return DecisionOut(**_decision_fields(member_id, explanation))


def stored_decision_out(row: Any) -> StoredDecisionOut:
    return StoredDecisionOut(
        round=row.round, decided_at=row.decided_at, event_id=row.event_id,
        released_from=row.explanation.get("released_from"),
        **_decision_fields(row.member_id, row.explanation))
