"""The caseworker's pages: the intake form, the member's cases, a case with its proposals and
the client's answer, withdrawal.

Every page calls the intake API in-process with the caseworker's own token (shared/ui/api.py),
so the API's validation, access rules and use cases apply unchanged; a 422's field names are
the form's input names, so each message lands next to its field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from fastapi.responses import Response

from services.intake.domain.details import (
    AccessibilityNeed,
    ClusterPreference,
    Perspective,
    Urgency,
)
from services.intake.domain.intake import ClientDeclineReason, IntakeStatus, WithdrawalReason
from services.intake.domain.risks import RiskCategory
from shared.ui import Page, Pages
from shared.ui.api import FieldProblem
from shared.ui.formatting import days_between
from shared.ui.forms import FormState, flag, listed, money, text, whole, without_empty

pages = Pages("intake", Path(__file__).parent / "templates")
router = pages.router()
Caseworker = Annotated[Page, Depends(pages.page("caseworker"))]

MAX_RISKS = 5
OPEN_STATUSES = ("draft", "submitted", "proposed")
INTAKE_FIELDS = (
    "client.name", "client.date_of_birth", "client.bsn", "client.client_number",
    "client.phone", "client.email", "client.address", "household.adults", "household.children",
    "required_bedrooms", "monthly_income", "max_rent", "accessibility_needs",
    "preferred_municipalities", "excluded_municipalities", "cluster_preference", "perspective",
    "support_hours_per_week", "support_provider", "urgency", "ready_from", "consent",
    "consent_given_on", "notes",
)


def _options(request: Request) -> dict[str, Any]:
    """The choices the form offers: the domain's own values and the region's municipalities."""
    region = request.app.state.intake_rules.region
    return {
        "municipalities": sorted(region.municipalities),
        "region_name": region.name,
        "accessibility": [a.value for a in AccessibilityNeed],
        "clusters": [c.value for c in ClusterPreference],
        "perspectives": [p.value for p in Perspective],
        "urgencies": [u.value for u in Urgency],
        "risk_categories": [c.value for c in RiskCategory],
    }


# --- the case list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    case: dict[str, Any]
    waiting_days: int | None


def waiting_days(case: dict[str, Any], now: datetime) -> int | None:
    """Days since submission: until the tenancy started, the case ended, or today."""
    if case["submitted_at"] is None:
        return None
    end = case["tenancy_start"] or case["ended_at"] or now
    return days_between(case["submitted_at"], end)


@router.get("/ui/intakes")
async def case_list(page: Caseworker, status: str | None = None) -> Response:
    status = status if status in [s.value for s in IntakeStatus] else None
    cases = await page.api.data("/intakes", status=status, limit=1000)
    now = page.now()
    rows = [CaseRow(c, waiting_days(c, now)) for c in cases]
    rows.sort(key=lambda r: (r.case["status"] not in OPEN_STATUSES, -(r.waiting_days or 0)))
    return page.render("intake/cases.html", rows=rows, status_filter=status,
                       statuses=[s.value for s in IntakeStatus])


# --- the intake form --------------------------------------------------------------------------


def _risk_rows(form: Any) -> int:
    try:
        rows = int(str(form.get("risk_rows") or 1))
    except ValueError:
        rows = 1
    return max(1, min(MAX_RISKS, rows))


def intake_body(form: Any) -> tuple[dict[str, Any], list[int]]:
    """The API's JSON from the form, and for each risk sent the form row it came from."""
    client = without_empty({
        "name": text(form, "client.name") or "",
        "date_of_birth": text(form, "client.date_of_birth"),
        "bsn": text(form, "client.bsn"),
        "client_number": text(form, "client.client_number") or "",
        "phone": text(form, "client.phone"),
        "email": text(form, "client.email"),
        "address": text(form, "client.address"),
    })
    household = without_empty({"adults": whole(form, "household.adults"),
                               "children": whole(form, "household.children")})
    risks, rows = [], []
    for row in range(_risk_rows(form)):
        category = text(form, f"risks[{row}].category")
        if category is None:
            continue
        rows.append(row)
        risks.append({"category": category,
                      "mitigation": text(form, f"risks[{row}].mitigation") or "",
                      "carried_by": text(form, f"risks[{row}].carried_by") or ""})
    body = without_empty({
        "client": client, "household": household,
        "required_bedrooms": whole(form, "required_bedrooms"),
        "monthly_income": money(form, "monthly_income"),
        "max_rent": money(form, "max_rent"),
        "accessibility_needs": listed(form, "accessibility_needs"),
        "preferred_municipalities": listed(form, "preferred_municipalities"),
        "excluded_municipalities": listed(form, "excluded_municipalities"),
        "cluster_preference": text(form, "cluster_preference"),
        "perspective": text(form, "perspective"),
        "support_hours_per_week": whole(form, "support_hours_per_week"),
        "support_provider": text(form, "support_provider"),
        "risks": risks,
        "urgency": text(form, "urgency"),
        "ready_from": text(form, "ready_from"),
        "consent": flag(form, "consent"),
        "consent_given_on": text(form, "consent_given_on"),
        "notes": text(form, "notes"),
        "submit": form.get("action") != "draft",
    })
    return body, rows


_RISK_INDEX = re.compile(r"^risks\[(\d+)\]")


def _to_form_rows(problems: list[FieldProblem], rows: list[int]) -> list[FieldProblem]:
    """`risks[1].mitigation` of the API is the second risk *sent*: name its form row."""

    def renamed(p: FieldProblem) -> FieldProblem:
        found = _RISK_INDEX.match(p.field)
        if found and int(found.group(1)) < len(rows):
            field = f"risks[{rows[int(found.group(1))]}]" + p.field[found.end():]
            return FieldProblem(field, p.message)
        return p

    return [renamed(p) for p in problems]


def _intake_form(page: Page, form: FormState, rows: int, *, status: int = 200,
                 refusal: str = "") -> Response:
    return page.render("intake/new.html", http_status=status, form=form, risk_rows=rows,
                       max_risks=MAX_RISKS, refusal=refusal, **_options(page.request))


@router.get("/ui/intakes/new")
async def new_intake(page: Caseworker) -> Response:
    defaults = {"household.adults": 1, "household.children": 0, "urgency": "normal",
                "cluster_preference": "no_preference", "perspective": "settle_long_term",
                "support_hours_per_week": 0}
    return _intake_form(page, FormState(defaults=defaults), 1)


@router.post("/ui/intakes/new")
async def submit_intake(page: Caseworker) -> Response:
    form = await page.form()
    state = FormState.from_form(form)
    rows = _risk_rows(form)
    if form.get("action") == "add_risk":  # one more risk row; nothing is sent yet
        return _intake_form(page, state, min(MAX_RISKS, rows + 1))
    body, sent_rows = intake_body(form)
    answer = await page.api.post("/intakes", body)
    if answer.status == 201:
        done = "intake_submitted" if body["submit"] else "draft_saved"
        return page.redirect(f"/ui/intakes/{answer.data['case_id']}", done)
    if answer.status == 422:
        fields = (*INTAKE_FIELDS, *(f"risks[{r}].{n}" for r in range(rows)
                                    for n in ("category", "mitigation", "carried_by")))
        state.with_problems(_to_form_rows(answer.problems, sent_rows), fields)
        return _intake_form(page, state, rows, status=422)
    return _intake_form(page, state, rows, status=answer.status, refusal=answer.message)


# --- one case ---------------------------------------------------------------------------------


def _case_page(page: Page, case: dict[str, Any], *, response_form: FormState | None = None,
               refusal: str = "", status: int = 200) -> Response:
    current = next((p for p in case["proposals"] if p["match_id"] == case["current_match_id"]),
                   None)
    may_answer = (case["status"] == "proposed" and current is not None
                  and current["client_answer"] is None)
    return page.render(
        "intake/case.html", http_status=status, case=case, current=current, may_answer=may_answer,
        waiting=waiting_days(case, page.now()),
        response_form=response_form or FormState(),
        decline_reasons=[r.value for r in ClientDeclineReason],
        may_withdraw=case["status"] in OPEN_STATUSES, refusal=refusal,
    )


@router.get("/ui/intakes/{case_id}")
async def case_page(case_id: UUID, page: Caseworker) -> Response:
    case = await page.api.data(f"/intakes/{case_id}")
    return _case_page(page, case)


def client_response_body(form: Any) -> dict[str, Any]:
    return without_empty({"response": text(form, "response"), "reason": text(form, "reason"),
                          "note": text(form, "note"), "match_id": text(form, "match_id")})


@router.post("/ui/intakes/{case_id}/client-response")
async def record_client_response(case_id: UUID, page: Caseworker) -> Response:
    sent = await page.send(f"/intakes/{case_id}/client-response", client_response_body,
                           ("response", "reason", "note"))
    if sent.ok:
        return page.redirect(f"/ui/intakes/{case_id}", "client_response")
    case = await page.api.data(f"/intakes/{case_id}")
    return _case_page(page, case, response_form=sent.form, status=sent.status,
                      refusal=sent.refusal)


@router.post("/ui/intakes/{case_id}/submit")
async def submit_draft(case_id: UUID, page: Caseworker) -> Response:
    sent = await page.send(f"/intakes/{case_id}/submit")
    if sent.ok:
        return page.redirect(f"/ui/intakes/{case_id}", "intake_submitted")
    case = await page.api.data(f"/intakes/{case_id}")
    problems = sent.answer.problems
    message = "; ".join(f"{p.field}: {p.message}" for p in problems) or sent.answer.message
    return _case_page(page, case, refusal=message, status=sent.status)


async def _withdraw_page(page: Page, case_id: UUID, form: FormState, *, status: int = 200,
                         refusal: str = "") -> Response:
    case = await page.api.data(f"/intakes/{case_id}")
    return page.render("intake/withdraw.html", http_status=status, case=case, form=form,
                       reasons=[r.value for r in WithdrawalReason], refusal=refusal)


@router.get("/ui/intakes/{case_id}/withdraw")
async def confirm_withdrawal(case_id: UUID, page: Caseworker) -> Response:
    return await _withdraw_page(page, case_id, FormState())


@router.post("/ui/intakes/{case_id}/withdraw")
async def withdraw(case_id: UUID, page: Caseworker) -> Response:
    sent = await page.send(f"/intakes/{case_id}/withdraw",
                           lambda form: without_empty({"reason": text(form, "reason")}),
                           ("reason",))
    if sent.ok:
        return page.redirect(f"/ui/intakes/{case_id}", "withdrawn")
    return await _withdraw_page(page, case_id, sent.form, status=sent.status,
                                refusal=sent.refusal)
