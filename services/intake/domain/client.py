"""The client's personal data: what stays inside the intake service and never goes on Kafka."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from services.intake.domain.bsn import bsn_problem, normalise_bsn
from services.intake.domain.errors import FieldError

NAME_MAX = 200
ADDRESS_MAX = 300
OLDEST_AGE = 120
# A tenancy contract needs a client of legal age (meerderjarig) on the day they move.
ADULT_AGE = 18

# Deliberately loose: we only catch obvious slips, real checking is done by contacting the client.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-]+$")
_PHONE_DIGITS_MIN, _PHONE_DIGITS_MAX = 10, 15


@dataclass(frozen=True, slots=True)
class Contact:
    """How to reach the client. Every part is optional: many people in a shelter have no address."""

    phone: str | None = None
    email: str | None = None
    address: str | None = None

    def __repr__(self) -> str:
        # Reprs end up in logs and tracebacks; personal data must not.
        return "Contact(<hidden>)"


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Name, date of birth, contact and optional BSN (burgerservicenummer).

    `date_of_birth` is only None after the personal data has been erased.
    """

    name: str
    date_of_birth: date | None
    bsn: str | None = None
    contact: Contact = field(default_factory=Contact)

    def __repr__(self) -> str:
        # Reprs end up in logs and tracebacks; personal data must not.
        return "PersonalData(<hidden>)"

    @classmethod
    def erased(cls) -> PersonalData:
        return cls(name="", date_of_birth=None, bsn=None, contact=Contact())

    def normalised(self) -> PersonalData:
        """Trimmed text, BSN without separators, empty strings stored as None."""
        bsn = _clean(self.bsn)
        return PersonalData(
            name=self.name.strip(),
            date_of_birth=self.date_of_birth,
            bsn=normalise_bsn(bsn) if bsn else None,
            contact=Contact(
                phone=_clean(self.contact.phone),
                email=_clean(self.contact.email),
                address=_clean(self.contact.address),
            ),
        )


def validate_personal_data(data: PersonalData, today: date, ready_on: date) -> list[FieldError]:
    """All problems with the personal data; `ready_on` is the date the client is ready to move."""
    errors = _name_errors(data.name)
    errors += _birth_errors(data.date_of_birth, today, ready_on)
    bsn = _clean(data.bsn)
    problem = bsn_problem(bsn) if bsn else None
    if problem:
        errors.append(FieldError("client.bsn", problem))
    errors += _contact_errors(data.contact)
    return errors


def _name_errors(name: str) -> list[FieldError]:
    if not name.strip():
        return [FieldError("client.name", "is required")]
    if len(name.strip()) > NAME_MAX:
        return [FieldError("client.name", f"is longer than {NAME_MAX} characters")]
    if not name.isprintable():
        return [FieldError("client.name", "contains control characters (tabs or line breaks)")]
    return []


def _birth_errors(born: date | None, today: date, ready_on: date) -> list[FieldError]:
    field_name = "client.date_of_birth"
    if born is None:
        return [FieldError(field_name, "is required")]
    if born >= today:
        return [FieldError(field_name, "must be in the past")]
    if age_on(born, today) > OLDEST_AGE:
        return [FieldError(field_name, f"gives an age above {OLDEST_AGE}; check the year")]
    if age_on(born, max(today, ready_on)) < ADULT_AGE:
        return [
            FieldError(
                field_name,
                f"the client must be {ADULT_AGE} or older on the ready-to-move date "
                "(a tenancy needs a client of legal age)",
            )
        ]
    return []


def _contact_errors(contact: Contact) -> list[FieldError]:
    errors: list[FieldError] = []
    phone, email, address = _clean(contact.phone), _clean(contact.email), _clean(contact.address)
    if phone and not _is_phone(phone):
        errors.append(
            FieldError(
                "client.contact.phone",
                "is not a phone number (10 to 15 digits; spaces, '+', '-' and brackets allowed)",
            )
        )
    if email and not _EMAIL.match(email):
        errors.append(FieldError("client.contact.email", "is not an e-mail address (name@domain)"))
    if address and len(address) > ADDRESS_MAX:
        errors.append(
            FieldError("client.contact.address", f"is longer than {ADDRESS_MAX} characters")
        )
    return errors


def _is_phone(raw: str) -> bool:
    digits = sum(char.isdigit() for char in raw)
    matches = _PHONE_CHARS.match(raw) is not None
    return matches and _PHONE_DIGITS_MIN <= digits <= _PHONE_DIGITS_MAX


def age_on(born: date, day: date) -> int:
    """Age in whole years on `day`; someone born on 29 February ages on 1 March in other years."""
    had_birthday = (day.month, day.day) >= (born.month, born.day)
    return day.year - born.year - (0 if had_birthday else 1)


def _clean(value: str | None) -> str | None:
    """Trimmed text, or None when nothing was filled in."""
    stripped = (value or "").strip()
    return stripped or None
