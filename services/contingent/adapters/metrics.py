"""The contingent's Prometheus metrics. Labels: the year and the member id only (bounded).

Gauges mirror the coordinator's view after every committed change and at start-up for the
open years: share, used (tenancies started), in flight, remaining, deviation from the ideal
to date. Counters count the ledger: allocations (and the skips among them), consumptions and
releases, per member.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prometheus_client import Counter, Gauge

from services.contingent.domain.contingent import Contingent, LedgerEntry

LABELS = ["year", "member_id"]

SHARE = Gauge("transferpunt_contingent_share", "A member's share of the year's contingent",
              LABELS)
USED = Gauge("transferpunt_contingent_used", "Homes let to a member's clients (tenancies)",
             LABELS)
IN_FLIGHT = Gauge("transferpunt_contingent_in_flight",
                  "Homes allocated to a member, tenancy not yet started", LABELS)
REMAINING = Gauge("transferpunt_contingent_remaining",
                  "Share minus homes used and in flight (negative: beyond the share)", LABELS)
DEVIATION = Gauge("transferpunt_contingent_deviation",
                  "Homes received (used + in flight) minus the ideal to date; negative: behind",
                  LABELS)
ALLOCATIONS = Counter("transferpunt_contingent_allocations_total",
                      "Homes allocated to a member by the quota rule", LABELS)
SKIPS = Counter("transferpunt_contingent_skips_total",
                "Allocations that skipped the quota rule (no allowed member was eligible), "
                "by the member that got the home", LABELS)
CONSUMPTIONS = Counter("transferpunt_contingent_consumptions_total",
                       "Homes consumed from a member's share (tenancy started)", LABELS)
RELEASES = Counter("transferpunt_contingent_releases_total",
                   "Allocations released before a tenancy", LABELS)

_GAUGES = (SHARE, USED, IN_FLIGHT, REMAINING, DEVIATION)
_shown: dict[str, set[str]] = {}


def observation(contingent: Contingent, entries: Sequence[LedgerEntry]) -> Callable[[], None]:
    """Compute now (the aggregate may change later), apply when called (after the commit)."""
    year = str(contingent.year)
    views = [(v.member_id, v.share, v.consumed, v.in_flight, v.remaining, float(v.deviation))
             for v in contingent.standings()]
    counted = [(e.kind, e.member_id, bool(e.decision and e.decision.skipped)) for e in entries]

    def apply() -> None:
        members = {member for member, *_ in views}
        for gone in _shown.get(year, set()) - members:
            for gauge in _GAUGES:
                gauge.remove(year, gone)
        _shown[year] = members
        for member, share, used, in_flight, remaining, deviation in views:
            SHARE.labels(year, member).set(share)
            USED.labels(year, member).set(used)
            IN_FLIGHT.labels(year, member).set(in_flight)
            REMAINING.labels(year, member).set(remaining)
            DEVIATION.labels(year, member).set(deviation)
        for kind, member, skipped in counted:
            if kind == "allocated":
                ALLOCATIONS.labels(year, member).inc()
                if skipped:
                    SKIPS.labels(year, member).inc()
            elif kind == "consumed":
                CONSUMPTIONS.labels(year, member).inc()
            else:
                RELEASES.labels(year, member).inc()

    return apply
