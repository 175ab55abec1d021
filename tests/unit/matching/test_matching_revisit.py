"""The rule for asking the contingent (again) about a home (`next_step`), and the periodic
safety net's first pass built on it (`revisit_would_ask`): which homes a revisit can make ask
the contingent again, judged from rows read without locks, so that only those take the pool
lock and their row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.matching.application.mediate import Step, is_stale, next_step, revisit_would_ask

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


# --- next_step: what request_allocation does ------------------------------------------------


@pytest.mark.parametrize("status", ["proposed", "let", "withdrawn"])
@pytest.mark.parametrize("only_if_changed", [False, True])
def test_a_home_that_is_not_asking_is_left_alone_even_when_forced(
        status: str, only_if_changed: bool) -> None:
    assert next_step(status, ["m1"], ["m2"], only_if_changed=only_if_changed,
                     stale=True) is Step.SKIP


def test_a_forced_request_asks_even_with_the_same_members_or_an_answer_on_its_way() -> None:
    """e.g. the owed member had nobody left: the contingent is asked again at once."""
    assert next_step("waiting", ["m1"], ["m1"], only_if_changed=False, stale=False) is Step.ASK
    assert next_step("allocating", ["m1"], ["m1"], only_if_changed=False,
                     stale=False) is Step.ASK


@pytest.mark.parametrize("status", ["waiting", "allocating"])
@pytest.mark.parametrize(("only_if_changed", "stale"), [(False, False), (True, True)])
def test_a_due_request_about_nobody_with_nobody_named_before_only_waits(
        status: str, only_if_changed: bool, stale: bool) -> None:
    assert next_step(status, [], [], only_if_changed=only_if_changed,
                     stale=stale) is Step.WAIT


def test_a_request_that_is_not_due_and_would_be_the_same_is_skipped_not_marked() -> None:
    """No write at all: nothing changed since the last request."""
    assert next_step("waiting", [], [], only_if_changed=True, stale=False) is Step.SKIP
    assert next_step("waiting", ["m1"], ["m1"], only_if_changed=True,
                     stale=False) is Step.SKIP


def test_nobody_eligible_after_members_were_named_asks_to_release_the_home() -> None:
    for only_if_changed, stale in [(False, False), (True, False), (True, True)]:
        assert next_step("waiting", ["m1"], [], only_if_changed=only_if_changed,
                         stale=stale) is Step.ASK


@pytest.mark.parametrize("status", ["waiting", "allocating"])
def test_before_the_pool_is_searched_only_a_home_that_may_ask_goes_on(status: str) -> None:
    """members None: request_allocation searches the pool only when this says ASK."""
    assert next_step(status, ["m1"], None, only_if_changed=False, stale=False) is Step.ASK
    assert next_step(status, ["m1"], None, only_if_changed=True, stale=True) is Step.ASK
    expected = Step.SKIP if status == "allocating" else Step.ASK
    assert next_step(status, ["m1"], None, only_if_changed=True, stale=False) is expected


@pytest.mark.parametrize("status", ["waiting", "allocating", "proposed"])
@pytest.mark.parametrize("stale", [False, True])
@pytest.mark.parametrize("requested", [[], ["m1"], ["m1", "m2"]])
@pytest.mark.parametrize("members", [[], ["m1"], ["m2"], ["m1", "m2"]])
def test_the_pass_without_locks_picks_exactly_the_homes_a_revisit_asks_about(
        status: str, stale: bool, requested: list[str], members: list[str]) -> None:
    """One rule: a home the pass leaves out is one request_allocation(only_if_changed=True)
    would not ask about (for an allocating home the pass does not search the pool)."""
    revisit = next_step(status, requested, members, only_if_changed=True, stale=stale)
    seen = None if status == "allocating" else members
    if revisit is Step.ASK:
        assert revisit_would_ask(status, requested, seen, stale=stale)
    if not revisit_would_ask(status, requested, seen, stale=stale):
        assert revisit is not Step.ASK
