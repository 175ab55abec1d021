"""Dates, moments, money and numbers the way a Dutch (or English) reader expects them.

Moments are shown in the region's time zone; the APIs answer in UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from shared.ui.settings import Language

REGION_TZ = ZoneInfo("Europe/Amsterdam")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec")


def as_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(REGION_TZ).date()
    if isinstance(value, date):
        return value
    text = str(value)
    if "T" in text:
        return as_moment(text).astimezone(REGION_TZ).date()  # type: ignore[union-attr]
    return date.fromisoformat(text)


def as_moment(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class Formatter:
    def __init__(self, lang: Language) -> None:
        self.lang = lang

    def date(self, value: object) -> str:
        day = as_date(value)
        if day is None:
            return "–"
        if self.lang == "en":
            return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
        return day.strftime("%d-%m-%Y")

    def moment(self, value: object) -> str:
        moment = as_moment(value)
        if moment is None:
            return "–"
        local = moment.astimezone(REGION_TZ)
        return f"{self.date(local.date())} {local:%H:%M}"

    def money(self, value: object) -> str:
        if value is None or value == "":
            return "–"
        try:
            amount = Decimal(str(value)).quantize(Decimal("0.01"))
        except InvalidOperation:
            return str(value)
        text = f"{amount:,.2f}"
        if self.lang == "nl":
            text = text.replace(",", "_").replace(".", ",").replace("_", ".")
            return f"€ {text}"
        return f"€{text}"

    def number(self, value: object, places: int = 0) -> str:
        if value is None or value == "":
            return "–"
        number = float(value)  # type: ignore[arg-type]
        text = f"{number:,.{places}f}"
        if self.lang == "nl":
            text = text.replace(",", "_").replace(".", ",").replace("_", ".")
        return text

    def signed(self, value: object, places: int = 2) -> str:
        """A deviation: always with its sign (+0,50 / −1,25)."""
        number = float(value)  # type: ignore[arg-type]
        text = self.number(abs(number), places)
        return ("+" if number > 0 else "−" if number < 0 else "±") + text


def days_between(start: object, end: object) -> int | None:
    first, last = as_date(start), as_date(end)
    if first is None or last is None:
        return None
    return (last - first).days
