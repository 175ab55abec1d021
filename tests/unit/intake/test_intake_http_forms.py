"""The API's forms: a request body becomes domain details, a PATCH merges into the stored
details, and the domain's field paths come back in the API's names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from intake_fakes import T0, context, details

from services.intake.adapters.http.errors import api_field, rejected
from services.intake.adapters.http.forms import IntakeIn, IntakePatch
from services.intake.domain.details import AccessibilityNeed
from services.intake.domain.errors import FieldError
from shared.web import _field

TODAY = T0.date()
BODY: dict[str, Any] = {
    "client": {"name": "Maria Pietersen", "date_of_birth": "1979-05-17", "bsn": "111222333",
               "client_number": "K-1", "phone": "0612345678", "email": "maria@example.org"},
    "household": {"adults": 1, "children": 2, "children_ages": [4, 7]},
    "monthly_income": "1450.00", "max_rent": "600.50", "ready_from": "2027-04-01",
    "consent": True, "support_hours_per_week": 4, "support_provider": "Lister",
    "accessibility_needs": ["lift"],
}


def test_the_request_body_becomes_domain_details_in_cents() -> None:
    form = IntakeIn.model_validate(BODY)
    d = form.to_details(TODAY)
    assert d.monthly_income_cents == 145_000 and d.max_rent_override_cents == 60_050
    assert d.client.contact.phone == "0612345678" and d.household.children_ages == (4, 7)
    assert d.support.provider == "Lister" and d.accessibility == {AccessibilityNeed.LIFT}
    assert d.ready_to_move_on == date(2027, 4, 1)


def test_consent_is_dated_today_unless_a_date_is_given() -> None:
    assert IntakeIn.model_validate(BODY).to_details(TODAY).consent_given_on == TODAY
    dated = IntakeIn.model_validate({**BODY, "consent_given_on": "2027-02-20"})
    assert dated.to_details(TODAY).consent_given_on == date(2027, 2, 20)
    refused = IntakeIn.model_validate({**BODY, "consent": False,
                                       "consent_given_on": "2027-02-20"})
    assert refused.to_details(TODAY).consent_given_on is None


def test_a_blank_client_number_is_an_input_error() -> None:
    form = IntakeIn.model_validate({**BODY, "client": {**BODY["client"], "client_number": " "}})
    assert [e.field for e in form.input_errors()] == ["client.client_number"]


def test_patch_changes_only_the_fields_given_and_merges_nested_objects() -> None:
    current = details()
    patch = IntakePatch.model_validate({"client": {"phone": None, "email": "new@example.org"},
                                        "household": {"children": 3},
                                        "max_rent": None, "urgency": "high"})
    new, errors = patch.apply(current, TODAY)
    assert errors == []
    assert new.client.name == current.client.name and new.client.contact.phone is None
    assert new.client.contact.email == "new@example.org"
    assert new.client.contact.address == current.client.contact.address
    assert new.household.adults == 1 and new.household.children == 3
    assert new.household.children_ages == current.household.children_ages  # domain will object
    assert new.max_rent_override_cents is None and new.urgency == "high"
    assert new.monthly_income_cents == current.monthly_income_cents
    assert new.consent_given_on == current.consent_given_on


def test_patch_sets_and_clears_overrides() -> None:
    new, _ = IntakePatch.model_validate(
        {"required_bedrooms": 3, "max_rent": "650", "support_provider": None,
         "notes": None}).apply(details(), TODAY)
    assert new.household.bedrooms_override == 3 and new.max_rent_override_cents == 65_000
    assert new.support.provider is None and new.notes == ""
    cleared, _ = IntakePatch.model_validate({"required_bedrooms": None}).apply(new, TODAY)
    assert cleared.household.bedrooms_override is None


def test_patch_cannot_blank_a_required_field() -> None:
    _, errors = IntakePatch.model_validate(
        {"ready_from": None, "client": {"name": None}, "household": {"adults": None}}
    ).apply(details(), TODAY)
    assert {e.field for e in errors} == {"ready_from", "client.name", "household.adults"}


def test_patch_withdrawing_consent_leaves_no_consent_date() -> None:
    new, _ = IntakePatch.model_validate({"consent": False}).apply(details(), TODAY)
    assert new.consent_given_on is None


@pytest.mark.parametrize(("domain", "api"), [
    ("client.contact.phone", "client.phone"),
    ("client.bsn", "client.bsn"),
    ("household.bedrooms_override", "required_bedrooms"),
    ("household.children_ages[1]", "household.children_ages[1]"),
    ("monthly_income_cents", "monthly_income"),
    ("max_rent_override_cents", "max_rent"),
    ("accessibility", "accessibility_needs"),
    ("support.hours_per_week", "support_hours_per_week"),
    ("support.provider", "support_provider"),
    ("ready_to_move_on", "ready_from"),
    ("consent_given_on", "consent"),
    ("preferred_municipalities[2]", "preferred_municipalities[2]"),
    ("risks[0].carried_by", "risks[0].carried_by"),
])
def test_domain_field_paths_come_back_in_the_apis_names(domain: str, api: str) -> None:
    assert api_field(domain) == api


def test_a_future_consent_date_is_reported_on_the_date_field() -> None:
    assert api_field("consent_given_on", consent_date_given=True) == "consent_given_on"


def test_the_rent_ceiling_message_speaks_euros() -> None:
    error = FieldError("max_rent_override_cents", "must be above 0 and at most 90007 cents")
    [item] = rejected([error], context().rules).detail
    assert item["field"] == "max_rent" and "EUR 900.07" in item["message"]


def test_request_shape_errors_use_the_domains_list_notation() -> None:
    # The shared 422 handler names fields the way the domain's errors do.
    assert _field(("body", "risks", 1, "mitigation")) == "risks[1].mitigation"
    assert _field(("query", "limit")) == "limit"
    assert _field(("body",)) == "request"


def test_money_with_more_than_two_decimals_is_refused_by_the_form() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        IntakeIn.model_validate({**BODY, "monthly_income": "1450.005"})
    assert IntakeIn.model_validate({**BODY, "monthly_income": 1450}).monthly_income \
        == Decimal("1450")


