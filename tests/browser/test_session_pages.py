"""Signing in, once for all four services; an expired session; the wrong role; language;
refusals as pages, never a stack trace."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import BrowserContext, expect

from shared.auth import mint_token
from shared.settings import ServiceSettings
from tests.browser.support import Run, assert_accessible, no_stack_trace, screenshot, signed_in
from tests.conftest import RunningSystem

pytestmark = pytest.mark.infra


async def test_an_expired_session_sends_the_person_to_sign_in_and_back(
    ui_system: RunningSystem, context: BrowserContext,
) -> None:
    run = Run()
    expired = mint_token(ServiceSettings(), role="caseworker", org=run.member(),
                         ttl=timedelta(seconds=-60))
    await context.add_cookies([{"name": "tp_session", "value": expired,
                                "url": ui_system.urls["intake"]}])
    page = await context.new_page()
    await page.goto(f"{ui_system.urls['intake']}/ui/intakes?status=submitted")
    await expect(page).to_have_url(re.compile(r"/ui/signin\?next=/ui/intakes%3Fstatus%3Dsubmitted"))
    await assert_accessible(page)
    await screenshot(page, "signin")

    await page.locator("input[name=role][value=caseworker]").check()
    await page.locator("#f-org").fill(run.member())
    await page.locator("#f-name").fill("Anna Consulent")
    await page.get_by_role("button", name="Aanmelden").click()
    await expect(page).to_have_url(re.compile(r"/ui/intakes\?status=submitted$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mijn cliënten")


async def test_sign_in_form_shows_what_is_missing_next_to_the_field(
    ui_system: RunningSystem, context: BrowserContext,
) -> None:
    page = await context.new_page()
    await page.goto(f"{ui_system.urls['aftercare']}/ui/signin")
    await page.locator("#f-org").fill("not a code!")
    await page.get_by_role("button", name="Aanmelden").click()
    await expect(page.locator("#f-org-error")).to_contain_text("code van uw organisatie")
    await expect(page.locator("#f-name-error")).to_contain_text("naam")
    await expect(page.locator("#f-org")).to_have_value("not a code!")
    await assert_accessible(page)


async def test_one_sign_in_serves_the_pages_of_all_four_services(
    ui_system: RunningSystem, context: BrowserContext,
) -> None:
    page = await signed_in(context, ui_system.urls["intake"], "coordinator", "region")
    for service in ("matching", "contingent", "aftercare"):
        await page.goto(f"{ui_system.urls[service]}/ui")
        await expect(page.locator(".account__who")).to_contain_text("Dana Coördinator")
    await page.goto(f"{ui_system.urls['contingent']}/ui/contingent")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Contingentjaren")
    await page.goto(f"{ui_system.urls['matching']}/ui")
    await assert_accessible(page)
    await screenshot(page, "start")

    # Signing out on one service signs out on all.
    await page.get_by_role("button", name="Afmelden").click()
    await expect(page.locator(".notice--success")).to_contain_text("afgemeld")
    await page.goto(f"{ui_system.urls['aftercare']}/ui/trajectories")
    await expect(page).to_have_url(re.compile(r"/ui/signin\?next=/ui/trajectories"))


async def test_a_page_for_another_role_says_so_instead_of_failing(
    ui_system: RunningSystem, context: BrowserContext,
) -> None:
    page = await signed_in(context, ui_system.urls["contingent"], "corporation", "c01")
    response = await page.goto(f"{ui_system.urls['contingent']}/ui/contingent")
    assert response is not None and response.status == 403
    await expect(page.locator("main")).to_contain_text("Deze pagina is voor: coördinator")
    await no_stack_trace(page)
    await assert_accessible(page)


async def test_an_unknown_case_is_a_plain_not_found_page(
    ui_system: RunningSystem, context: BrowserContext,
) -> None:
    page = await signed_in(context, ui_system.urls["intake"], "caseworker", Run().member())
    for path in ("/ui/intakes/00000000-0000-4000-8000-000000000000", "/ui/intakes/not-a-case"):
        response = await page.goto(f"{ui_system.urls['intake']}{path}")
        assert response is not None and response.status == 404
        await expect(page.locator("main")).to_contain_text("bestaat niet")
        await no_stack_trace(page)


async def test_a_form_posted_without_the_pages_token_is_refused(
    ui_system: RunningSystem, context: BrowserContext,
) -> None:
    page = await signed_in(context, ui_system.urls["intake"], "caseworker", Run().member())
    response = await page.request.post(f"{ui_system.urls['intake']}/ui/intakes/new",
                                       form={"client.name": "X", "action": "submit"})
    assert response.status == 400
    assert "formulier is verlopen" in await response.text()


async def test_pages_switch_to_english_and_stay_english(
    ui_system: RunningSystem, context: BrowserContext,
) -> None:
    page = await signed_in(context, ui_system.urls["intake"], "caseworker", Run().member(),
                           "/ui/intakes/new")
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("New intake")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.get_by_role("button", name="Submit intake").click()
    await expect(page.locator("#f-client-date_of_birth-error")).to_contain_text(
        "Field required")
    # The choice is remembered for the other services' pages too.
    await page.goto(f"{ui_system.urls['aftercare']}/ui")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Aftercare")
    await expect(page.get_by_role("link", name="Nederlands")).to_be_visible()
