"""The periodic safety net's first pass (`revisit_would_ask`): which homes a revisit can make
ask the contingent again, judged from rows read without locks, so that only those take the
pool lock and their row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.matching.application.mediate import is_stale, revisit_would_ask

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def test_a_request_is_stale_once_old_enough_or_never_sent() -> None:
    assert is_stale(None, NOW, DAY)
    assert is_stale(NOW - DAY, NOW, DAY)
    assert not is_stale(NOW - DAY + timedelta(seconds=1), NOW, DAY)


@pytest.mark.parametrize("stale", [False, True])
def test_an_allocating_home_is_revisited_only_once_its_request_is_stale(stale: bool) -> None:
    """Its answer is on its way; only a lost answer (a stale request) asks again."""
    assert revisit_would_ask("allocating", ["m1"], None, stale=stale) is stale
    assert revisit_would_ask("allocating", [], None, stale=stale) is stale


@pytest.mark.parametrize("stale", [False, True])
def test_a_waiting_home_nobody_is_eligible_for_and_that_asked_about_nobody_is_left_alone(
        stale: bool) -> None:
    """There is nobody to ask about and nothing for the contingent to release."""
    assert not revisit_would_ask("waiting", [], [], stale=stale)


def test_a_waiting_home_whose_eligible_members_changed_is_revisited() -> None:
    assert revisit_would_ask("waiting", [], ["m1"], stale=False)  # somebody new
    assert revisit_would_ask("waiting", ["m1"], ["m1", "m2"], stale=False)
    # its member's candidate was taken: the request naming nobody releases the home
    assert revisit_would_ask("waiting", ["m1"], [], stale=False)


def test_a_waiting_home_whose_members_are_the_same_asks_again_only_when_stale() -> None:
    assert not revisit_would_ask("waiting", ["m1", "m2"], ["m1", "m2"], stale=False)
    assert revisit_would_ask("waiting", ["m1", "m2"], ["m1", "m2"], stale=True)


@pytest.mark.parametrize("status", ["proposed", "let", "withdrawn"])
def test_a_home_that_is_not_asking_is_never_revisited(status: str) -> None:
    assert not revisit_would_ask(status, ["m1"], ["m2"], stale=True)
