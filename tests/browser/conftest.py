"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, against the
session's four services (the `system` fixture: real processes on real Kafka and PostgreSQL,
told each other's addresses so the pages can link across services).

The tests share the services with the other end-to-end tests, as the only consumer of each
service's events (they start none of their own). Playwright's own browser download is never
used: the tests drive /usr/bin/chromium and skip, saying why, when it is not installed.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright

from shared.topics import SERVICES
from tests.browser.support import World
from tests.conftest import RunningSystem

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="session")
def chromium() -> str:
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} "
                    "(apt-get install chromium); the browser tests need it")
    return CHROMIUM


@pytest.fixture(scope="session")
def ui_system(chromium: str, system: RunningSystem) -> RunningSystem:
    """The running system, once it is clear every service serves its pages."""
    missing = [s for s in SERVICES if s not in system.urls]
    if missing:
        pytest.skip(f"the browser tests walk through all four services; "
                    f"TRANSFERPUNT_TEST_SERVICES leaves out {', '.join(missing)}")
    without_pages = [name for name, url in system.urls.items()
                     if httpx.get(f"{url}/ui/signin", timeout=5).status_code != 200]
    if without_pages:
        pytest.fail(f"no pages on {', '.join(without_pages)}: register the ui router in "
                    "services/<service>/main.py: create_service_app(runtime, [..., ui.router])")
    return system


@pytest.fixture(scope="session")
async def browser(ui_system: RunningSystem, chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium,
                                                    args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile per test: no cookies, Dutch, a laptop-sized window."""
    ctx = await browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()


@pytest.fixture
async def world(ui_system: RunningSystem) -> AsyncIterator[World]:
    """Prepares a test's starting point through the services' APIs."""
    made = World(ui_system.urls)
    yield made
    await made.close()
