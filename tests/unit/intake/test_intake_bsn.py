"""The BSN 11-check (elfproef)."""

import pytest

from services.intake.domain.bsn import bsn_problem, is_valid_bsn, normalise_bsn

VALID = "111222333"  # 9+8+7+12+10+8+9+6-3 = 66 = 6 * 11


@pytest.mark.parametrize("bsn", [VALID, "123456782", "999999990", "111.222.333", "111 222 333"])
def test_numbers_that_pass_the_elfproef_are_valid(bsn: str) -> None:
    assert is_valid_bsn(bsn)
    assert bsn_problem(bsn) is None


def test_a_number_failing_the_elfproef_is_named_as_such() -> None:
    assert bsn_problem("123456789") == "fails the 11-check (elfproef); check the digits"


def test_all_zeros_is_refused_although_its_weighted_sum_is_zero() -> None:
    assert bsn_problem("000000000") == "cannot be all zeros"


@pytest.mark.parametrize("bsn", ["11122233", "1112223330", "", "1"])
def test_anything_but_nine_digits_is_refused(bsn: str) -> None:
    problem = bsn_problem(bsn)
    assert problem is not None
    assert "9 digits" in problem or "only digits" in problem


@pytest.mark.parametrize("bsn", ["11122233a", "111-222-33x", "１１１２２２３３３"])
def test_letters_and_non_ascii_digits_are_refused(bsn: str) -> None:
    assert bsn_problem(bsn) == "must contain only digits"


def test_every_single_mistyped_digit_is_caught() -> None:
    for position in range(9):
        for digit in "0123456789":
            if digit == VALID[position]:
                continue
            typo = VALID[:position] + digit + VALID[position + 1 :]
            assert not is_valid_bsn(typo), typo


def test_normalising_strips_the_separators_people_type() -> None:
    assert normalise_bsn(" 111.222-333 ") == VALID


def test_problem_messages_never_repeat_the_number() -> None:
    for bsn in ["123456789", "12345678", "12345678x", "000000000"]:
        problem = bsn_problem(bsn)
        assert problem is not None
        assert bsn not in problem
