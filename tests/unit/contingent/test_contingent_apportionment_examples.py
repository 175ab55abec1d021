"""Hand-worked and published apportionments: each method gives the textbook answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction

import pytest

from services.contingent.domain.apportionment import METHODS, Tie, apportion, apportion_within
from services.contingent.domain.errors import InvalidContingent

# --- Hand-worked: needs 100, 80, 30, 20 and 8 homes -----------------------------------------
#
# Quotas (8 × need / 230): 3.478, 2.783, 1.043, 0.696.
# D'Hondt, divisors 1, 2, 3, …: 100, 80, 50, 40, 33.3, 30, 26.7, 25 → a 4, b 3, c 1, d 0.
# Sainte-Laguë, divisors 1, 3, 5, …: 100, 80, 33.3, 30, 26.7, 20, 20, 16 → 3, 3, 1, 1.
# Hamilton: floors 3, 2, 1, 0 (6); remainders .478 .783 .043 .696 → b and d: 3, 3, 1, 1.
# Huntington-Hill: one each (4), then need/sqrt(s(s+1)): a 70.7, b 56.6, a 40.8, b 32.7
#   (c 21.2, d 14.1 lower) → 3, 3, 1, 1.
FOUR = {"a": 100, "b": 80, "c": 30, "d": 20}


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("dhondt", {"a": 4, "b": 3, "c": 1, "d": 0}),
        ("sainte_lague", {"a": 3, "b": 3, "c": 1, "d": 1}),
        ("hamilton", {"a": 3, "b": 3, "c": 1, "d": 1}),
        ("huntington_hill", {"a": 3, "b": 3, "c": 1, "d": 1}),
    ],
)
def test_each_method_gives_its_hand_worked_shares(method: str, expected: dict[str, int]) -> None:
    result = apportion(8, FOUR, method)  # type: ignore[arg-type]
    assert result.shares == expected
    assert result.ties == ()
    assert result.method == method


def test_dhondt_favours_the_large_member_where_sainte_lague_does_not() -> None:
    assert apportion(8, FOUR, "dhondt").shares["a"] > apportion(8, FOUR).shares["a"]


def test_default_method_is_sainte_lague() -> None:
    assert apportion(8, FOUR).method == "sainte_lague"


def test_shares_keep_input_order_and_list_every_member() -> None:
    needs = {"m09": 5, "m01": 0, "m05": 3}
    assert list(apportion(4, needs).shares) == ["m09", "m01", "m05"]


# --- The Alabama paradox (ENGINEERING-NOTES "Apportionment") --------------------------------


def test_hamilton_shows_the_alabama_paradox_on_needs_5_3_1() -> None:
    # 4 homes: quotas 2.22, 1.33, 0.44 → floors 2, 1, 0; one left, largest remainder c (.44).
    assert apportion(4, {"a": 5, "b": 3, "c": 1}, "hamilton").shares == {"a": 2, "b": 1, "c": 1}
    # 5 homes: quotas 2.78, 1.67, 0.56 → floors 2, 1, 0; two left, to a (.78) and b (.67):
    # c loses its home although the total grew.
    assert apportion(5, {"a": 5, "b": 3, "c": 1}, "hamilton").shares == {"a": 3, "b": 2, "c": 0}


@pytest.mark.parametrize("method", ["sainte_lague", "dhondt", "huntington_hill"])
def test_divisor_methods_do_not_take_a_home_away_on_needs_5_3_1(method: str) -> None:
    four = apportion(4, {"a": 5, "b": 3, "c": 1}, method).shares  # type: ignore[arg-type]
    five = apportion(5, {"a": 5, "b": 3, "c": 1}, method).shares  # type: ignore[arg-type]
    assert all(five[m] >= four[m] for m in four)


# --- Published apportionments ---------------------------------------------------------------

# 2020 US Census apportionment population of the 50 states and the resulting House seats
# (435, method of equal proportions = Huntington-Hill). Source: U.S. Census Bureau, "2020
# Census Apportionment Results", Table 1 (census.gov/data/tables/2020/dec/2020-apportionment-
# data.html), released 26 April 2021. Checks on the figures: they add up to the published
# 331,108,434; seat 435 went to Minnesota and New York was 89 people short of seat 436's
# priority (Census Bureau press briefing, widely reported, e.g. West Central Tribune
# 27 April 2021 "How 89 non-existent New Yorkers saved Minnesota's 8th U.S. House seat").
US_2020_POPULATION = {
    "AL": 5030053, "AK": 736081, "AZ": 7158923, "AR": 3013756, "CA": 39576757,
    "CO": 5782171, "CT": 3608298, "DE": 990837, "FL": 21570527, "GA": 10725274,
    "HI": 1460137, "ID": 1841377, "IL": 12822739, "IN": 6790280, "IA": 3192406,
    "KS": 2940865, "KY": 4509342, "LA": 4661468, "ME": 1363582, "MD": 6185278,
    "MA": 7033469, "MI": 10084442, "MN": 5709752, "MS": 2963914, "MO": 6160281,
    "MT": 1085407, "NE": 1963333, "NV": 3108462, "NH": 1379089, "NJ": 9294493,
    "NM": 2120220, "NY": 20215751, "NC": 10453948, "ND": 779702, "OH": 11808848,
    "OK": 3963516, "OR": 4241500, "PA": 13011844, "RI": 1098163, "SC": 5124712,
    "SD": 887770, "TN": 6916897, "TX": 29183290, "UT": 3275252, "VT": 643503,
    "VA": 8654542, "WA": 7715946, "WV": 1795045, "WI": 5897473, "WY": 577719,
}  # fmt: skip
US_2020_SEATS = {
    "AL": 7, "AK": 1, "AZ": 9, "AR": 4, "CA": 52, "CO": 8, "CT": 5, "DE": 1, "FL": 28,
    "GA": 14, "HI": 2, "ID": 2, "IL": 17, "IN": 9, "IA": 4, "KS": 4, "KY": 6, "LA": 6,
    "ME": 2, "MD": 8, "MA": 9, "MI": 13, "MN": 8, "MS": 4, "MO": 8, "MT": 2, "NE": 3,
    "NV": 4, "NH": 2, "NJ": 12, "NM": 3, "NY": 26, "NC": 14, "ND": 1, "OH": 15, "OK": 5,
    "OR": 6, "PA": 17, "RI": 2, "SC": 7, "SD": 1, "TN": 9, "TX": 38, "UT": 4, "VT": 1,
    "VA": 11, "WA": 10, "WV": 2, "WI": 8, "WY": 1,
}  # fmt: skip


def test_census_figures_add_up_to_the_published_total() -> None:
    assert sum(US_2020_POPULATION.values()) == 331_108_434
    assert sum(US_2020_SEATS.values()) == 435


def test_huntington_hill_reproduces_the_2020_us_house_apportionment() -> None:
    result = apportion(435, US_2020_POPULATION, "huntington_hill")
    assert result.shares == US_2020_SEATS
    assert result.ties == ()


def test_seat_435_is_minnesotas_and_seat_436_new_yorks() -> None:
    smaller = apportion(434, US_2020_POPULATION, "huntington_hill").shares
    larger = apportion(436, US_2020_POPULATION, "huntington_hill").shares
    assert {m for m in US_2020_SEATS if smaller[m] != US_2020_SEATS[m]} == {"MN"}
    assert {m for m in US_2020_SEATS if larger[m] != US_2020_SEATS[m]} == {"NY"}


def test_exact_arithmetic_decides_an_89_person_margin() -> None:
    # With 89 more New Yorkers, New York's 27th seat outranks Minnesota's 8th; with 88 not.
    plus_89 = {**US_2020_POPULATION, "NY": US_2020_POPULATION["NY"] + 89}
    plus_88 = {**US_2020_POPULATION, "NY": US_2020_POPULATION["NY"] + 88}
    shares_89 = apportion(435, plus_89, "huntington_hill").shares
    shares_88 = apportion(435, plus_88, "huntington_hill").shares
    assert (shares_89["NY"], shares_89["MN"]) == (27, 7)
    assert (shares_88["NY"], shares_88["MN"]) == (26, 8)


# New Zealand general election 2020, official result: party votes of the parties that
# qualified for list seats, and their 120 seats by Sainte-Laguë (no overhang that year).
# Source: New Zealand Electoral Commission, "2020 General Election and Referendums —
# Official Result" (electionresults.govt.nz/electionresults_2020/), 6 November 2020.
NZ_2020_PARTY_VOTES = {
    "labour": 1_443_545,
    "national": 738_275,
    "green": 226_757,
    "act": 219_031,
    "maori": 33_630,
}
NZ_2020_SEATS = {"labour": 65, "national": 33, "green": 10, "act": 10, "maori": 2}


def test_sainte_lague_reproduces_the_2020_new_zealand_parliament() -> None:
    assert apportion(120, NZ_2020_PARTY_VOTES, "sainte_lague").shares == NZ_2020_SEATS


def test_census_sized_needs_with_a_huge_total_are_still_exact_and_fast() -> None:
    result = apportion(10**9, US_2020_POPULATION, "sainte_lague")
    assert sum(result.shares.values()) == 10**9
    quota = Fraction(10**9 * US_2020_POPULATION["CA"], 331_108_434)
    assert abs(result.shares["CA"] - quota) < 1


# --- Ties: the documented tie-break, and reporting ------------------------------------------


def test_genuine_sainte_lague_tie_is_reported_and_broken_by_member_id() -> None:
    # Priorities 3 (a), 3 (b), 2 (c), then a and b both at 3/3 = 1 for the last home.
    result = apportion(4, {"b": 3, "a": 3, "c": 2}, "sainte_lague")
    assert result.shares == {"b": 1, "a": 2, "c": 1}
    assert result.ties == (Tie(("a", "b"), 1, ("a",), Fraction(2 * 3, 3)),)
    assert result.ties[0].losers == ("b",)


def test_tie_is_broken_by_larger_need_before_member_id() -> None:
    # D'Hondt: b 4, then b's 4/2 = 2 ties a's 2/1 = 2 for the second home; b needs more.
    result = apportion(2, {"a": 2, "b": 4}, "dhondt")
    assert result.shares == {"a": 0, "b": 2}
    assert result.ties[0].members == ("b", "a")
    assert result.ties[0].winners == ("b",)


def test_hamilton_tie_on_equal_remainders_is_reported() -> None:
    result = apportion(2, {"c": 1, "b": 1, "a": 1}, "hamilton")
    assert result.shares == {"c": 0, "b": 1, "a": 1}
    assert result.ties == (Tie(("a", "b", "c"), 2, ("a", "b"), Fraction(2, 3)),)


def test_a_level_that_fits_in_the_homes_left_is_not_a_tie() -> None:
    assert apportion(3, {"a": 1, "b": 1, "c": 1}).ties == ()


def test_huntington_hill_with_fewer_homes_than_members_ranks_by_need() -> None:
    result = apportion(2, {"a": 5, "b": 3, "c": 3, "d": 1}, "huntington_hill")
    assert result.shares == {"a": 1, "b": 1, "c": 0, "d": 0}
    assert result.ties == (Tie(("b", "c"), 1, ("b",), Fraction(3)),)


def test_huntington_hill_gives_everyone_with_need_a_first_home_before_any_second() -> None:
    result = apportion(4, {"big": 1000, "s1": 1, "s2": 1, "s3": 1}, "huntington_hill")
    assert result.shares == {"big": 1, "s1": 1, "s2": 1, "s3": 1}


# --- Need 0, minimum, cap ---------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_member_with_need_zero_gets_nothing_even_with_a_minimum(method: str) -> None:
    result = apportion(10, {"a": 7, "b": 3, "z": 0}, method, min_per_member=2)  # type: ignore[arg-type]
    assert result.shares["z"] == 0
    assert sum(result.shares.values()) == 10


def test_sainte_lague_minimum_continues_the_sequence_from_the_homes_held() -> None:
    # Without a minimum: a 90, 30, 18, 12.9, 10, 8.2, 6.9, 6, 5.3 (9 homes), then b's 5 and
    # c's 5 tie for the 10th: b (same need, id first).
    assert apportion(10, {"a": 90, "b": 5, "c": 5}).shares == {"a": 9, "b": 1, "c": 0}
    # With 2 each held, b and c continue at 5/5 = 1 and a at 90/5 = 18, 90/7, 90/9, 90/11.
    with_min = apportion(10, {"a": 90, "b": 5, "c": 5}, min_per_member=2)
    assert with_min.shares == {"a": 6, "b": 2, "c": 2}


def test_hamilton_minimum_fixes_the_short_members_and_reruns_on_the_rest() -> None:
    # Quotas 9, 0.5, 0.5: b and c fall short of 2 and are fixed there; a gets the other 6.
    result = apportion(10, {"a": 90, "b": 5, "c": 5}, "hamilton", min_per_member=2)
    assert result.shares == {"a": 6, "b": 2, "c": 2}


def test_hamilton_minimum_reruns_until_no_quota_falls_short() -> None:
    # Round 1: 16 × need/80 = 12, 3.2, 0.4, 0.4 → c and d short of 3, fixed there.
    # Round 2: 10 left for a and b: 7.89, 2.11 → now b is short, fixed at 3.
    # Round 3: a alone gets the last 7.
    result = apportion(16, {"a": 60, "b": 16, "c": 2, "d": 2}, "hamilton", min_per_member=3)
    assert result.shares == {"a": 7, "b": 3, "c": 3, "d": 3}


def test_minimum_above_need_applies_without_cap_and_is_capped_with_it() -> None:
    needs = {"a": 10, "b": 1}
    assert apportion(5, needs, min_per_member=2).shares["b"] == 2
    assert apportion(5, needs, min_per_member=2, cap_at_need=True).shares["b"] == 1


@pytest.mark.parametrize("method", METHODS)
def test_cap_keeps_shares_at_need_and_reports_the_surplus(method: str) -> None:
    result = apportion(100, {"a": 5, "b": 3, "c": 3, "d": 1}, method, cap_at_need=True)  # type: ignore[arg-type]
    assert result.shares == {"a": 5, "b": 3, "c": 3, "d": 1}
    assert result.unallocated == 88
    assert result.allocated == 12


def test_without_cap_a_member_can_get_more_than_its_need() -> None:
    assert apportion(8, {"a": 3, "b": 1}, "dhondt").shares == {"a": 6, "b": 2}


def test_cap_passes_a_capped_members_surplus_on_by_the_same_method() -> None:
    # Per-member caps (as in a redistribution): a reaches its cap of 2 after two homes
    # (priorities 20 and 6.7); the other four go by Sainte-Laguë to b, c, b, b.
    result = apportion_within(
        6, {"a": 10, "b": 4, "c": 2}, "sainte_lague", minimums={}, caps={"a": 2, "b": 4, "c": 2}
    )
    assert result.shares == {"a": 2, "b": 3, "c": 1}
    assert result.unallocated == 0


def test_hamilton_cap_fixes_capped_members_and_reruns() -> None:
    # Quotas 6 × w/16: a 3.75 > cap 2 → fixed; rest 4 homes on b 4, c 2: 2.67, 1.33 → 3, 1.
    result = apportion_within(
        6, {"a": 10, "b": 4, "c": 2}, "hamilton", minimums={}, caps={"a": 2, "b": 4, "c": 2}
    )
    assert result.shares == {"a": 2, "b": 3, "c": 1}


# --- Validation: messages a coordinator can act on ------------------------------------------


def test_minimum_that_does_not_fit_explains_the_arithmetic() -> None:
    needs = {f"m{i:02d}": 10 for i in range(1, 43)}
    with pytest.raises(InvalidContingent) as caught:
        apportion(100, needs, min_per_member=3)
    assert caught.value.message == (
        "a minimum of 3 for 42 members needs 126 homes; the total is 100: "
        "lower the minimum or raise the total"
    )


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: apportion(-1, {"a": 1}), "0 or more (got -1)"),
        (lambda: apportion(5, {"a": -2}), "Member a has need -2"),
        (lambda: apportion(5, {}), "at least one member"),
        (lambda: apportion(5, {"a": 1}, "borda"), "choose one of sainte_lague, dhondt"),  # type: ignore[arg-type]
        (lambda: apportion(5, {"a": 1}, min_per_member=-1), "0 or more (got -1); use 0 for none"),
        (lambda: apportion(5, {"a": 0, "b": 0}), "Every member's need is 0"),
        (lambda: apportion(5, {"": 3}), "give every member an id"),
    ],
)
def test_invalid_input_is_refused_with_an_actionable_message(
    call: Callable[[], object], fragment: str
) -> None:
    with pytest.raises(InvalidContingent, match=re.escape(fragment)):
        call()


def test_zero_total_with_zero_needs_is_an_empty_contingent() -> None:
    assert apportion(0, {"a": 0}).shares == {"a": 0}


@pytest.mark.parametrize(
    ("minimums", "caps", "fragment"),
    [
        ({}, {"a": 2}, "Member b has no cap; give every member a cap or none."),
        ({"a": 3}, {"a": 2, "b": 2}, "the cap must be a whole number not below the minimum"),
        ({"z": 1}, None, "Member z has a minimum or cap but no need."),
        ({"a": 3, "b": 3}, None, "minimums add up to 6 homes; only 5 are available"),
    ],
)
def test_per_member_bounds_are_checked(
    minimums: dict[str, int], caps: dict[str, int] | None, fragment: str
) -> None:
    with pytest.raises(InvalidContingent, match=re.escape(fragment)):
        apportion_within(5, {"a": 4, "b": 4}, "hamilton", minimums=minimums, caps=caps)
