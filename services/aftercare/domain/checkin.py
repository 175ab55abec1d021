"""A check-in: one contact of the ambulant supporter with the tenant (nazorgcontact).

Life-domain scores use the 1..5 scale of the Zelfredzaamheid-Matrix (ZRM), which Dutch
shelter and aftercare organisations already score in:
1 acute problematiek, 2 niet zelfredzaam, 3 beperkt zelfredzaam, 4 voldoende zelfredzaam,
5 volledig zelfredzaam. Not every domain comes up at every contact, so any subset of the six
domains may be scored.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from services.aftercare.domain.errors import InvalidCheckInError

SCORE_MIN = 1
SCORE_MAX = 5


class CheckInStatus(StrEnum):
    """The supporter's overall judgement after the contact."""

    STABLE = "stable"
    ATTENTION = "attention"
    CRISIS = "crisis"


class LifeDomain(StrEnum):
    """Life domains (leefgebieden) scored at a check-in."""

    RENT_AND_MONEY = "rent_and_money"
    DEBTS = "debts"
    DAILY_LIVING = "daily_living"
    HEALTH = "health"
    SOCIAL_NETWORK = "social_network"
    NEIGHBOURHOOD = "neighbourhood"


@dataclass(frozen=True, kw_only=True)
class CheckIn:
    """One recorded contact.

    ``private_notes`` are the supporter's own notes: the domain holds them and never puts them
    in an event; only the supporter's organisation may read them.
    """

    checkin_id: str
    held_on: date
    status: CheckInStatus
    scores: Mapping[LifeDomain, int] = field(default_factory=dict)
    agreed_actions: tuple[str, ...] = ()
    private_notes: str = ""

    def __post_init__(self) -> None:
        if not self.checkin_id:
            raise InvalidCheckInError("a check-in needs an id")
        for life_domain, score in self.scores.items():
            _check_score(life_domain, score)
        # Freeze a copy so the caller's dict cannot change a recorded check-in afterwards.
        object.__setattr__(self, "scores", MappingProxyType(dict(self.scores)))
        object.__setattr__(self, "agreed_actions", tuple(self.agreed_actions))


def _check_score(life_domain: object, score: object) -> None:
    if not isinstance(life_domain, LifeDomain):
        raise InvalidCheckInError(f"unknown life domain {life_domain!r}")
    # bool is an int subclass; True is not a score.
    if isinstance(score, bool) or not isinstance(score, int):
        raise InvalidCheckInError(f"score for {life_domain} must be a whole number")
    if not SCORE_MIN <= score <= SCORE_MAX:
        raise InvalidCheckInError(
            f"score for {life_domain} must be between {SCORE_MIN} and {SCORE_MAX}, got {score}"
        )
