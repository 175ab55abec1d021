"""A corporation offers a home into the contingent (HomeOffered), and matching at once asks
the contingent who is owed it among the members with an eligible candidate.

Rules: the corporation is the one in the token; the offer must make a valid domain Home
(rent above zero, a four-digit postcode area, an intermediary contract with its omklap period,
a temporary one with its term) or it is refused with a reason (422).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from services.matching.adapters.db.repository import home_from
from services.matching.adapters.db.tables import homes
from services.matching.application.mediate import request_allocation
from services.matching.application.unit import Unit
from shared.events.matching import HomeOffered

_INSERT_HOME = sa.insert(homes)  # built once (shared/db.py, "Statements built once")


async def offer_home(unit: Unit, corporation: str, offer: dict[str, Any]) -> uuid.UUID:
    home_id = uuid.uuid4()
    event = HomeOffered(home_id=home_id, corporation_id=corporation, **offer)
    data = event.model_dump(mode="json")
    home_from(home_id, corporation, event.contingent_year, data)  # the domain's checks
    await unit.session.execute(_INSERT_HOME, {
        "home_id": home_id, "corporation_id": corporation, "offer": data,
        "contingent_year": event.contingent_year, "status": "waiting", "offered_at": unit.now,
    })
    await unit.outbox.add(unit.session, event, case_id=home_id, occurred_at=unit.now)
    # The pool lock only from here, where the home meets the candidates: the new row is
    # invisible to every other transaction until commit, so nobody can be waiting for it,
    # and the lock is held two round trips shorter. Shared: offers need not see each other,
    # only the candidates (see Unit.hold_pool).
    await unit.hold_pool(shared=True)
    await request_allocation(unit, home_id)
    return home_id
