"""Decision deadlines in Dutch working days, with a fixed clock around weekends and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from matching_builders import AMSTERDAM, ams

from services.matching.domain.deadlines import (
    LiberationDay,
    WorkingCalendar,
    decision_deadline,
    local_date,
    reminder_due,
)
from services.matching.domain.errors import InvalidInput

CALENDAR = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "what"),
    [
        (date(2026, 1, 1), "Nieuwjaarsdag"),
        (date(2026, 4, 3), "Goede Vrijdag"),
        (date(2026, 4, 6), "Tweede Paasdag"),
        (date(2026, 4, 27), "Koningsdag"),
        (date(2026, 5, 14), "Hemelvaartsdag"),
        (date(2026, 5, 25), "Tweede Pinksterdag"),
        (date(2026, 12, 25), "Eerste Kerstdag"),
        (date(2025, 12, 26), "Tweede Kerstdag"),
        (date(2025, 5, 5), "Bevrijdingsdag in a lustrum year"),
    ],
)
def test_dutch_public_holidays_are_not_working_days(day: date, what: str) -> None:
    assert not CALENDAR.is_working_day(day), what


def test_koningsdag_moves_to_26_april_when_27_april_is_a_sunday() -> None:
    assert date(2025, 4, 26) in CALENDAR.holidays_in(2025)
    assert date(2025, 4, 27) not in CALENDAR.holidays_in(2025)


def test_bevrijdingsdag_is_a_working_day_outside_lustrum_years_by_default() -> None:
    assert CALENDAR.is_working_day(date(2026, 5, 5))  # a Tuesday
    every_year = WorkingCalendar(liberation_day=LiberationDay.EVERY_YEAR)
    assert not every_year.is_working_day(date(2026, 5, 5))


def test_five_working_days_from_a_monday_is_next_monday_at_the_same_time() -> None:
    assert decision_deadline(ams(2026, 3, 2, 14, 30)) == ams(2026, 3, 9, 14, 30)


def test_weekend_is_skipped_when_counting_working_days() -> None:
    assert decision_deadline(ams(2026, 3, 5, 10)) == ams(2026, 3, 12, 10)  # Thu -> Thu
    assert decision_deadline(ams(2026, 3, 6, 10), working_days=1) == ams(2026, 3, 9, 10)


def test_proposal_on_a_saturday_counts_from_the_next_monday() -> None:
    assert decision_deadline(ams(2026, 3, 7, 11)) == ams(2026, 3, 13, 11)  # Sat -> Fri


def test_deadline_skips_good_friday_and_easter_monday() -> None:
    # Wed 1 April 2026: Thu 2 (1), [Fri 3 Goede Vrijdag], [Mon 6 Tweede Paasdag],
    # Tue 7 (2), Wed 8 (3), Thu 9 (4), Fri 10 (5).
    assert decision_deadline(ams(2026, 4, 1, 10)) == ams(2026, 4, 10, 10)


def test_deadline_skips_kings_day() -> None:
    # Thu 23 April 2026: Fri 24 (1), [Mon 27 Koningsdag], Tue 28 .. Fri 1 May (5).
    assert decision_deadline(ams(2026, 4, 23, 9)) == ams(2026, 5, 1, 9)


def test_deadline_skips_ascension_day() -> None:
    assert decision_deadline(ams(2026, 5, 13, 9), working_days=1) == ams(2026, 5, 15, 9)


def test_deadline_skips_christmas_and_crosses_into_the_new_year() -> None:
    # Wed 23 Dec 2026: Thu 24 (1), [Fri 25, Sat 26, Sun 27], Mon 28 .. Thu 31 (5).
    assert decision_deadline(ams(2026, 12, 23, 9)) == ams(2026, 12, 31, 9)
    # Mon 28 Dec 2026: Tue 29, Wed 30, Thu 31, [Fri 1 Jan], Mon 4, Tue 5 Jan 2027.
    assert decision_deadline(ams(2026, 12, 28, 9)) == ams(2027, 1, 5, 9)


def test_liberation_day_in_a_lustrum_year_is_skipped() -> None:
    # Fri 2 May 2025 + 1 working day: [Mon 5 May 2025 Bevrijdingsdag] -> Tue 6 May.
    assert decision_deadline(ams(2025, 5, 2, 12), working_days=1) == ams(2025, 5, 6, 12)


def test_region_can_count_liberation_day_every_year() -> None:
    every_year = WorkingCalendar(liberation_day=LiberationDay.EVERY_YEAR)
    proposed = ams(2026, 5, 4, 12)
    assert decision_deadline(proposed, 1) == ams(2026, 5, 5, 12)
    assert decision_deadline(proposed, 1, every_year) == ams(2026, 5, 6, 12)


def test_region_can_close_extra_days_such_as_the_friday_after_ascension() -> None:
    calendar = WorkingCalendar(extra_closed_days=frozenset({date(2026, 5, 15)}))
    assert decision_deadline(ams(2026, 5, 13, 9), 1, calendar) == ams(2026, 5, 18, 9)


def test_deadline_keeps_its_wall_clock_time_across_the_change_to_summer_time() -> None:
    proposed = ams(2026, 3, 25, 10)  # CET, UTC+1; summer time starts Sun 29 March
    deadline = decision_deadline(proposed)
    assert deadline == ams(2026, 4, 1, 10)
    assert deadline.astimezone(UTC).hour == 8
    assert proposed.astimezone(UTC).hour == 9


def test_deadline_counts_from_the_dutch_calendar_day_and_keeps_the_input_time_zone() -> None:
    # Sunday 23:30 UTC is Monday 00:30 in Amsterdam (winter): five working days -> next Monday.
    proposed = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    deadline = decision_deadline(proposed)
    assert deadline.tzinfo is UTC
    assert deadline.astimezone(AMSTERDAM) == ams(2026, 3, 9, 0, 30)
    assert local_date(proposed) == date(2026, 3, 2)


def test_offset_time_zones_are_accepted() -> None:
    plus_two = timezone(timedelta(hours=2))
    proposed = datetime(2026, 6, 1, 10, 0, tzinfo=plus_two)  # = 10:00 CEST, a Monday
    assert decision_deadline(proposed) == datetime(2026, 6, 8, 10, 0, tzinfo=plus_two)


def test_a_time_without_time_zone_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        decision_deadline(datetime(2026, 3, 2, 10, 0))
    with pytest.raises(InvalidInput):
        reminder_due(datetime(2026, 3, 2, 10, 0))


def test_decision_period_must_be_at_least_one_working_day() -> None:
    with pytest.raises(InvalidInput):
        decision_deadline(ams(2026, 3, 2, 10), working_days=0)


def test_reminder_is_one_working_day_before_the_deadline() -> None:
    assert reminder_due(ams(2026, 3, 12, 10)) == ams(2026, 3, 11, 10)  # Thu -> Wed
    assert reminder_due(ams(2026, 3, 9, 10)) == ams(2026, 3, 6, 10)  # Mon -> Fri


def test_reminder_skips_easter_back_to_the_thursday_before_good_friday() -> None:
    assert reminder_due(ams(2026, 4, 7, 10)) == ams(2026, 4, 2, 10)


def test_working_days_can_be_counted_backwards_and_zero_is_the_same_day() -> None:
    assert CALENDAR.add_working_days(date(2026, 4, 7), -2) == date(2026, 4, 1)
    assert CALENDAR.add_working_days(date(2026, 4, 4), 0) == date(2026, 4, 4)
