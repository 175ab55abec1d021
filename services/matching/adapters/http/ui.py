"""The corporation's pages: offer a home, the inbox of open proposals (by deadline, with the
warm handover), accept or decline with a reason, record the tenancy. Caseworkers open a
proposal of their own clients from their case page; the coordinator reads why a home went
where it went.

Every page calls the matching API in-process with the signed-in person's token, so the API's
rules and access apply unchanged. Register in main.py: `routers=[router, ui.router]`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends
from fastapi.responses import Response

from shared.ui import Page, Pages
from shared.ui.formatting import as_moment
from shared.ui.forms import FormState, flag, listed, money, text, whole, without_empty

pages = Pages("matching", Path(__file__).parent / "templates")
router = pages.router()
Corporation = Annotated[Page, Depends(pages.page("corporation"))]
HomeReader = Annotated[Page, Depends(pages.page("corporation", "coordinator"))]
ProposalReader = Annotated[Page, Depends(pages.page("corporation", "caseworker", "coordinator"))]

OPEN = ("proposed", "accepted")
ACCESSIBILITY = ("ground_floor", "lift", "wheelchair", "other")
CONTRACTS = ("own_name", "intermediary", "temporary")
DECLINE_REASONS = ("client_unreachable", "home_unsuitable", "risk_not_mitigated",
                   "client_declined", "other")
HOME_FIELDS = ("municipality", "postcode4", "bedrooms", "rent", "accessibility",
               "near_support_point", "contract.type", "contract.omklap_after_months",
               "contract.term_months", "available_from", "contingent_year")


async def _homes_by_id(page: Page) -> dict[str, dict[str, Any]]:
    return {str(h["home_id"]): h for h in await page.api.data("/homes")}


async def _home(page: Page, home_id: str) -> dict[str, Any] | None:
    """The home, for those who may see it (caseworkers see the handover instead)."""
    if page.principal.role == "caseworker":
        return None
    answer = await page.api.get(f"/homes/{home_id}")
    if answer.ok:
        return answer.data  # type: ignore[no-any-return]
    return (await _homes_by_id(page)).get(home_id)  # an API without GET /homes/{id}


async def _handover(page: Page, match_id: str) -> dict[str, Any] | None:
    """The warm handover, where the API offers it (None: not for this role or status)."""
    answer = await page.api.get(f"/matches/{match_id}/handover")
    return answer.data if answer.ok else None


def _days_left(deadline: object, now: datetime) -> int:
    moment = as_moment(deadline)
    return 0 if moment is None else int((moment - now).total_seconds() // 86400)


# --- the inbox --------------------------------------------------------------------------------


@router.get("/ui/inbox")
async def inbox(page: Corporation) -> Response:
    matches = [m for m in await page.api.data("/matches") if m["status"] in OPEN]
    matches.sort(key=lambda m: m["deadline"])
    homes = await _homes_by_id(page)
    now = page.now()
    items = [{"match": m, "home": homes.get(str(m["home_id"])),
              "handover": await _handover(page, m["match_id"]),
              "days_left": _days_left(m["deadline"], now)} for m in matches]
    return page.render("matching/inbox.html", items=items)


# --- homes ------------------------------------------------------------------------------------


@router.get("/ui/homes")
async def homes(page: HomeReader) -> Response:
    listed_homes = sorted(await page.api.data("/homes"),
                          key=lambda h: h.get("offered_at") or "", reverse=True)
    return page.render("matching/homes.html", homes=listed_homes)


def home_body(form: Any) -> dict[str, Any]:
    contract_type = text(form, "contract.type")
    contract = without_empty({
        "type": contract_type,
        # Only the term that belongs to the chosen contract goes along.
        "omklap_after_months": whole(form, "contract.omklap_after_months")
        if contract_type == "intermediary" else None,
        "term_months": whole(form, "contract.term_months")
        if contract_type == "temporary" else None,
    })
    return without_empty({
        "municipality": text(form, "municipality") or "",
        "postcode4": text(form, "postcode4") or "",
        "bedrooms": whole(form, "bedrooms"),
        "rent": money(form, "rent"),
        "accessibility": listed(form, "accessibility"),
        "near_support_point": flag(form, "near_support_point"),
        "contract": contract or None,
        "available_from": text(form, "available_from"),
        "contingent_year": whole(form, "contingent_year"),
    })


def _offer_form(page: Page, form: FormState, *, status: int = 200,
                refusal: str = "") -> Response:
    return page.render("matching/offer.html", http_status=status, form=form, refusal=refusal,
                       accessibility=ACCESSIBILITY, contracts=CONTRACTS)


@router.get("/ui/homes/new")
async def new_home(page: Corporation) -> Response:
    today = page.today()
    defaults = {"contract.type": "own_name", "contingent_year": today.year,
                "available_from": today.isoformat()}
    return _offer_form(page, FormState(defaults=defaults))


@router.post("/ui/homes/new")
async def offer_home(page: Corporation) -> Response:
    sent = await page.send("/homes", home_body, HOME_FIELDS)
    if sent.ok:  # 201
        return page.redirect("/ui/homes", "home_offered")
    return _offer_form(page, sent.form, status=sent.status, refusal=sent.refusal)


@router.get("/ui/homes/{home_id}/explanation")
async def explanation(home_id: UUID, page: HomeReader) -> Response:
    explained = await page.api.data(f"/homes/{home_id}/explanation")
    return page.render("matching/explanation.html", explained=explained)


# --- one proposal -----------------------------------------------------------------------------


def _forms(**given: FormState) -> dict[str, FormState]:
    forms = {"decline": FormState(), "tenancy": FormState()}
    forms.update(given)
    return forms


async def _proposal_page(page: Page, match_id: UUID, *, status: int = 200, refusal: str = "",
                         forms: dict[str, FormState] | None = None) -> Response:
    match = await page.api.data(f"/matches/{match_id}")
    own = page.principal.role == "corporation"
    return page.render(
        "matching/proposal.html", http_status=status, match=match,
        home=await _home(page, str(match["home_id"])),
        handover=await _handover(page, str(match_id)) if page.principal.role != "coordinator"
        else None,
        days_left=_days_left(match["deadline"], page.now()),
        may_decide=own and match["status"] == "proposed",
        may_record_tenancy=own and match["status"] == "accepted",
        decline_reasons=DECLINE_REASONS, refusal=refusal, forms=forms or _forms(),
    )


@router.get("/ui/proposals/{match_id}")
async def proposal(match_id: UUID, page: ProposalReader) -> Response:
    return await _proposal_page(page, match_id)


@router.post("/ui/proposals/{match_id}/accept")
async def accept(match_id: UUID, page: Corporation) -> Response:
    sent = await page.send(f"/matches/{match_id}/accept")
    if sent.ok:
        return page.redirect(f"/ui/proposals/{match_id}", "accepted")
    return await _proposal_page(page, match_id, status=sent.status,
                                refusal=sent.answer.message)


def decline_body(form: Any) -> dict[str, Any]:
    return without_empty({"reason": text(form, "reason"), "note": text(form, "note")})


def tenancy_body(form: Any) -> dict[str, Any]:
    return without_empty({"signed_on": text(form, "signed_on"),
                          "start_date": text(form, "start_date")})


@router.post("/ui/proposals/{match_id}/decline")
async def decline(match_id: UUID, page: Corporation) -> Response:
    sent = await page.send(f"/matches/{match_id}/decline", decline_body, ("reason", "note"))
    if sent.ok:
        return page.redirect("/ui/inbox", "declined")
    return await _proposal_page(page, match_id, status=sent.status, refusal=sent.refusal,
                                forms=_forms(decline=sent.form))


@router.post("/ui/proposals/{match_id}/tenancy")
async def record_tenancy(match_id: UUID, page: Corporation) -> Response:
    sent = await page.send(f"/matches/{match_id}/tenancy", tenancy_body,
                           ("signed_on", "start_date"))
    if sent.ok:
        return page.redirect(f"/ui/proposals/{match_id}", "tenancy_recorded")
    return await _proposal_page(page, match_id, status=sent.status, refusal=sent.refusal,
                                forms=_forms(tenancy=sent.form))
