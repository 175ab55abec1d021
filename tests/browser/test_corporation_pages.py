"""The corporation's pages in a real browser: offer a home, the inbox of open proposals with
the warm handover, accept and record the tenancy, decline with a reason, report a signal."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, BrowserContext, expect

from tests.browser.support import (
    Run,
    World,
    assert_accessible,
    no_stack_trace,
    reload_until,
    screenshot,
    signed_in,
    today,
)
from tests.conftest import RunningSystem

pytestmark = pytest.mark.infra


async def test_corporation_offers_a_home_accepts_the_proposal_and_records_the_tenancy(
    ui_system: RunningSystem, browser: Browser, context: BrowserContext, world: World,
) -> None:
    run = Run()
    year = await world.contingent({run.member(): 3})
    case_id = await world.intake(run.member(), household={"adults": 1, "children": 1})

    page = await signed_in(context, ui_system.urls["matching"], "corporation", run.corporation,
                           "/ui/homes/new")
    await assert_accessible(page)
    await screenshot(page, "offer-home")
    await page.locator("#f-municipality").fill("Utrecht")
    await page.locator("#f-postcode4").fill("35")  # not four digits
    await page.locator("#f-bedrooms").fill("2")
    await page.locator("#f-rent").fill("575,50")
    await page.get_by_label("tussenhuur (omklap)").check()  # without its months
    await page.locator("#f-available_from").fill(today().isoformat())
    await page.locator("#f-contingent_year").fill(str(year))
    await page.get_by_role("button", name="Woning aanbieden").click()

    await expect(page.locator("#f-postcode4-error")).to_be_visible()
    await expect(page.locator("#f-municipality")).to_have_value("Utrecht")
    await expect(page.locator("#f-rent")).to_have_value("575,50")
    await expect(page.get_by_label("tussenhuur (omklap)")).to_be_checked()
    await no_stack_trace(page)
    await assert_accessible(page)
    await screenshot(page, "offer-home-errors")

    # With the shape right, the API's rule about the contract: shown at the months field.
    await page.locator("#f-postcode4").fill("3511")
    await page.get_by_role("button", name="Woning aanbieden").click()
    await expect(page.locator("#f-contract-omklap_after_months-error")).to_contain_text(
        "omklap_after_months")
    await page.get_by_label("op eigen naam").check()
    await page.get_by_role("button", name="Woning aanbieden").click()
    await expect(page.locator(".notice--success")).to_contain_text("De woning is aangeboden")
    await expect(page.locator("tbody")).to_contain_text("3511")
    await assert_accessible(page)
    await screenshot(page, "homes")

    # The proposal arrives in the inbox (through the contingent), with the warm handover.
    await page.goto(f"{ui_system.urls['matching']}/ui/inbox")
    await reload_until(page, "main", "wacht op besluit")
    card = page.locator("section.card").first
    await expect(card).to_contain_text("Warme overdracht")
    await expect(card).to_contain_text("1 volw., 1 kind.")
    await expect(card).to_contain_text(run.member())
    await expect(card).not_to_contain_text("Testpersoon")  # no name leaves intake
    await assert_accessible(page)
    await screenshot(page, "inbox")

    await card.get_by_role("link", name=re.compile("openen")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Voorstel")
    await assert_accessible(page)
    await screenshot(page, "proposal")
    await page.get_by_role("button", name="Voorstel accepteren").click()
    await expect(page.locator(".notice--success")).to_contain_text("geaccepteerd")
    await expect(page.locator(".summary").first).to_contain_text("geaccepteerd")

    day = today()
    await page.locator("#f-signed_on").fill(day.isoformat())
    await page.locator("#f-start_date").fill(day.replace(year=day.year - 1).isoformat())
    await page.get_by_role("button", name="Huurovereenkomst vastleggen").click()
    await expect(page.locator("#f-start_date-error")).to_be_visible()
    await expect(page.locator("#f-signed_on")).to_have_value(day.isoformat())
    await no_stack_trace(page)

    await page.locator("#f-start_date").fill(day.isoformat())
    await page.get_by_role("button", name="Huurovereenkomst vastleggen").click()
    await expect(page.locator(".notice--success")).to_contain_text("De nazorg start")
    await expect(page.locator(".summary").first).to_contain_text("verhuurd")
    await assert_accessible(page)
    await screenshot(page, "proposal-let")

    # The caseworker (another person, another browser) sees the case housed.
    other = await browser.new_context(locale="nl-NL")
    caseworker = await signed_in(other, ui_system.urls["intake"], "caseworker", run.member(),
                                 f"/ui/intakes/{case_id}")
    await reload_until(caseworker, ".summary >> nth=0", "gehuisvest")
    await expect(caseworker.locator("tbody tr").first).to_contain_text("gehuisvest")
    await other.close()


async def test_corporation_declines_with_a_coded_reason_and_other_needs_a_note(
    ui_system: RunningSystem, context: BrowserContext, world: World,
) -> None:
    run = Run()
    year = await world.contingent({run.member(): 2})
    await world.intake(run.member())
    home_id = await world.offer_home(run.corporation, year)
    match = await world.proposal(run.corporation, home_id)

    page = await signed_in(context, ui_system.urls["matching"], "corporation", run.corporation,
                           f"/ui/proposals/{match['match_id']}")
    await page.get_by_label("andere reden").check()
    await page.get_by_role("button", name="Voorstel afwijzen").click()
    await expect(page.locator("#f-note-error")).to_contain_text("note")
    await expect(page.get_by_label("andere reden")).to_be_checked()

    await page.locator("#f-note").fill("De woning gaat in renovatie.")
    await page.get_by_role("button", name="Voorstel afwijzen").click()
    await expect(page.locator(".notice--success")).to_contain_text("afgewezen")
    await expect(page).to_have_url(re.compile(r"/ui/inbox"))


async def test_corporation_reports_a_signal_on_a_let_home(
    ui_system: RunningSystem, context: BrowserContext, world: World,
) -> None:
    run = Run()
    year = await world.contingent({run.member(): 2})
    housed = await world.house(run.member(), run.corporation, year)
    await world.trajectory(run.member(), housed["case_id"])

    page = await signed_in(context, ui_system.urls["matching"], "corporation", run.corporation,
                           f"/ui/proposals/{housed['match_id']}")
    await page.get_by_role("link", name="Signaal melden").click()  # on to aftercare
    await expect(page).to_have_url(re.compile(r"/ui/signals/new\?home_id="))
    await expect(page.locator("#f-home_id")).to_have_value(housed["home_id"])
    await page.get_by_role("button", name="Signaal melden").click()  # arrears, no months
    await expect(page.locator("#f-months_owed-error")).to_be_visible()
    await assert_accessible(page)
    await screenshot(page, "signal-form-errors")

    await page.locator("#f-months_owed").fill("2")
    await page.locator("#f-description").fill("Twee maanden geen huur ontvangen.")
    await page.get_by_role("button", name="Signaal melden").click()
    await expect(page.locator(".notice--success")).to_contain_text("gemeld")
    row = page.locator("tbody tr").first
    await expect(row).to_contain_text("huurachterstand")
    await expect(row).to_contain_text("2 maanden")
    await expect(row).to_contain_text("open")
    await assert_accessible(page)
    await screenshot(page, "signals")
