"""Forms: what was typed comes back, and each API problem finds its field."""

from __future__ import annotations

from decimal import Decimal

from starlette.datastructures import FormData

from shared.ui.api import Answer, FieldProblem
from shared.ui.formatting import Formatter
from shared.ui.forms import FormState, Sent, field_id, money, whole
from shared.ui.session import safe_next


def test_a_problem_of_a_list_item_belongs_to_the_list_field() -> None:
    form = FormState(problems=[FieldProblem("accessibility_needs[1]", "unknown value"),
                               FieldProblem("risks[1].mitigation", "is required")])
    assert [p.message for p in form.errors("accessibility_needs")] == ["unknown value"]
    assert [p.message for p in form.errors("risks[1].mitigation")] == ["is required"]
    assert form.errors("risks[0].mitigation") == []


def test_a_rule_about_the_whole_request_is_shown_at_the_field_it_names_last() -> None:
    form = FormState().with_problems(
        [FieldProblem("request", "a decline for reason 'other' needs a note saying why"),
         FieldProblem("request", "something about nothing in particular")],
        ("reason", "note"))
    assert [p.field for p in form.problems] == ["note", "request"]


def test_the_summary_names_the_field_each_problem_belongs_to() -> None:
    form = FormState(problems=[FieldProblem("client.bsn", "bad"), FieldProblem("client", "x")])
    form.remember("client.bsn", "BSN")
    assert form.field_of(form.problems[0]) == "client.bsn"
    assert form.label_of("client.bsn") == "BSN"
    assert form.field_of(form.problems[1]) is None


def test_a_refused_form_shows_a_422_at_its_fields_and_any_other_refusal_above_it() -> None:
    posted = FormState.from_form(FormData([("reason", "")]))
    invalid = Answer(422, {"detail": [{"field": "reason", "message": "Field required"}]}, "")
    sent = Sent(invalid, posted.with_problems(invalid.problems, ("reason",)))
    assert (sent.ok, sent.status, sent.refusal) == (False, 422, "")
    assert [p.message for p in sent.form.errors("reason")] == ["Field required"]
    conflict = Sent(Answer(409, {"detail": "the case is already closed"}, ""), posted)
    assert (conflict.status, conflict.refusal) == (409, "the case is already closed")
    assert Sent(Answer(201, {}, ""), posted).ok


def test_typed_values_come_back_including_every_ticked_box() -> None:
    posted = FormData([("client.name", "Johanna"), ("preferred_municipalities", "Utrecht"),
                       ("preferred_municipalities", "Zeist"), ("csrf", "secret")])
    form = FormState.from_form(posted)
    assert form.value("client.name") == "Johanna"
    assert form.values("preferred_municipalities") == ["Utrecht", "Zeist"]
    assert form.value("csrf") == ""


def test_numbers_go_to_the_api_as_numbers_or_as_typed() -> None:
    posted = FormData([("a", " 3 "), ("b", "drie"), ("c", ""), ("m", "1.450,50"), ("n", "€ 600")])
    assert (whole(posted, "a"), whole(posted, "b"), whole(posted, "c")) == (3, "drie", None)
    assert money(posted, "m") == "1450.50"
    assert money(posted, "n") == "600"


def test_field_ids_are_safe_for_html_and_css() -> None:
    assert field_id("risks[1].mitigation") == "f-risks-1--mitigation"


def test_after_sign_in_only_a_path_on_this_site_is_followed() -> None:
    assert safe_next("/ui/intakes?status=submitted") == "/ui/intakes?status=submitted"
    for elsewhere in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)",
                      "ui/intakes", "/\\evil.example"):
        assert safe_next(elsewhere) == "/ui"


def test_money_and_dates_read_the_dutch_way() -> None:
    nl, en = Formatter("nl"), Formatter("en")
    assert nl.money(Decimal("1450.5")) == "€ 1.450,50"
    assert en.money("1450.5") == "€1,450.50"
    assert nl.date("2027-03-12") == "12-03-2027"
    assert nl.moment("2027-03-12T13:05:00Z") == "12-03-2027 14:05"
    assert nl.signed(-0.6) == "−0,60"
