"""The coordinator's pages in a real browser: the contingent table and chart moving as a home
is let, the ledger and its CSV, the explanation of the allocation, the throughput times, and
redistribution and close behind a confirmation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.support import (
    Run,
    World,
    assert_accessible,
    reload_until,
    screenshot,
    signed_in,
)
from tests.conftest import RunningSystem

pytestmark = pytest.mark.infra


def line(page: Page, member: str) -> tuple[object, ...]:
    row = page.locator(f"tr[data-member='{member}']")
    return (row.locator("[data-col=used]"), row.locator("[data-col=in_flight]"),
            row.locator("[data-col=remaining]"))


async def test_coordinator_sees_the_quota_move_and_opens_the_explanation(
    ui_system: RunningSystem, context: BrowserContext, world: World,
) -> None:
    run = Run()
    first, second = run.member(1), run.member(2)
    year = await world.contingent({first: 6, second: 4})
    page = await signed_in(context, ui_system.urls["contingent"], "coordinator", "region",
                           f"/ui/contingent/{year}")
    used, in_flight, remaining = line(page, first)
    await expect(used).to_have_text("0")
    await expect(remaining).to_have_text("6")

    housed = await world.house(first, run.corporation, year)
    await reload_until(page, f"tr[data-member='{first}'] [data-col=used]", "1")
    await expect(used).to_have_text("1")
    await expect(in_flight).to_have_text("0")
    await expect(remaining).to_have_text("5")
    chart = page.locator("svg.chart")
    await expect(chart).to_have_attribute("role", "img")
    await expect(chart.locator(f"g[data-member='{first}'] text").last).to_have_text("1 + 0 / 6")
    await assert_accessible(page)
    await screenshot(page, "contingent")

    await page.get_by_role("link", name=f"Grootboek {year}").click()
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("toegewezen")
    await expect(rows.nth(1)).to_contain_text("verhuurd")
    await assert_accessible(page)
    await screenshot(page, "ledger")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download als CSV").click()
    download = await download_info.value
    csv_text = Path(await download.path()).read_text(encoding="utf-8")  # noqa: ASYNC240
    assert csv_text.startswith("entry_id,sequence,year,home_id,member_id,kind")
    assert housed["home_id"] in csv_text and csv_text.count("\n") == 3

    await rows.nth(1).get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Uitleg van een toewijzing")
    await expect(page.locator("main")).to_contain_text(f"Lid {first} kreeg woning nummer 1.")
    # The decision that placed the home (an earlier round may have found nobody yet).
    decision = page.locator("section.decision").last
    await expect(decision).to_contain_text(f"Lid {first} kreeg woning nummer 1.")
    considered = decision.locator("table", has=page.locator("caption", has_text="afweging"))
    await expect(considered.locator("tbody tr")).to_have_count(2)
    await expect(considered.locator("tr", has_text="gekozen")).to_contain_text(first)
    await assert_accessible(page)
    await screenshot(page, "explanation")

    # The matching side of the same decision: the candidates, and why the winner won.
    await page.get_by_role("link", name="De kandidaten die bemiddeling bekeek").click()
    await expect(page).to_have_url(re.compile(rf"/ui/homes/{housed['home_id']}/explanation"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Waarom ging de woning hierheen?")
    await expect(page.locator("main")).to_contain_text(first)
    await assert_accessible(page)
    await screenshot(page, "matching-explanation")

    await page.goto(f"{ui_system.urls['contingent']}/ui/throughput")
    throughput = page.locator("tbody")
    await expect(throughput.locator("tr")).to_have_count(4)
    for measure in ("intake_to_proposal", "proposal_to_decision", "intake_to_tenancy",
                    "tenancy_to_aftercare_end"):
        cells = throughput.locator(f"tr[data-measure='throughput.{measure}'] td")
        shown = " ".join(await cells.all_inner_texts())
        assert re.search(r"\d+,\d d|Nog geen metingen|Niet beschikbaar", shown), shown
    # Homes were let in this test, so application → key has a figure, not a placeholder.
    await expect(throughput.locator(
        "tr[data-measure='throughput.intake_to_tenancy'] td").first).to_have_text(
        re.compile(r"\d+,\d d"))
    await assert_accessible(page)
    await screenshot(page, "throughput")


async def test_redistribution_and_close_ask_for_confirmation_first(
    ui_system: RunningSystem, context: BrowserContext, world: World,
) -> None:
    run = Run()
    year = await world.contingent({run.member(1): 3, run.member(2): 5}, total=4)
    page = await signed_in(context, ui_system.urls["contingent"], "coordinator", "region",
                           f"/ui/contingent/{year}")

    await page.get_by_role("link", name="Herverdelen").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Herverdelen")
    await expect(page.locator("main")).to_contain_text("Nu nog niet gebruikt: 4 woningen.")
    await assert_accessible(page)
    await screenshot(page, "redistribute-confirm")
    await page.get_by_role("link", name="Annuleren").click()  # backing out changes nothing
    await expect(page.get_by_role("heading", level=2, name="Herverdelingen")).to_have_count(0)

    await page.get_by_role("link", name="Herverdelen").click()
    await page.locator("#f-note").fill("Behoefte herijkt na het voorjaar.")
    await page.get_by_role("button", name="Ja, herverdelen").click()
    await expect(page.locator(".notice--success")).to_contain_text("herverdeeld")
    await expect(page.locator("main")).to_contain_text("Behoefte herijkt na het voorjaar.")

    await page.get_by_role("link", name=f"Jaar {year} afsluiten").click()
    await expect(page.locator("main")).to_contain_text("niet terugdraaien")
    await assert_accessible(page)
    await screenshot(page, "close-confirm")
    await page.get_by_role("button", name=f"Ja, {year} afsluiten").click()
    await expect(page.locator(".notice--success")).to_contain_text("afgesloten")
    await expect(page.locator(".summary").first).to_contain_text("afgesloten")
    await expect(page.get_by_role("heading", name="Afgesloten")).to_be_visible()
    await expect(page.get_by_role("link", name="Herverdelen")).to_have_count(0)
