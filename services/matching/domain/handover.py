"""Warm handover (*warme overdracht*) for the corporation.

When a home is proposed, the corporation gets a short note that describes the household, the
support arranged, the mapped risks with their agreed mitigations, and why this home and
setting suit the client — enough to decide and to welcome the new tenant, nothing more.

It is built only from the candidate's non-identifying fields. The candidate model holds no
name, BSN, date of birth or contact details, so they cannot leak into the note; the note also
leaves out the case id and the pseudonymous client reference (the corporation knows the match
by its ``match_id``). Risk mitigations are agreed text the client consented to share.
"""

from __future__ import annotations

from dataclasses import dataclass

from .candidate import AccessibilityNeed, Candidate, ClusterPreference, RiskCategory
from .home import ContractKind, Home


@dataclass(frozen=True, slots=True)
class HandoverRisk:
    """A mapped risk and its agreed mitigation."""

    category: RiskCategory
    mitigation: str


@dataclass(frozen=True, slots=True)
class HandoverNote:
    """The warm handover for one proposed home. :meth:`as_text` renders it for a person."""

    household: str
    adults: int
    children: int
    support_hours_per_week: int
    member_organisation: str
    risks: tuple[HandoverRisk, ...]
    cluster_preference: ClusterPreference
    setting: str
    accessibility: tuple[str, ...]
    home_fit: tuple[str, ...]

    def as_text(self) -> str:
        hours = _plural(self.support_hours_per_week, "hour", "hours")
        lines = [
            "Warm handover (warme overdracht)",
            f"Household: {self.household}.",
            f"Support arranged: {hours} a week of ambulant support, arranged by member "
            f"organisation {self.member_organisation}, for one year from the tenancy start.",
        ]
        if self.risks:
            lines.append("Risks and agreed mitigations:")
            lines.extend(
                f"- {_RISK_LABELS[risk.category]}: {risk.mitigation}" for risk in self.risks
            )
        else:
            lines.append("Risks and agreed mitigations: none mapped.")
        lines.append(f"Setting: {self.setting}")
        if self.accessibility:
            lines.append("Accessibility: " + "; ".join(self.accessibility) + ".")
        lines.append("Why this home suits:")
        lines.extend(f"- {line}" for line in self.home_fit)
        return "\n".join(lines)


_RISK_LABELS: dict[RiskCategory, str] = {
    RiskCategory.DEBTS: "Debts",
    RiskCategory.ADDICTION: "Addiction",
    RiskCategory.NUISANCE_HISTORY: "History of nuisance",
    RiskCategory.PSYCHIATRIC: "Psychiatric",
    RiskCategory.OTHER: "Other",
}

_SETTINGS: dict[ClusterPreference, str] = {
    ClusterPreference.CLUSTER: "the client is better near a support point (clustered, opgave 1).",
    ClusterPreference.SCATTERED: (
        "the client is better in an ordinary street away from a support point "
        "(scattered, gespikkeld, opgave 2)."
    ),
    ClusterPreference.NO_PREFERENCE: (
        "either near a support point or scattered through the region suits the client."
    ),
}

_NEEDS: dict[AccessibilityNeed, str] = {
    AccessibilityNeed.GROUND_FLOOR: "needs a ground-floor home or a lift",
    AccessibilityNeed.LIFT: "needs a lift or a ground-floor home",
    AccessibilityNeed.WHEELCHAIR: "needs a wheelchair-accessible home",
    AccessibilityNeed.OTHER: (
        "has a further accessibility need that the caseworker will explain before you decide"
    ),
}


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def describe_household(adults: int, children: int) -> str:
    """E.g. ``"1 adult"`` or ``"2 adults and 1 child"``."""
    text = _plural(adults, "adult", "adults")
    if children:
        text += " and " + _plural(children, "child", "children")
    return text


def _contract_line(home: Home) -> str:
    contract = home.contract
    if contract.kind is ContractKind.INTERMEDIARY:
        return (
            "Contract: intermediary, converting to the tenant's own name after "
            f"{_plural(contract.omklap_after_months or 0, 'month', 'months')} (omklap)."
        )
    if contract.kind is ContractKind.TEMPORARY:
        return f"Contract: temporary, for {_plural(contract.term_months or 0, 'month', 'months')}."
    return "Contract: on the tenant's own name."


def _home_fit(home: Home, candidate: Candidate) -> tuple[str, ...]:
    lines = [
        f"{_plural(home.bedrooms, 'bedroom', 'bedrooms')}; the household needs "
        f"{candidate.required_bedrooms}.",
        f"In {home.municipality}, postcode area {home.postcode4}.",
    ]
    if home.near_support_point:
        lines.append("Near a support point.")
    else:
        lines.append("Not near a support point (scattered).")
    if candidate.accessibility_needs - {AccessibilityNeed.OTHER}:
        lines.append("Step-free or wheelchair access as the household needs.")
    lines.append(f"Available from {home.available_from.isoformat()}.")
    lines.append(_contract_line(home))
    return tuple(lines)


def warm_handover(candidate: Candidate, home: Home) -> HandoverNote:
    """Build the warm handover for proposing ``home`` to ``candidate``.

    Uses only: household composition, required bedrooms, support hours and the member
    organisation that arranged the support (the named provider stays inside intake), risks
    with mitigations, cluster preference and accessibility needs — plus the home's own
    description.
    """
    return HandoverNote(
        household=describe_household(candidate.adults, candidate.children),
        adults=candidate.adults,
        children=candidate.children,
        support_hours_per_week=candidate.support_hours,
        member_organisation=candidate.member_id,
        risks=tuple(HandoverRisk(r.category, r.mitigation) for r in candidate.risks),
        cluster_preference=candidate.cluster_preference,
        setting=_SETTINGS[candidate.cluster_preference].capitalize(),
        accessibility=tuple(_NEEDS[need] for need in sorted(candidate.accessibility_needs)),
        home_fit=_home_fit(home, candidate),
    )
