"""Walking-skeleton eligibility: the minimum the flow needs until the full rule set lands in
`services/matching/domain/eligibility.py` (bedrooms, rent, municipality, readiness)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any


def is_eligible(home: dict[str, Any], profile: dict[str, Any]) -> bool:
    return (
        int(profile["required_bedrooms"]) <= int(home["bedrooms"])
        and Decimal(str(home["rent"])) <= Decimal(str(profile["max_rent"]))
        and home["municipality"] not in profile.get("excluded_municipalities", [])
        and date.fromisoformat(profile["ready_from"]) <= date.fromisoformat(home["available_from"])
    )
