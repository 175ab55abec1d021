"""Builders for the matching domain tests: a fitting home and candidate, changed per test."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.matching.domain.affordability_policy import PASSEND_TOEWIJZEN_2026
from services.matching.domain.candidate import Candidate, Urgency
from services.matching.domain.eligibility import EligibilityPolicy
from services.matching.domain.home import Contract, Home

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
POLICY = EligibilityPolicy(affordability=PASSEND_TOEWIJZEN_2026)

_HOME = Home(
    home_id="home-1",
    corporation_id="corp-1",
    municipality="Enschede",
    postcode4="7511",
    bedrooms=1,
    rent=Decimal("650.00"),
    contract=Contract.own_name(),
    available_from=date(2026, 6, 1),
    contingent_year=2026,
)

_CANDIDATE = Candidate(
    case_id="case-1",
    client_ref="ref-a1b2c3",
    member_id="m01",
    adults=1,
    children=0,
    required_bedrooms=1,
    monthly_income=Decimal("1800.00"),
    max_rent=Decimal("700.00"),
    urgency=Urgency.NORMAL,
    ready_from=date(2026, 5, 1),
    submitted_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
)


def make_home(**changes: Any) -> Home:
    return dataclasses.replace(_HOME, **changes)


def make_candidate(**changes: Any) -> Candidate:
    return dataclasses.replace(_CANDIDATE, **changes)


def ams(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Amsterdam."""
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)
