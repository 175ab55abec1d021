"""The API's intake forms and how they become domain details.

The request models check only shape and type (a date is a date, money has at most two
decimals); every rule is the domain's, so all rule violations are reported together. The
field names are the API's (the walking skeleton's, extended): `ready_from`, `monthly_income`
and `max_rent` in euros, `required_bedrooms` as the override, a flat `client` with contact
details. `errors.py` translates the domain's field paths back to these names.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.intake.application.integration_events import cents
from services.intake.domain.client import Contact, PersonalData
from services.intake.domain.details import (
    AccessibilityNeed,
    ClusterPreference,
    IntakeDetails,
    Perspective,
    SupportNeed,
    Urgency,
)
from services.intake.domain.errors import FieldError
from services.intake.domain.household import Household
from services.intake.domain.risks import Risk, RiskCategory

Euros = Annotated[Decimal, Field(max_digits=9, decimal_places=2)]
# Generous caps against absurd payloads; the domain's own limits give the message.
Text = Annotated[str, Field(max_length=20_000)]
ShortText = Annotated[str, Field(max_length=2_000)]


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClientIn(Form):
    """Personal data: stays in the intake service."""

    name: ShortText
    date_of_birth: date
    bsn: ShortText | None = Field(default=None, description="optional; validated by the 11-check")
    client_number: str = Field(
        min_length=1, max_length=60,
        description="the member organisation's own stable client number (used when no BSN)",
    )
    phone: ShortText | None = None
    email: ShortText | None = None
    address: ShortText | None = None


class HouseholdIn(Form):
    adults: int = Field(description="including the client")
    children: int = 0
    children_ages: list[int] = Field(default_factory=list, description="optional; stays here")


class RiskIn(Form):
    category: RiskCategory
    mitigation: Text = Field(default="", description="the agreed mitigation (goes to matching)")
    carried_by: ShortText = Field(default="", description="who carries the mitigation")


class IntakeIn(Form):
    client: ClientIn
    household: HouseholdIn
    required_bedrooms: int | None = Field(default=None, description="override of the derived")
    monthly_income: Euros = Field(description="net monthly household income, euros")
    max_rent: Euros | None = Field(default=None, description="override of passend toewijzen")
    accessibility_needs: list[AccessibilityNeed] = Field(default_factory=list)
    preferred_municipalities: list[ShortText] = Field(default_factory=list)
    excluded_municipalities: list[ShortText] = Field(default_factory=list)
    cluster_preference: ClusterPreference = ClusterPreference.NO_PREFERENCE
    perspective: Perspective = Perspective.SETTLE_LONG_TERM
    support_hours_per_week: int = 0
    support_provider: ShortText | None = None
    risks: list[RiskIn] = Field(default_factory=list)
    urgency: Urgency = Urgency.NORMAL
    ready_from: date = Field(description="the date the client is ready to move")
    consent: bool = Field(default=False, description="the client's recorded consent; required")
    consent_given_on: date | None = Field(default=None, description="default: today")
    notes: Text | None = None
    submit: bool = Field(default=True, description="false keeps it as a draft")

    def to_details(self, today: date) -> IntakeDetails:
        client = self.client
        return IntakeDetails(
            client=PersonalData(
                name=client.name, date_of_birth=client.date_of_birth, bsn=client.bsn,
                contact=Contact(phone=client.phone, email=client.email, address=client.address),
            ),
            household=Household(
                adults=self.household.adults, children=self.household.children,
                children_ages=tuple(self.household.children_ages),
                bedrooms_override=self.required_bedrooms,
            ),
            monthly_income_cents=cents(self.monthly_income),
            max_rent_override_cents=None if self.max_rent is None else cents(self.max_rent),
            accessibility=frozenset(self.accessibility_needs),
            preferred_municipalities=tuple(self.preferred_municipalities),
            excluded_municipalities=tuple(self.excluded_municipalities),
            cluster_preference=self.cluster_preference,
            perspective=self.perspective,
            support=SupportNeed(self.support_hours_per_week, self.support_provider),
            risks=tuple(Risk(r.category, r.mitigation, r.carried_by) for r in self.risks),
            urgency=self.urgency,
            ready_to_move_on=self.ready_from,
            consent_given_on=(self.consent_given_on or today) if self.consent else None,
            notes=self.notes or "",
        )

    def input_errors(self) -> list[FieldError]:
        if not self.client.client_number.strip():
            return [FieldError("client.client_number", "is required")]
        return []


# ---- PATCH: every field optional; nested objects merge, lists replace ----------------------


class ClientPatch(Form):
    name: ShortText | None = None
    date_of_birth: date | None = None
    bsn: ShortText | None = None
    phone: ShortText | None = None
    email: ShortText | None = None
    address: ShortText | None = None


class HouseholdPatch(Form):
    adults: int | None = None
    children: int | None = None
    children_ages: list[int] | None = None


class IntakePatch(Form):
    """Only the fields given change; `null` clears an optional field (BSN, contact, an
    override, the support provider, the notes)."""

    client: ClientPatch | None = None
    household: HouseholdPatch | None = None
    required_bedrooms: int | None = None
    monthly_income: Euros | None = None
    max_rent: Euros | None = None
    accessibility_needs: list[AccessibilityNeed] | None = None
    preferred_municipalities: list[ShortText] | None = None
    excluded_municipalities: list[ShortText] | None = None
    cluster_preference: ClusterPreference | None = None
    perspective: Perspective | None = None
    support_hours_per_week: int | None = None
    support_provider: ShortText | None = None
    risks: list[RiskIn] | None = None
    urgency: Urgency | None = None
    ready_from: date | None = None
    consent: bool | None = None
    consent_given_on: date | None = None
    notes: Text | None = None

    def apply(self, current: IntakeDetails, today: date) -> tuple[IntakeDetails, list[FieldError]]:
        """The current details with this patch applied, and the fields that may not be null."""
        given = self.model_fields_set
        errors = [
            FieldError(name, "cannot be empty (null); leave it out to keep it")
            for name in sorted(given & _NOT_NULL) if getattr(self, name) is None
        ]
        details = current
        if "client" in given and self.client is not None:
            details, more = _patched_client(details, self.client)
            errors += more
        if "household" in given and self.household is not None:
            details, more = _patched_household(details, self.household)
            errors += more
        changes: dict[str, object] = {}
        for name, value in self._simple_changes(given).items():
            if value is not None or name in _NULLABLE:
                changes[name] = value
        household = details.household
        if "required_bedrooms" in given:
            household = replace(household, bedrooms_override=self.required_bedrooms)
        support = details.support
        if "support_hours_per_week" in given and self.support_hours_per_week is not None:
            support = replace(support, hours_per_week=self.support_hours_per_week)
        if "support_provider" in given:
            support = replace(support, provider=self.support_provider)
        details = replace(details, household=household, support=support, **changes)  # type: ignore[arg-type]
        return replace(details, consent_given_on=self._consent(current, given, today)), errors

    def _simple_changes(self, given: set[str]) -> dict[str, object]:
        simple = {
            "monthly_income": ("monthly_income_cents",
                               None if self.monthly_income is None else cents(self.monthly_income)),
            "max_rent": ("max_rent_override_cents",
                         None if self.max_rent is None else cents(self.max_rent)),
            "accessibility_needs": ("accessibility", None if self.accessibility_needs is None
                                    else frozenset(self.accessibility_needs)),
            "preferred_municipalities": ("preferred_municipalities",
                                         _tuple(self.preferred_municipalities)),
            "excluded_municipalities": ("excluded_municipalities",
                                        _tuple(self.excluded_municipalities)),
            "cluster_preference": ("cluster_preference", self.cluster_preference),
            "perspective": ("perspective", self.perspective),
            "risks": ("risks", None if self.risks is None else tuple(
                Risk(r.category, r.mitigation, r.carried_by) for r in self.risks)),
            "urgency": ("urgency", self.urgency),
            "ready_from": ("ready_to_move_on", self.ready_from),
            "notes": ("notes", self.notes or ""),
        }
        return {domain: value for api, (domain, value) in simple.items() if api in given}

    def _consent(self, current: IntakeDetails, given: set[str], today: date) -> date | None:
        if "consent" in given and self.consent is False:
            return None  # consent withdrawn: the domain refuses, the caseworker withdraws
        if "consent_given_on" in given and self.consent_given_on is not None:
            return self.consent_given_on
        if "consent" in given and self.consent and current.consent_given_on is None:
            return today
        return current.consent_given_on


_NOT_NULL = frozenset({
    "household", "client", "monthly_income", "accessibility_needs",
    "preferred_municipalities", "excluded_municipalities", "cluster_preference", "perspective",
    "support_hours_per_week", "risks", "urgency", "ready_from", "consent",
})
_NULLABLE = frozenset({"max_rent_override_cents", "notes"})


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def _patched_client(
    details: IntakeDetails, patch: ClientPatch
) -> tuple[IntakeDetails, list[FieldError]]:
    given, client = patch.model_fields_set, details.client
    errors = [
        FieldError(f"client.{name}", "cannot be empty (null); leave it out to keep it")
        for name in sorted(given & {"name", "date_of_birth"}) if getattr(patch, name) is None
    ]
    contact = client.contact
    contact = Contact(
        phone=patch.phone if "phone" in given else contact.phone,
        email=patch.email if "email" in given else contact.email,
        address=patch.address if "address" in given else contact.address,
    )
    new = PersonalData(
        name=patch.name if patch.name is not None else client.name,
        date_of_birth=patch.date_of_birth or client.date_of_birth,
        bsn=patch.bsn if "bsn" in given else client.bsn,
        contact=contact,
    )
    return replace(details, client=new), errors


def _patched_household(
    details: IntakeDetails, patch: HouseholdPatch
) -> tuple[IntakeDetails, list[FieldError]]:
    given, household = patch.model_fields_set, details.household
    errors = [
        FieldError(f"household.{name}", "cannot be empty (null); leave it out to keep it")
        for name in sorted(given) if getattr(patch, name) is None
    ]
    new = replace(
        household,
        adults=household.adults if patch.adults is None else patch.adults,
        children=household.children if patch.children is None else patch.children,
        children_ages=(household.children_ages if patch.children_ages is None
                       else tuple(patch.children_ages)),
    )
    return replace(details, household=new), errors
