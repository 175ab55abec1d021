"""The coordinator's pages: the year's contingent (table and chart), the ledger with its CSV,
the explanation of a home's allocation, redistribution and the year close (each confirmed
first), and the throughput times.

Every page calls the contingent API in-process with the coordinator's token, so the figures
are the API's and the rules are the domain's; the throughput times come from the other
services' `/metrics` histograms (shared/ui/throughput.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends
from fastapi import Path as PathParam
from fastapi.responses import Response

from shared.ui import Page, Pages
from shared.ui.api import FieldProblem
from shared.ui.charts import QuotaBar, quota_chart
from shared.ui.forms import FormState, flag, text, without_empty
from shared.ui.i18n import Translator
from shared.ui.throughput import read_all

pages = Pages("contingent", Path(__file__).parent / "templates")
router = pages.router()
Coordinator = Annotated[Page, Depends(pages.page("coordinator"))]
Year = Annotated[int, PathParam(ge=2000, le=9999)]
LEDGER_KINDS = ("allocated", "released", "consumed")


@router.get("/ui/contingent")
async def years(page: Coordinator) -> Response:
    listed = sorted(await page.api.data("/contingents"), key=lambda y: y["year"], reverse=True)
    return page.render("contingent/years.html", years=listed,
                       this_year=page.now().year)


async def _names(page: Page) -> dict[str, str]:
    return {m["member_id"]: m["name"] for m in await page.api.data("/members")}


def _chart(view: dict[str, Any], t: Translator) -> Any:
    bars = [QuotaBar(label=s["member_id"], share=s["share"], used=s["used"],
                     in_flight=s["in_flight"], ideal=s["ideal_to_date"],
                     figures=t("contingent.chart.figures", used=s["used"],
                               flight=s["in_flight"], share=s["share"]))
            for s in view["shares"]]
    return quota_chart(bars, title=t("contingent.chart.title", year=view["year"]),
                       description=t("contingent.chart.description"))


@router.get("/ui/contingent/{year}")
async def contingent(year: Year, page: Coordinator) -> Response:
    view = await page.api.data(f"/contingents/{year}")
    redistributions = await page.api.data(f"/contingents/{year}/redistributions")
    t = Translator(page.request.state.lang)
    return page.render("contingent/year.html", view=view, names=await _names(page),
                       chart=_chart(view, t), redistributions=redistributions)


# --- the ledger -------------------------------------------------------------------------------


def _ledger_filters(member_id: str | None, kind: str | None) -> dict[str, str]:
    return without_empty({"member_id": member_id or None,
                          "kind": kind if kind in LEDGER_KINDS else None})


@router.get("/ui/contingent/{year}/ledger")
async def ledger(year: Year, page: Coordinator, member_id: str | None = None,
                 kind: str | None = None) -> Response:
    filters = _ledger_filters(member_id, kind)
    answer = await page.api.get(f"/contingents/{year}/ledger", **filters)
    form = FormState({k: [v] for k, v in filters.items()})
    entries: list[dict[str, Any]] = []
    if answer.ok:
        entries = answer.data
    elif answer.status == 422:
        form.with_problems(answer.problems, ("member_id", "kind"))
    else:
        await page.api.data(f"/contingents/{year}/ledger")  # the refusal, as a page
    view = await page.api.data(f"/contingents/{year}")
    return page.render("contingent/ledger.html", year=year, entries=entries, form=form,
                       filters=filters, kinds=LEDGER_KINDS,
                       members=[s["member_id"] for s in view["shares"]])


@router.get("/ui/contingent/{year}/ledger.csv")
async def ledger_csv(year: Year, page: Coordinator, member_id: str | None = None,
                     kind: str | None = None) -> Response:
    """The API's own CSV, for the browser (which signs in with a cookie, not a header)."""
    answer = await page.api.call("GET", f"/contingents/{year}/ledger",
                                 params={**_ledger_filters(member_id, kind), "format": "csv"},
                                 accept="text/csv")
    if not answer.ok:
        await page.api.data(f"/contingents/{year}/ledger")
    disposition = answer.headers.get(
        "content-disposition", f'attachment; filename="contingent-{year}-ledger.csv"')
    return Response(answer.text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": disposition})


# --- the explanation of a home's allocation ---------------------------------------------------


@router.get("/ui/contingent/{year}/explanation")
async def explanation(year: Year, page: Coordinator, home_id: str | None = None) -> Response:
    form = FormState({"home_id": [home_id or ""]} if home_id is not None else None)
    explained, missing = None, ""
    if home_id:
        try:
            home = UUID(home_id.strip())
        except ValueError:
            form.problems = [FieldProblem("home_id", "contingent.explain.not_an_id")]
        else:
            answer = await page.api.get(f"/contingents/{year}/explanations/{home}")
            if answer.ok:
                explained = answer.data
            elif answer.status == 404:
                missing = answer.message
            else:
                await page.api.data(f"/contingents/{year}/explanations/{home}")
    names = await _names(page)
    return page.render("contingent/explanation.html", year=year, form=form,
                       explained=explained, missing=missing, names=names)


# --- redistribution and close: confirm first --------------------------------------------------


def _unmet(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in view["shares"] if s["active"] and s["need"] > s["share"]]


async def _confirmation(page: Page, template: str, year: int, form: FormState, *,
                        status: int = 200, refusal: str = "") -> Response:
    """A step that changes the year, to confirm: the year as it stands, and the form."""
    view = await page.api.data(f"/contingents/{year}")
    return page.render(template, http_status=status, view=view, unmet=_unmet(view), form=form,
                       refusal=refusal)


@router.get("/ui/contingent/{year}/redistribute")
async def confirm_redistribution(year: Year, page: Coordinator) -> Response:
    return await _confirmation(page, "contingent/redistribute.html", year, FormState())


@router.post("/ui/contingent/{year}/redistribute")
async def redistribute(year: Year, page: Coordinator) -> Response:
    sent = await page.send(f"/contingents/{year}/redistribute",
                           lambda form: {"note": text(form, "note") or ""}, ("note",))
    if sent.ok:
        return page.redirect(f"/ui/contingent/{year}", "redistributed")
    return await _confirmation(page, "contingent/redistribute.html", year, sent.form,
                               status=sent.status, refusal=sent.refusal)


@router.get("/ui/contingent/{year}/close")
async def confirm_close(year: Year, page: Coordinator) -> Response:
    return await _confirmation(page, "contingent/close.html", year, FormState())


@router.post("/ui/contingent/{year}/close")
async def close(year: Year, page: Coordinator) -> Response:
    sent = await page.send(
        f"/contingents/{year}/close",
        lambda form: {"count_in_flight_as_used": flag(form, "count_in_flight_as_used")},
        ("count_in_flight_as_used",))
    if sent.ok:
        return page.redirect(f"/ui/contingent/{year}", "closed")
    return await _confirmation(page, "contingent/close.html", year, sent.form,
                               status=sent.status, refusal=sent.refusal)


# --- throughput times -------------------------------------------------------------------------


@router.get("/ui/throughput")
async def throughput(page: Coordinator) -> Response:
    urls = {s: pages.ui.metrics_url_of(s) for s in ("matching", "aftercare")}
    return page.render("contingent/throughput.html", readings=await read_all(urls))
