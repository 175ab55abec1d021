"""The supporter's pages (the werklijst, most urgent first; a trajectory; record a check-in;
pick up a signal) and the corporation's early-warning signal (vroegsignalering).

Every page calls the aftercare API in-process with the signed-in person's token, so the
API's rules and access apply unchanged: the order of the werklijst is the domain's, and what
a coordinator may not see (scores, notes, signal texts) never reaches the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends
from fastapi.responses import Response

from shared.ui import Page, Pages
from shared.ui.forms import FormState, lines, text, whole, without_empty

pages = Pages("aftercare", Path(__file__).parent / "templates")
router = pages.router()
Reader = Annotated[Page, Depends(pages.page("supporter", "coordinator"))]
Supporter = Annotated[Page, Depends(pages.page("supporter"))]
Corporation = Annotated[Page, Depends(pages.page("corporation"))]
SignalReader = Annotated[Page, Depends(pages.page("corporation", "supporter", "coordinator"))]

LIFE_DOMAINS = ("rent_and_money", "debts", "daily_living", "health", "social_network",
                "neighbourhood")
CHECKIN_STATUSES = ("stable", "attention", "crisis")
SIGNAL_KINDS = ("rent_arrears", "nuisance", "other")
OUTCOMES = ("stable", "moved_on", "returned_to_shelter", "evicted", "deceased", "lost_contact")
NEEDS_ATTENTION = ("escalated_signal", "open_signal", "overdue_checkin", "crisis", "attention")
CHECKIN_FIELDS = ("held_on", "status", "agreed_actions", "private_notes",
                  *(f"scores.{d}" for d in LIFE_DOMAINS))


# --- the werklijst ----------------------------------------------------------------------------


@router.get("/ui/trajectories")
async def worklist(page: Reader, show: str = "open") -> Response:
    """The API's order (the domain's `order_by_attention`), split where attention ends."""
    status = None if show == "all" else "open"  # "open": not completed (extended included)
    trajectories = await page.api.data("/trajectories", status=status)
    attention = [t for t in trajectories if t["attention"] in NEEDS_ATTENTION]
    others = [t for t in trajectories if t["attention"] not in NEEDS_ATTENTION]
    return page.render("aftercare/worklist.html", attention=attention, others=others,
                       show=show)


# --- one trajectory, and a check-in -----------------------------------------------------------


def checkin_body(form: Any) -> dict[str, Any]:
    scores = {d: whole(form, f"scores.{d}") for d in LIFE_DOMAINS}
    return without_empty({
        "held_on": text(form, "held_on"),
        "status": text(form, "status"),
        "scores": {d: s for d, s in scores.items() if s is not None},
        "agreed_actions": lines(form, "agreed_actions"),
        "private_notes": text(form, "private_notes") or "",
    })


async def _trajectory_page(page: Page, trajectory_id: UUID, *, form: FormState | None = None,
                           status: int = 200, refusal: str = "") -> Response:
    trajectory = await page.api.data(f"/trajectories/{trajectory_id}")
    own = page.principal.role == "supporter" and page.principal.org == trajectory["member_id"]
    today = page.today().isoformat()
    return page.render(
        "aftercare/trajectory.html", http_status=status, tr=trajectory,
        may_record=own and trajectory["status"] != "completed",
        form=form or FormState(defaults={"held_on": today, "status": "stable"}),
        life_domains=LIFE_DOMAINS, checkin_statuses=CHECKIN_STATUSES, refusal=refusal,
        own=own,
    )


@router.get("/ui/trajectories/{trajectory_id}")
async def trajectory(trajectory_id: UUID, page: Reader) -> Response:
    return await _trajectory_page(page, trajectory_id)


@router.post("/ui/trajectories/{trajectory_id}/checkins")
async def record_checkin(trajectory_id: UUID, page: Supporter) -> Response:
    sent = await page.send(f"/trajectories/{trajectory_id}/checkins", checkin_body,
                           CHECKIN_FIELDS)
    if sent.ok:
        return page.redirect(f"/ui/trajectories/{trajectory_id}", "checkin_recorded")
    return await _trajectory_page(page, trajectory_id, form=sent.form, status=sent.status,
                                  refusal=sent.refusal)


async def _completion_page(page: Page, trajectory_id: UUID, form: FormState, *,
                           status: int = 200, refusal: str = "") -> Response:
    trajectory = await page.api.data(f"/trajectories/{trajectory_id}")
    return page.render("aftercare/complete.html", http_status=status, tr=trajectory,
                       form=form, outcomes=OUTCOMES, refusal=refusal)


@router.get("/ui/trajectories/{trajectory_id}/complete")
async def confirm_completion(trajectory_id: UUID, page: Supporter) -> Response:
    return await _completion_page(page, trajectory_id, FormState())


@router.post("/ui/trajectories/{trajectory_id}/complete")
async def complete(trajectory_id: UUID, page: Supporter) -> Response:
    """Afsluiting: the year ends with an outcome (confirmed first: it cannot be undone)."""
    sent = await page.send(f"/trajectories/{trajectory_id}/complete",
                           lambda form: without_empty({"outcome": text(form, "outcome")}),
                           ("outcome",))
    if sent.ok:
        return page.redirect(f"/ui/trajectories/{trajectory_id}", "completed")
    return await _completion_page(page, trajectory_id, sent.form, status=sent.status,
                                  refusal=sent.refusal)


@router.post("/ui/signals/{signal_id}/acknowledge")
async def acknowledge_signal(signal_id: UUID, page: Supporter) -> Response:
    sent = await page.send(f"/signals/{signal_id}/acknowledge")
    back = sent.form.value("trajectory_id")
    target = f"/ui/trajectories/{UUID(back)}" if back else "/ui/signals"
    if sent.ok:
        return page.redirect(target, "signal_picked_up")
    if back:
        return await _trajectory_page(page, UUID(back), status=sent.status,
                                      refusal=sent.answer.message)
    return page.redirect(target)


# --- signals ----------------------------------------------------------------------------------


@router.get("/ui/signals")
async def signals(page: SignalReader) -> Response:
    listed = sorted(await page.api.data("/signals"), key=lambda s: s["raised_at"], reverse=True)
    return page.render("aftercare/signals.html", signals=listed)


def _signal_form(page: Page, form: FormState, *, status: int = 200,
                 refusal: str = "") -> Response:
    return page.render("aftercare/signal_new.html", http_status=status, form=form,
                       kinds=SIGNAL_KINDS, refusal=refusal)


@router.get("/ui/signals/new")
async def new_signal(page: Corporation, home_id: str | None = None) -> Response:
    return _signal_form(page, FormState(defaults={"home_id": home_id, "kind": "rent_arrears"}))


def signal_body(form: Any) -> dict[str, Any]:
    kind = text(form, "kind")
    return without_empty({
        "kind": kind, "home_id": text(form, "home_id"),
        "months_owed": whole(form, "months_owed") if kind == "rent_arrears" else None,
        "description": text(form, "description") or "",
    })


@router.post("/ui/signals/new")
async def report_signal(page: Corporation) -> Response:
    sent = await page.send("/signals", signal_body,
                           ("kind", "months_owed", "home_id", "description"))
    if sent.ok:  # 201
        return page.redirect("/ui/signals", "signal_reported")
    return _signal_form(page, sent.form, status=sent.status, refusal=sent.refusal)
