"""Which contingent years a test may take, in a database every suite of a session shares.

A home offered for a year without a contingent waits for good, and the moment somebody sets
a contingent for that year it is allocated like any other waiting home: to the first
eligible client of a member with a share. A test that set a contingent in a year where
another test had parked homes would see its own client proposed for one of those instead
of its own home (the browser tests did, once in a while, in CI). So the years are split:

- `PARKING`: never given a contingent. Tests that need homes to wait (the access matrix's
  withdrawable home, the fuzzed offers) offer them here.
- `CONTINGENT`: a test takes a year nobody has set yet and sets its contingent at once,
  before it offers any home for it.

A contingent's year may go up to 9999, a home's only to 2100, so the years after 2100 hold
contingents that never see a home. Two suites use them, each in its own range (the access
matrix once closed a year there that the contingent suite's counter then reached, and could
not set):

- `WITHOUT_HOMES`: the access matrix's fresh and closed years (probed, like the above).
- `CONTINGENT_SUITE`: the contingent service's own tests, which count up from a random start.
"""

from __future__ import annotations

import random

import httpx

from shared.auth import mint_token
from shared.settings import ServiceSettings

PARKING = range(2001, 2027)
CONTINGENT = range(2027, 2101)  # a home's contingent year goes up to 2100
WITHOUT_HOMES = range(3000, 6000)
CONTINGENT_SUITE = range(6000, 10_000)


async def free_year(http: httpx.AsyncClient, contingent_url: str, years: range) -> int:
    """A year of `years` for which nobody has set a contingent in this database yet."""
    coordinator = {"Authorization": "Bearer " + mint_token(
        ServiceSettings(), role="coordinator", org="region")}
    for year in random.sample(years, min(200, len(years))):
        r = await http.get(f"{contingent_url}/contingents/{year}", headers=coordinator)
        if r.status_code == 404:
            return year
    raise AssertionError(f"no free contingent year in {years.start}..{years.stop - 1}")
