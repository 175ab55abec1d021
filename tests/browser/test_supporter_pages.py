"""The supporter's pages in a real browser: the werklijst with who needs attention first, a
trajectory, recording a check-in (a refused date shown at the field), picking up a signal,
closing the year with an outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import BrowserContext, expect

from tests.browser.support import (
    Run,
    World,
    assert_accessible,
    bearer,
    no_stack_trace,
    screenshot,
    signed_in,
    today,
)
from tests.conftest import RunningSystem

pytestmark = pytest.mark.infra


async def test_supporter_sees_signals_first_records_a_check_in_and_closes_the_year(
    ui_system: RunningSystem, context: BrowserContext, world: World,
) -> None:
    run = Run()
    year = await world.contingent({run.member(): 3})
    calm = await world.house(run.member(), run.corporation, year)
    worried = await world.house(run.member(), run.corporation, year)
    await world.trajectory(run.member(), calm["case_id"])
    trajectory = await world.trajectory(run.member(), worried["case_id"])
    r = await world.http.post(f"{ui_system.urls['aftercare']}/signals",
                              headers=bearer("corporation", run.corporation),
                              json={"kind": "nuisance", "home_id": worried["home_id"],
                                    "description": "Buren klagen over geluid 's nachts."})
    assert r.status_code == 201, r.text

    page = await signed_in(context, ui_system.urls["aftercare"], "supporter", run.member(),
                           "/ui/trajectories")
    attention = page.locator("table", has=page.locator("caption", has_text="aandacht"))
    await expect(attention.locator("tbody tr")).to_have_count(1)
    await expect(attention).to_contain_text("signaal open")
    await expect(attention).to_contain_text(trajectory["client_ref"][:10])
    on_track = page.locator("table", has=page.locator("caption", has_text="traject")).last
    await expect(on_track).to_contain_text("op koers")
    await assert_accessible(page)
    await screenshot(page, "worklist")

    await attention.get_by_role("link").first.click()
    await expect(page.locator(".notice--warning")).to_contain_text("Buren klagen")
    await page.get_by_role("button", name="Signaal oppakken").click()
    await expect(page.locator(".notice--success")).to_contain_text("opgepakt")

    tomorrow = today() + timedelta(days=1)
    await page.locator("#f-held_on").fill(tomorrow.isoformat())
    await page.get_by_label("aandacht nodig").check()
    await page.locator("#f-scores-neighbourhood").select_option("2")
    await page.locator("#f-agreed_actions").fill("Gesprek met de buren\nOordopjes regelen")
    await page.get_by_role("button", name="Contactmoment vastleggen").click()
    await expect(page.locator("#f-held_on-error")).to_be_visible()
    await expect(page.locator("#f-agreed_actions")).to_have_value(
        "Gesprek met de buren\nOordopjes regelen")
    await expect(page.locator("#f-scores-neighbourhood")).to_have_value("2")
    await no_stack_trace(page)
    await assert_accessible(page)
    await screenshot(page, "checkin-errors")

    await page.locator("#f-held_on").fill(today().isoformat())
    await page.get_by_role("button", name="Contactmoment vastleggen").click()
    await expect(page.locator(".notice--success")).to_contain_text("contactmoment")
    checkins = page.locator("table", has=page.locator("th", has_text="Datum van het contact"))
    await expect(checkins.locator("tbody tr")).to_have_count(1)
    await expect(checkins).to_contain_text("aandacht nodig")
    await expect(checkins).to_contain_text("buurt: 2")
    await expect(checkins).to_contain_text("Oordopjes regelen")
    await assert_accessible(page)
    await screenshot(page, "trajectory")

    # The year ends with an outcome, after a confirmation.
    await page.get_by_role("link", name="Nazorg afsluiten…").click()
    await page.get_by_role("button", name="Ja, nazorg afsluiten").click()  # no outcome chosen
    await expect(page.locator("#f-outcome-error")).to_be_visible()
    await assert_accessible(page)
    await screenshot(page, "complete-confirm")
    await page.get_by_label("stabiel gehuisvest").check()
    await page.get_by_role("button", name="Ja, nazorg afsluiten").click()
    await expect(page.locator(".notice--success")).to_contain_text("afgesloten")
    await expect(page.locator("main")).to_contain_text("stabiel gehuisvest")
    await expect(page.get_by_role("button", name="Contactmoment vastleggen")).to_have_count(0)
