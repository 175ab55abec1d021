"""Eligibility: may this home be proposed to this candidate?

Each rule is one small pure function that returns ``None`` when the candidate passes and a
:class:`RuleFailure` (a stable code plus a sentence a person can read) when not. The sentence
never contains personal data or the candidate's figures: it speaks of "the household" and
"the client", never of a name, an income or a need in detail.

:func:`evaluate` runs **every** rule — no short-circuit — so an explanation lists all the
reasons a candidate was not eligible, not only the first.

The rules, in the order they are evaluated (see ``docs/matching-rules.md``):

1. ``household_fits`` — ``required_bedrooms <= home.bedrooms`` (never over-occupied); and,
   only when the region sets ``max_surplus_bedrooms``, not more than that many spare
   bedrooms (under-occupancy). Default: no under-occupancy limit, because the corporation
   chose to offer this home into the contingent.
2. ``rent_affordable`` — passend toewijzen (or the region's table): a household at or below
   its income limit gets a rent at or below the table's rent limit.
3. ``rent_within_client_maximum`` — ``home.rent <= candidate.max_rent``.
4. ``accessibility_met`` — every need recorded at intake is met: ``ground_floor`` and
   ``lift`` (no stairs up to the front door) by a ground-floor home, a lift or a
   wheelchair-accessible home; ``wheelchair`` only by a wheelchair-accessible home;
   ``other`` is not checked automatically (the handover flags it).
5. ``municipality_acceptable`` — the home is not in an excluded municipality. A municipality
   that is neither preferred nor excluded is acceptable (preferences do not narrow the search;
   exclusions do). Names compare case-insensitively.
6. ``cluster_preference_met`` — ``cluster`` needs a home near a support point, ``scattered``
   a home not near one, ``no_preference`` takes either.
7. ``ready_to_move`` — ``ready_from <= available_from`` (plus an optional grace period).
8. ``candidate_waiting`` — the intake is ``waiting``: not in an open proposal, housed or
   withdrawn.
9. ``not_previously_declined`` — the client has not been proposed for this home before with a
   proposal that ended declined or expired (an expiry counts as a decline here, so that a
   home moves on to the next candidate).
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from .affordability_policy import AffordabilityPolicy
from .candidate import (
    AccessibilityNeed,
    Candidate,
    CandidateStatus,
    ClusterPreference,
    normalise_municipality,
)
from .errors import InvalidPolicy
from .home import AccessibilityFeature, Home


class RuleCode(StrEnum):
    """Why a candidate is not eligible for a home. Stable: used in explanations and metrics."""

    TOO_FEW_BEDROOMS = "too_few_bedrooms"
    TOO_MANY_BEDROOMS = "too_many_bedrooms"
    RENT_ABOVE_AFFORDABILITY_LIMIT = "rent_above_affordability_limit"
    RENT_ABOVE_CLIENT_MAXIMUM = "rent_above_client_maximum"
    ACCESSIBILITY_NOT_MET = "accessibility_not_met"
    MUNICIPALITY_EXCLUDED = "municipality_excluded"
    CLUSTER_PREFERENCE_NOT_MET = "cluster_preference_not_met"
    NOT_READY_BY_AVAILABLE_FROM = "not_ready_by_available_from"
    CANDIDATE_NOT_WAITING = "candidate_not_waiting"
    PREVIOUSLY_DECLINED_FOR_HOME = "previously_declined_for_home"


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """One reason a candidate is not eligible: a stable code and a sentence without
    personal data."""

    code: RuleCode
    message: str


@dataclass(frozen=True, slots=True)
class EligibilityResult:
    """The outcome of every rule for one home and one candidate."""

    eligible: bool
    failures: tuple[RuleFailure, ...]

    def __post_init__(self) -> None:
        if self.eligible == bool(self.failures):
            raise ValueError("A result is eligible exactly when it has no failures.")

    @classmethod
    def from_failures(cls, failures: tuple[RuleFailure, ...]) -> EligibilityResult:
        return cls(eligible=not failures, failures=failures)

    @property
    def codes(self) -> tuple[RuleCode, ...]:
        return tuple(failure.code for failure in self.failures)


@dataclass(frozen=True, slots=True)
class EligibilityPolicy:
    """The region's settings for eligibility. Passed in; never read from a global.

    * ``affordability`` — the rent-limit table; required, so that a region always says which
      figures it uses (:data:`~.affordability_policy.PASSEND_TOEWIJZEN_2026` is a ready-made
      indicative value).
    * ``max_surplus_bedrooms`` — at most this many bedrooms beyond the household's need;
      ``None`` (default) sets no under-occupancy limit.
    * ``readiness_grace_days`` — a client ready at most this many days after the home's
      ``available_from`` still counts as ready (default 0: ready on or before that day).
    """

    affordability: AffordabilityPolicy
    max_surplus_bedrooms: int | None = None
    readiness_grace_days: int = 0

    def __post_init__(self) -> None:
        if self.max_surplus_bedrooms is not None and self.max_surplus_bedrooms < 0:
            raise InvalidPolicy("The under-occupancy limit cannot be negative.")
        if self.readiness_grace_days < 0:
            raise InvalidPolicy("The readiness grace period cannot be negative.")


@dataclass(frozen=True, slots=True)
class EligibilityContext:
    """What a rule may look at."""

    home: Home
    candidate: Candidate
    policy: EligibilityPolicy
    previously_declined: Set[str]


RuleCheck = Callable[[EligibilityContext], RuleFailure | None]


# --- the rules ------------------------------------------------------------------------------


def household_fits(ctx: EligibilityContext) -> RuleFailure | None:
    """The home has at least the bedrooms the household needs (and, if the region limits
    under-occupancy, not too many more)."""
    needed = ctx.candidate.required_bedrooms
    if ctx.home.bedrooms < needed:
        return RuleFailure(
            RuleCode.TOO_FEW_BEDROOMS, "The home has fewer bedrooms than the household needs."
        )
    surplus_limit = ctx.policy.max_surplus_bedrooms
    if surplus_limit is not None and ctx.home.bedrooms - needed > surplus_limit:
        return RuleFailure(
            RuleCode.TOO_MANY_BEDROOMS,
            "The home has more spare bedrooms than the region's under-occupancy limit allows "
            "for this household.",
        )
    return None


def rent_affordable(ctx: EligibilityContext) -> RuleFailure | None:
    """Passend toewijzen: at or below its income limit, a household gets a rent at or below
    the table's rent limit for its size."""
    table = ctx.policy.affordability
    size = ctx.candidate.household_size
    limit = table.rent_limit_for(size, ctx.candidate.monthly_income)
    if limit is None or ctx.home.rent <= limit:
        return None
    label = table.row_for(size).label
    return RuleFailure(
        RuleCode.RENT_ABOVE_AFFORDABILITY_LIMIT,
        f"The rent is above the {label} that the affordability policy (passend toewijzen) "
        "sets for this household's size and income.",
    )


def rent_within_client_maximum(ctx: EligibilityContext) -> RuleFailure | None:
    """The rent is at most the maximum rent agreed with the client at intake."""
    if ctx.home.rent <= ctx.candidate.max_rent:
        return None
    return RuleFailure(
        RuleCode.RENT_ABOVE_CLIENT_MAXIMUM,
        "The rent is above the maximum rent agreed with the client.",
    )


NEED_MET_BY: dict[AccessibilityNeed, frozenset[AccessibilityFeature] | None] = {
    AccessibilityNeed.GROUND_FLOOR: frozenset(
        {
            AccessibilityFeature.GROUND_FLOOR,
            AccessibilityFeature.LIFT,
            AccessibilityFeature.WHEELCHAIR_ACCESSIBLE,
        }
    ),
    AccessibilityNeed.LIFT: frozenset(
        {
            AccessibilityFeature.GROUND_FLOOR,
            AccessibilityFeature.LIFT,
            AccessibilityFeature.WHEELCHAIR_ACCESSIBLE,
        }
    ),
    AccessibilityNeed.WHEELCHAIR: frozenset({AccessibilityFeature.WHEELCHAIR_ACCESSIBLE}),
    AccessibilityNeed.OTHER: None,
}
"""Each need is met by *any one* of these home features. ``None``: not checked automatically
(the ``other`` need is described only in the intake's notes, which never reach matching)."""


def accessibility_met(ctx: EligibilityContext) -> RuleFailure | None:
    """Every checkable accessibility need recorded at intake is met by a feature of the home."""
    features = ctx.home.features
    for need in ctx.candidate.accessibility_needs:
        met_by = NEED_MET_BY[need]
        if met_by is not None and not met_by & features:
            return RuleFailure(
                RuleCode.ACCESSIBILITY_NOT_MET,
                "The home does not meet the accessibility needs recorded at intake.",
            )
    return None


def municipality_acceptable(ctx: EligibilityContext) -> RuleFailure | None:
    """The home is not in a municipality the client excluded (preferred or neutral is fine)."""
    home_municipality = normalise_municipality(ctx.home.municipality)
    excluded = {normalise_municipality(m) for m in ctx.candidate.excluded_municipalities}
    if home_municipality in excluded:
        return RuleFailure(
            RuleCode.MUNICIPALITY_EXCLUDED,
            "The home is in a municipality the client has excluded.",
        )
    return None


def cluster_preference_met(ctx: EligibilityContext) -> RuleFailure | None:
    """Cluster wants a home near a support point, scattered one away from it."""
    preference = ctx.candidate.cluster_preference
    near = ctx.home.near_support_point
    if (preference is ClusterPreference.CLUSTER and not near) or (
        preference is ClusterPreference.SCATTERED and near
    ):
        return RuleFailure(
            RuleCode.CLUSTER_PREFERENCE_NOT_MET,
            "The home's setting (near a support point or not) does not match the client's "
            "cluster-or-scattered preference.",
        )
    return None


def ready_to_move(ctx: EligibilityContext) -> RuleFailure | None:
    """The client is ready to move on or before the day the home becomes available."""
    latest = ctx.home.available_from + timedelta(days=ctx.policy.readiness_grace_days)
    if ctx.candidate.ready_from <= latest:
        return None
    return RuleFailure(
        RuleCode.NOT_READY_BY_AVAILABLE_FROM,
        "The client is not ready to move by the date the home becomes available.",
    )


def candidate_waiting(ctx: EligibilityContext) -> RuleFailure | None:
    """The intake is waiting: not already in an open proposal, housed or withdrawn."""
    if ctx.candidate.status is CandidateStatus.WAITING:
        return None
    return RuleFailure(
        RuleCode.CANDIDATE_NOT_WAITING,
        "The client is not waiting: the intake is in an open proposal, housed or withdrawn.",
    )


def not_previously_declined(ctx: EligibilityContext) -> RuleFailure | None:
    """The client was not proposed for this home before with a declined or expired result."""
    if ctx.candidate.case_id not in ctx.previously_declined:
        return None
    return RuleFailure(
        RuleCode.PREVIOUSLY_DECLINED_FOR_HOME,
        "The client was proposed for this home before and that proposal was declined or expired.",
    )


@dataclass(frozen=True, slots=True)
class Rule:
    """A named eligibility rule with the requirement it enforces, for documentation and UIs."""

    name: str
    requirement: str
    check: RuleCheck


RULES: tuple[Rule, ...] = (
    Rule("household_fits", "The household fits the home's bedrooms.", household_fits),
    Rule("rent_affordable", "The rent is affordable under passend toewijzen.", rent_affordable),
    Rule(
        "rent_within_client_maximum",
        "The rent is within the client's agreed maximum.",
        rent_within_client_maximum,
    ),
    Rule("accessibility_met", "The home meets the accessibility needs.", accessibility_met),
    Rule(
        "municipality_acceptable",
        "The home is not in an excluded municipality.",
        municipality_acceptable,
    ),
    Rule(
        "cluster_preference_met",
        "The home's setting matches the cluster-or-scattered preference.",
        cluster_preference_met,
    ),
    Rule("ready_to_move", "The client is ready by the home's available date.", ready_to_move),
    Rule("candidate_waiting", "The client is waiting, not in an open proposal.", candidate_waiting),
    Rule(
        "not_previously_declined",
        "The client was not declined for this home before.",
        not_previously_declined,
    ),
)
"""Every rule, in evaluation order."""


def evaluate(
    home: Home,
    candidate: Candidate,
    policy: EligibilityPolicy,
    previously_declined: Set[str],
) -> EligibilityResult:
    """Run every rule (no short-circuit) and collect all failures.

    ``previously_declined`` holds the case ids that may not be proposed for *this* home again:
    those whose earlier proposal for it ended declined or expired
    (see :func:`~.proposal.excluded_case_ids`).
    """
    ctx = EligibilityContext(home, candidate, policy, previously_declined)
    failures = tuple(failure for rule in RULES if (failure := rule.check(ctx)) is not None)
    return EligibilityResult.from_failures(failures)


def is_eligible(
    home: Home,
    candidate: Candidate,
    policy: EligibilityPolicy,
    previously_declined: Set[str],
) -> bool:
    """Whether every rule passes — the same answer as ``evaluate(...).eligible``, but it stops
    at the first failure (for the engine's searches; explanations use :func:`evaluate`)."""
    ctx = EligibilityContext(home, candidate, policy, previously_declined)
    return all(rule.check(ctx) is None for rule in RULES)


@dataclass(frozen=True, slots=True)
class HardLimits:
    """Necessary conditions for eligibility that a database can check on a home's or a
    client's plain figures, so a search need not load everyone: a candidate outside them is
    never eligible for the home; one inside may still fail another rule.

    From ``household_fits`` (bedrooms), ``rent_within_client_maximum`` (rent) and
    ``ready_to_move`` (dates, with the region's grace period).
    """

    bedrooms: int  # a candidate needs at most this many bedrooms
    rent: Decimal  # a candidate's maximum rent is at least this
    latest_ready_from: date  # a candidate is ready on or before this day

    def admits(self, candidate: Candidate) -> bool:
        return (candidate.required_bedrooms <= self.bedrooms
                and candidate.max_rent >= self.rent
                and candidate.ready_from <= self.latest_ready_from)


def hard_limits(home: Home, policy: EligibilityPolicy) -> HardLimits:
    """The :class:`HardLimits` of a home under the region's policy."""
    return HardLimits(
        bedrooms=home.bedrooms, rent=home.rent,
        latest_ready_from=home.available_from + timedelta(days=policy.readiness_grace_days),
    )
