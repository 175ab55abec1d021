"""The region's settings become the matching rules; e-mail is off without an SMTP host."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.matching.domain.affordability_policy import PASSEND_TOEWIJZEN_2026
from services.matching.domain.deadlines import LiberationDay
from services.matching.settings import MatchingSettings


def test_by_default_the_shipped_passend_toewijzen_table_and_five_working_days_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("PASSEND_TOEWIJZEN", "DECISION_WORKING_DAYS", "SMTP_HOST"):
        monkeypatch.delenv(f"TRANSFERPUNT_MATCHING_{name}", raising=False)
    settings = MatchingSettings()
    rules = settings.rules()
    assert rules.eligibility.affordability == PASSEND_TOEWIJZEN_2026
    assert rules.decision_working_days == 5
    assert rules.calendar.liberation_day is LiberationDay.LUSTRUM_ONLY
    assert not settings.email_enabled


def test_a_region_configures_the_years_official_figures_and_its_calendar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRANSFERPUNT_MATCHING_PASSEND_TOEWIJZEN", (
        '{"year": 2024, "income_limit_one_person": "27725", '
        '"income_limit_multi_person": "37625", "lage_aftoppingsgrens": "650.43", '
        '"hoge_aftoppingsgrens": "697.07"}'))
    monkeypatch.setenv("TRANSFERPUNT_MATCHING_MONTHS_PER_YEAR", "12.96")
    monkeypatch.setenv("TRANSFERPUNT_MATCHING_DECISION_WORKING_DAYS", "3")
    monkeypatch.setenv("TRANSFERPUNT_MATCHING_LIBERATION_DAY_EVERY_YEAR", "true")
    monkeypatch.setenv("TRANSFERPUNT_MATCHING_MAX_SURPLUS_BEDROOMS", "1")
    rules = MatchingSettings().rules()
    table = rules.eligibility.affordability
    assert table.name == "passend toewijzen 2024"
    assert table.months_per_year == Decimal("12.96")
    assert table.rent_limit_for(3, Decimal("1000")) == Decimal("697.07")
    assert rules.eligibility.max_surplus_bedrooms == 1
    assert rules.decision_working_days == 3
    assert rules.calendar.liberation_day is LiberationDay.EVERY_YEAR


def test_a_decision_period_of_zero_days_stops_the_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRANSFERPUNT_MATCHING_DECISION_WORKING_DAYS", "0")
    with pytest.raises(ValidationError):
        MatchingSettings()


def test_e_mail_goes_to_an_organisations_own_address_or_its_domain_fallback() -> None:
    settings = MatchingSettings(smtp_host="smtp.example.org",
                                notify_addresses={"c01": "verhuur@corporatie.example"},
                                notify_domain="transferpunt.example")
    assert settings.email_enabled
    assert settings.address_of("c01") == "verhuur@corporatie.example"
    assert settings.address_of("m07") == "m07@transferpunt.example"
    assert MatchingSettings(notify_domain=None).address_of("m07") is None
