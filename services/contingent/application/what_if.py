"""Who would be owed the next home if these members had an eligible candidate (what-if).

The same rule as a real allocation (`Contingent.allocate`) on the year as it stands, without
recording anything: a coordinator can show a member where it stands in the queue.
"""

from __future__ import annotations

from services.contingent.application.ports import Unit
from services.contingent.application.years import load_year
from services.contingent.domain.sequencing import SequencingDecision

WHAT_IF = "what-if"


async def next_member_what_if(unit: Unit, year: int, eligible: list[str]) -> SequencingDecision:
    contingent = await load_year(unit, year, lock=False)
    # Decided on a copy loaded for this request and never saved: nothing changes.
    return contingent.allocate(WHAT_IF, eligible, WHAT_IF, unit.now)
