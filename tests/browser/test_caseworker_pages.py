"""The caseworker's pages in a real browser: the intake form (its refusals next to the
fields, the input kept), the case list with waiting time, the case with its proposals and
the client's answer, and withdrawal after a confirmation."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, Page, expect

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


async def intake_form(context: BrowserContext, url: str, run: Run, *,
                      filled: bool = True) -> Page:
    """The intake form, for a caseworker of the run's member; `filled`: filled in validly."""
    page = await signed_in(context, url, "caseworker", run.member(), "/ui/intakes/new")
    if filled:
        await fill_valid_intake(page, f"K{run.id}")
    return page


async def fill_valid_intake(page: Page, client_number: str) -> None:
    await page.locator("#f-client-name").fill("Johanna de Vries")
    await page.locator("#f-client-date_of_birth").fill("1984-03-12")
    await page.locator("#f-client-client_number").fill(client_number)
    await page.locator("#f-monthly_income").fill("1450,00")
    await page.locator("#f-max_rent").fill("600")
    await page.get_by_role("group", name=re.compile("Voorkeursgemeenten")) \
        .get_by_label("Utrecht", exact=True).check()
    await page.locator("#f-risks-0--category").select_option("debts")
    await page.locator("#f-risks-0--mitigation").fill("budgetbeheer gedurende 12 maanden")
    await page.locator("#f-risks-0--carried_by").fill("gemeentelijke schuldhulp")
    await page.locator("#f-ready_from").fill(today().isoformat())
    await page.locator("#f-consent").check()


async def test_intake_form_shows_each_refusal_next_to_its_field_and_keeps_the_input(
    ui_system: RunningSystem, context: BrowserContext,
) -> None:
    run = Run()
    page = await intake_form(context, ui_system.urls["intake"], run, filled=False)
    await assert_accessible(page)
    await screenshot(page, "intake-form")

    await fill_valid_intake(page, f"K{run.id}")
    await page.locator("#f-client-bsn").fill("12345678")  # eight digits
    await page.locator("#f-client-phone").fill("12")
    await page.locator("#f-consent").uncheck()
    await page.get_by_role("button", name="Intake indienen").click()

    # Each message sits in the field's own block, tied to the input for screen readers.
    await expect(page.locator("#f-client-bsn-error")).to_contain_text("9 cijfers")
    await expect(page.locator("#f-client-bsn")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-client-bsn")).to_have_attribute(
        "aria-describedby", re.compile("f-client-bsn-error"))
    await expect(page.locator("#f-client-phone-error")).to_contain_text("telefoonnummer")
    await expect(page.locator("#f-consent-error")).to_contain_text("toestemming")
    # The summary names every problem and links to its field; the keyboard starts there.
    summary = page.locator("#error-summary")
    await expect(summary).to_be_focused()
    await expect(summary.get_by_role("link", name=re.compile("^BSN"))).to_have_attribute(
        "href", "#f-client-bsn")
    # What the caseworker typed is still there.
    await expect(page.locator("#f-client-name")).to_have_value("Johanna de Vries")
    await expect(page.locator("#f-client-bsn")).to_have_value("12345678")
    await expect(page.locator("#f-monthly_income")).to_have_value("1450,00")
    await expect(page.locator("#f-risks-0--mitigation")).to_have_value(
        "budgetbeheer gedurende 12 maanden")
    await expect(page.get_by_role("group", name=re.compile("Voorkeursgemeenten"))
                 .get_by_label("Utrecht", exact=True)).to_be_checked()
    await no_stack_trace(page)
    await assert_accessible(page)
    await screenshot(page, "intake-form-errors")

    # Fixed, it goes through.
    await page.locator("#f-client-bsn").fill("")
    await page.locator("#f-client-phone").fill("")
    await page.locator("#f-consent").check()
    await page.get_by_role("button", name="Intake indienen").click()
    await expect(page.locator(".notice--success")).to_contain_text("De intake is ingediend")


async def test_a_type_error_is_shown_at_the_field_in_dutch(
    ui_system: RunningSystem, context: BrowserContext,
) -> None:
    page = await intake_form(context, ui_system.urls["intake"], Run())
    await page.locator("#f-household-adults").fill("twee")
    await page.get_by_role("button", name="Intake indienen").click()
    await expect(page.locator("#f-household-adults-error")).to_contain_text("heel getal")
    await expect(page.locator("#f-household-adults")).to_have_value("twee")


async def test_caseworker_submits_an_intake_sees_it_waiting_and_withdraws_it_after_confirming(
    ui_system: RunningSystem, context: BrowserContext,
) -> None:
    page = await intake_form(context, ui_system.urls["intake"], Run())
    await page.get_by_role("button", name="Intake indienen").click()

    await expect(page.locator(".notice--success")).to_contain_text("De intake is ingediend")
    await expect(page.locator(".summary").first).to_contain_text("wacht op woning")
    await expect(page.locator(".summary").first).to_contain_text("Johanna de Vries")
    await expect(page.locator("main")).to_contain_text("budgetbeheer gedurende 12 maanden")
    case_url = page.url.split("?")[0]
    await assert_accessible(page)
    await screenshot(page, "case")

    await page.get_by_role("navigation", name="Uw pagina's").get_by_role(
        "link", name="Mijn cliënten").click()
    row = page.locator("tbody tr", has=page.locator(f"a[href$='{case_url[-36:]}']"))
    await expect(row).to_contain_text("wacht op woning")
    await expect(row).to_contain_text("0 dagen")
    await assert_accessible(page)
    await screenshot(page, "case-list")

    await page.goto(case_url)
    await page.get_by_role("link", name="Intake intrekken…").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Intake intrekken")
    await page.get_by_role("button", name="Ja, intake intrekken").click()  # no reason chosen
    await expect(page.locator("#f-reason-error")).to_contain_text("verplicht")
    await assert_accessible(page)
    await screenshot(page, "withdraw-confirm")
    await page.get_by_label("op verzoek van de cliënt").check()
    await page.get_by_role("button", name="Ja, intake intrekken").click()
    await expect(page.locator(".notice--success")).to_contain_text("ingetrokken")
    await expect(page.locator(".summary").first).to_contain_text("ingetrokken")


async def test_case_page_shows_the_proposal_and_records_the_clients_answer(
    ui_system: RunningSystem, context: BrowserContext, world: World,
) -> None:
    run = Run()
    year = await world.contingent({run.member(): 2})
    case_id = await world.intake(run.member())
    home_id = await world.offer_home(run.corporation, year)
    match = await world.proposal(run.corporation, home_id)

    page = await signed_in(context, ui_system.urls["intake"], "caseworker", run.member(),
                           f"/ui/intakes/{case_id}")
    await reload_until(page, ".summary >> nth=0", "woning voorgedragen")
    proposals = page.locator("table", has=page.locator("th", has_text="Voordracht"))
    await expect(proposals).to_contain_text("loopt")
    await page.get_by_label("Ja, de cliënt wil de woning").check()
    await page.get_by_role("button", name="Antwoord vastleggen").click()
    await expect(page.locator(".notice--success")).to_contain_text("antwoord van de cliënt")
    await expect(proposals.locator("tbody tr").first).to_contain_text("ja")

    # The proposal itself opens on the matching service, with the same sign-in.
    await proposals.get_by_role("link").first.click()
    await expect(page).to_have_url(re.compile(rf"/ui/proposals/{match['match_id']}$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Voorstel")
    await assert_accessible(page)
