"""The region's aftercare settings and the contract terms aftercare accepts from matching."""

from datetime import UTC, datetime

import pytest

from services.aftercare.application.contracts import contract_from_terms
from services.aftercare.domain.errors import InvalidPolicyError
from services.aftercare.domain.outcomes import Contract, ContractType
from services.aftercare.settings import AftercareSettings


def test_policy_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSFERPUNT_AFTERCARE_LENGTH_MONTHS", "18")
    monkeypatch.setenv("TRANSFERPUNT_AFTERCARE_CHECKIN_MONTHS", "[1, 3, 6, 12, 18]")
    monkeypatch.setenv("TRANSFERPUNT_AFTERCARE_ESCALATION_DAYS", "3")

    policy = AftercareSettings().policy()

    assert (policy.length_months, policy.checkin_months, policy.escalation_days) == (
        18, (1, 3, 6, 12, 18), 3)


def test_inconsistent_policy_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSFERPUNT_AFTERCARE_CHECKIN_MONTHS", "[1, 2, 13]")

    with pytest.raises(InvalidPolicyError):
        AftercareSettings().policy()


def test_business_date_is_the_regions_calendar_day() -> None:
    late_evening_utc = datetime(2027, 3, 2, 23, 30, tzinfo=UTC)  # 00:30 in Amsterdam

    assert AftercareSettings().business_date(late_evening_utc).isoformat() == "2027-03-03"


def test_intermediary_contract_without_a_term_converts_after_a_year() -> None:
    assert contract_from_terms("intermediary", None) == Contract(ContractType.INTERMEDIARY, 12)
    assert contract_from_terms("intermediary", 24) == Contract(ContractType.INTERMEDIARY, 24)


def test_only_an_intermediary_contract_keeps_an_omklap_term() -> None:
    assert contract_from_terms("own_name", 12) == Contract(ContractType.OWN_NAME)
    assert contract_from_terms("temporary", None) == Contract(ContractType.TEMPORARY)
