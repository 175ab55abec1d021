"""What the browser tests share: signing in through the page, the accessibility scan,
screenshots, and preparing the world through the APIs where a test's subject starts later
in the flow (a supporter's test needs a tenancy, not the forms that led to it).
"""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import BrowserContext, Page, expect

from shared.auth import mint_token
from shared.settings import ServiceSettings
from tests.support.kafka import eventually
from tests.support.years import CONTINGENT

SCREENSHOTS = Path(os.environ.get("TRANSFERPUNT_SCREENSHOTS")
                   or Path(tempfile.gettempdir()) / "transferpunt-screenshots")
BLOCKING_IMPACTS = ("serious", "critical")
# The person each role signs in as.
PEOPLE = {"caseworker": "Anna Consulent", "corporation": "Bram Verhuur",
          "supporter": "Chris Begeleider", "coordinator": "Dana Coördinator"}


def today() -> date:
    """The region's date: the services judge "today" in Europe/Amsterdam."""
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date()


class Run:
    """Names no other test uses: members, a corporation, people."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex[:6]
        self.corporation = f"c{self.id}"

    def member(self, n: int = 1) -> str:
        return f"m{self.id}{n}"


# --- in the browser -----------------------------------------------------------------------


async def sign_in(page: Page, base_url: str, *, role: str, org: str, name: str,
                  next_path: str = "/ui") -> None:
    """Sign in on the local sign-in page, as a person would."""
    await page.goto(f"{base_url}/ui/signin?next={next_path}")
    await page.locator(f"input[name=role][value={role}]").check()
    await page.locator("#f-org").fill(org)
    await page.locator("#f-name").fill(name)
    await page.get_by_role("button", name="Aanmelden").click()
    await expect(page.locator(".account__who")).to_contain_text(name)


async def signed_in(context: BrowserContext, base_url: str, role: str, org: str,
                    next_path: str = "/ui") -> Page:
    """A new tab, signed in as the role's person (PEOPLE) for `org`, on `next_path`."""
    page = await context.new_page()
    await sign_in(page, base_url, role=role, org=org, name=PEOPLE[role], next_path=next_path)
    return page


async def assert_accessible(page: Page) -> None:
    """axe-core in the page: no serious or critical WCAG 2.1 A/AA violation."""
    results = await Axe().run(page, options={
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"],
    })
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    report = "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — "
                       f"{[n['target'] for n in v['nodes']][:3]}" for v in blocking)
    assert not blocking, f"accessibility violations on {page.url}:\n{report}"


async def screenshot(page: Page, name: str) -> None:
    """Kept in docs/screenshots when TRANSFERPUNT_SCREENSHOTS=docs/screenshots."""
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def no_stack_trace(page: Page) -> None:
    text = await page.content()
    for trace in ("Traceback", "File \"/", "Internal Server Error"):
        assert trace not in text


async def reload_until(page: Page, selector: str, text: str, seconds: float = 30) -> None:
    """Events travel through Kafka: reload the page until it shows what arrived."""

    async def shown() -> bool:
        await page.reload()
        return text in " ".join(await page.locator(selector).all_inner_texts())

    await eventually(shown, seconds=seconds, every=0.5)


# --- through the APIs ---------------------------------------------------------------------


def bearer(role: str, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(ServiceSettings(), role=role, org=org)}"}


def intake_body(client_number: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client": {"name": "Testpersoon", "date_of_birth": "1985-05-05",
                   "client_number": client_number},
        "household": {"adults": 1, "children": 0}, "monthly_income": "1600.00",
        "max_rent": "600.00", "preferred_municipalities": ["Utrecht"],
        "ready_from": today().isoformat(), "consent": True,
    }
    body.update(overrides)
    return body


def home_body(year: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"municipality": "Utrecht", "postcode4": "3511", "bedrooms": 1,
                            "rent": "550.00", "available_from": today().isoformat(),
                            "contingent_year": year}
    body.update(overrides)
    return body


class World:
    """The state a test starts from, made through the services' APIs."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.http = httpx.AsyncClient(timeout=20)

    async def close(self) -> None:
        await self.http.aclose()

    async def contingent(self, needs: dict[str, int], total: int | None = None) -> int:
        """Register the members and set a year nobody else uses; the year."""
        coordinator = bearer("coordinator", "region")
        for member in needs:
            r = await self.http.post(f"{self.urls['contingent']}/members", headers=coordinator,
                                     json={"member_id": member, "name": f"Zorg {member}"})
            assert r.status_code in (201, 409), r.text
        body = {"total_homes": total or sum(needs.values()), "method": "sainte_lague",
                "members": [{"member_id": m, "need": n} for m, n in needs.items()]}
        # Never a parking year: homes other tests left waiting there would take this
        # test's clients (tests/support/years.py).
        for year in random.sample(CONTINGENT, len(CONTINGENT)):
            url = f"{self.urls['contingent']}/contingents/{year}"
            if (await self.http.get(url, headers=coordinator)).status_code != 404:
                continue  # another test's year
            r = await self.http.put(url, headers=coordinator, json=body)
            if r.status_code == 200:
                return year
            assert r.status_code == 409, r.text  # taken in the meantime: the next
        raise AssertionError("no free contingent year")

    async def intake(self, member: str, **overrides: Any) -> str:
        r = await self.http.post(f"{self.urls['intake']}/intakes",
                                 headers=bearer("caseworker", member),
                                 json=intake_body(f"K{uuid.uuid4().hex[:8]}", **overrides))
        assert r.status_code == 201, r.text
        return str(r.json()["case_id"])

    async def offer_home(self, corporation: str, year: int, **overrides: Any) -> str:
        r = await self.http.post(f"{self.urls['matching']}/homes",
                                 headers=bearer("corporation", corporation),
                                 json=home_body(year, **overrides))
        assert r.status_code == 201, r.text
        return str(r.json()["home_id"])

    async def proposal(self, corporation: str, home_id: str) -> dict[str, Any]:
        async def proposed() -> Any:
            r = await self.http.get(f"{self.urls['matching']}/matches",
                                    headers=bearer("corporation", corporation))
            return [m for m in r.json() if m["home_id"] == home_id and m["status"] == "proposed"]

        [match] = await eventually(proposed)
        return match  # type: ignore[no-any-return]

    async def house(self, member: str, corporation: str, year: int) -> dict[str, str]:
        """A client of `member` moves into a home of `corporation`: the whole path."""
        case_id = await self.intake(member)
        home_id = await self.offer_home(corporation, year)
        match = await self.proposal(corporation, home_id)
        assert match["case_id"] == case_id
        headers = bearer("corporation", corporation)
        base = f"{self.urls['matching']}/matches/{match['match_id']}"
        r = await self.http.post(f"{base}/accept", headers=headers)
        assert r.status_code == 200, r.text
        day = today().isoformat()
        r = await self.http.post(f"{base}/tenancy", headers=headers,
                                 json={"signed_on": day, "start_date": day})
        assert r.status_code == 200, r.text
        return {"case_id": case_id, "home_id": home_id, "match_id": str(match["match_id"])}

    async def trajectory(self, member: str, case_id: str) -> dict[str, Any]:
        async def opened() -> Any:
            r = await self.http.get(f"{self.urls['aftercare']}/trajectories",
                                    headers=bearer("supporter", member))
            return [t for t in r.json() if t["case_id"] == case_id]

        [found] = await eventually(opened)
        return found  # type: ignore[no-any-return]
