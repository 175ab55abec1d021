"""The aggregate survives the trip to its database row and back, and an erased case keeps
no personal data in any column."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from intake_fakes import T0, context, details

from services.intake.adapters.db.records import intake_from, row_values
from services.intake.domain.intake import ClientDeclineReason, Intake, WithdrawalReason
from services.intake.domain.pseudonym import client_ref
from services.intake.domain.risks import Risk, RiskCategory

DAY = timedelta(days=1)


def lived_intake() -> Intake:
    intake = Intake.open(
        case_id="6f1c1d2e-1111-4a4a-8b8b-000000000002",
        client_ref=client_ref(b"k" * 32, "111222333", "m01:K-1"),
        member_id="m01", caseworker_id="cw@m01",
        details=details(risks=(Risk(RiskCategory.DEBTS, "budget coaching", "debt service"),)),
        rules=context().rules, now=T0,
    )
    intake.submit(T0 + DAY)
    intake.propose("match-1", T0 + 2 * DAY)
    intake.client_accepts("match-1", T0 + 3 * DAY)
    intake.client_declines("match-1", ClientDeclineReason.NOT_READY, T0 + 4 * DAY, "not yet")
    intake.propose("match-2", T0 + 5 * DAY)
    intake.mark_housed("match-2", date(2027, 5, 1), T0 + 6 * DAY)
    return intake


def as_row(intake: Intake, client_number: str | None = "K-1") -> SimpleNamespace:
    values = row_values(intake)
    values["updated_at"] = T0
    return SimpleNamespace(**values, client_number=client_number)


def test_the_aggregate_round_trips_through_its_row() -> None:
    intake = lived_intake()
    again = intake_from(as_row(intake))
    assert again == intake


def test_a_withdrawn_case_round_trips_with_its_reason() -> None:
    intake = Intake.open(
        case_id="6f1c1d2e-1111-4a4a-8b8b-000000000003",
        client_ref=client_ref(b"k" * 32, None, "m01:K-3"), member_id="m01",
        caseworker_id="cw", details=details(), rules=context().rules, now=T0)
    intake.withdraw(WithdrawalReason.LOST_CONTACT, T0 + DAY)
    assert intake_from(as_row(intake)) == intake


def test_an_erased_case_keeps_no_personal_data_in_any_column() -> None:
    intake = lived_intake()
    intake.close(T0 + 400 * DAY)
    intake.erase_personal_data(T0 + 1200 * DAY)
    values = row_values(intake)
    assert values["personal"] is None and values["notes"] is None
    text = repr(values)
    for personal in ("Maria", "Pietersen", "111222333", "1979", "0612345678", "example.org",
                     "Opvangstraat", "mornings", "budget coaching", "debt service", "not yet"):
        assert personal not in text, personal
    assert values["client_ref"] == intake.client_ref and values["status"] == "closed"
    again = intake_from(as_row(intake, client_number=None))
    assert again.details.client.name == "" and again.personal_data_erased_at is not None
