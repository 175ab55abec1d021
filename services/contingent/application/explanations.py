"""The stored explanation of an allocation decision, in the coordinator's words.

Exact figures are kept as fractions ("52/17") so that nothing is rounded away; readers
may add decimals for display.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from services.contingent.domain.sequencing import SequencingDecision


def explanation_of(
    decision: SequencingDecision | None, eligible: Collection[str], reason: str,
    *, released_from: str | None = None,
) -> dict[str, Any]:
    """What was considered for this home and why the winner won (or why nobody did)."""
    record: dict[str, Any] = {
        "eligible_members": sorted(set(eligible)),
        "reason": reason,
        "released_from": released_from,
        "home_number": 0,
        "skipped": False,
        "beyond_contingent": False,
        "exceeds_share": False,
        "standings": [],
    }
    if decision is None:
        return record
    record.update(
        home_number=decision.home_number, skipped=decision.skipped,
        beyond_contingent=decision.beyond_contingent, exceeds_share=decision.exceeds_share,
        standings=[
            {"member_id": s.member_id, "share": s.share, "received": s.received,
             "ideal_to_date": str(s.ideal_to_date), "deviation": str(s.deviation),
             "allowed": s.allowed, "eligible": s.eligible, "priority": str(s.priority)}
            for s in decision.standings
        ],
    )
    return record
