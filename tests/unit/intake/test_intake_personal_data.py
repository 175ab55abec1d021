"""Validation of the client's personal data: name, date of birth, BSN, contact."""

from datetime import date

import pytest

from services.intake.domain.client import Contact, PersonalData, age_on, validate_personal_data

TODAY = date(2026, 3, 2)
READY = date(2026, 3, 16)


def personal(**overrides: object) -> PersonalData:
    values: dict[str, object] = {
        "name": "Jan Jansen",
        "date_of_birth": date(1985, 6, 15),
        "bsn": None,
        "contact": Contact(),
    }
    values.update(overrides)
    return PersonalData(**values)  # type: ignore[arg-type]


def fields_of(data: PersonalData) -> list[str]:
    return [error.field for error in validate_personal_data(data, TODAY, READY)]


def test_name_and_date_of_birth_are_enough() -> None:
    assert fields_of(personal()) == []


def test_contact_details_are_all_optional_but_checked_when_given() -> None:
    good = Contact(phone="+31 (0)6-1234 5678", email="jan@example.org", address="Postbus 1")
    assert fields_of(personal(contact=good)) == []
    bad = Contact(phone="12", email="jan.example.org", address="x" * 301)
    assert fields_of(personal(contact=bad)) == [
        "client.contact.phone",
        "client.contact.email",
        "client.contact.address",
    ]


def test_blank_contact_fields_count_as_not_given() -> None:
    assert fields_of(personal(contact=Contact(phone="  ", email="", address=" "))) == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "Jan\tJansen"])
def test_a_missing_overlong_or_garbled_name_is_refused(name: str) -> None:
    assert fields_of(personal(name=name)) == ["client.name"]


def test_date_of_birth_is_required() -> None:
    assert fields_of(personal(date_of_birth=None)) == ["client.date_of_birth"]


@pytest.mark.parametrize("born", [TODAY, date(2030, 1, 1), date(1900, 1, 1)])
def test_date_of_birth_must_be_plausible(born: date) -> None:
    assert fields_of(personal(date_of_birth=born)) == ["client.date_of_birth"]


def test_client_must_be_of_legal_age_on_the_ready_to_move_date() -> None:
    seventeen_on_ready_date = date(READY.year - 17, READY.month, READY.day)
    errors = validate_personal_data(personal(date_of_birth=seventeen_on_ready_date), TODAY, READY)
    assert [e.field for e in errors] == ["client.date_of_birth"]
    assert "18 or older" in errors[0].message


def test_client_turning_18_by_the_ready_to_move_date_is_accepted() -> None:
    eighteen_on_ready_date = date(READY.year - 18, READY.month, READY.day)
    assert fields_of(personal(date_of_birth=eighteen_on_ready_date)) == []


def test_age_counts_a_leap_day_birthday_from_1_march() -> None:
    born = date(2004, 2, 29)
    assert age_on(born, date(2022, 2, 28)) == 17
    assert age_on(born, date(2022, 3, 1)) == 18


def test_an_invalid_bsn_is_reported_on_the_bsn_field() -> None:
    errors = validate_personal_data(personal(bsn="123456789"), TODAY, READY)
    assert [(e.field, e.message) for e in errors] == [
        ("client.bsn", "fails the 11-check (elfproef); check the digits")
    ]


def test_the_bsn_is_optional() -> None:
    assert fields_of(personal(bsn=None)) == []
    assert fields_of(personal(bsn="  ")) == []


def test_normalising_trims_text_and_strips_bsn_separators() -> None:
    data = personal(
        name="  Jan Jansen ", bsn="111 222 333", contact=Contact(phone=" 0612345678 ", email="")
    ).normalised()
    assert data.name == "Jan Jansen"
    assert data.bsn == "111222333"
    assert data.contact == Contact(phone="0612345678", email=None, address=None)
