"""The whole path, for real: HTTP → PostgreSQL → outbox → Kafka → the next service, through
all four services, plus a duplicate delivery and a poison message."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from dateutil.relativedelta import relativedelta

from shared.auth import mint_token
from shared.settings import ServiceSettings
from shared.topics import dead_letter_topic, events_topic
from tests.access.world import dutch_today
from tests.conftest import RunningSystem
from tests.support.kafka import envelope_of, eventually, find_records, publish_raw
from tests.support.years import CONTINGENT, free_year

pytestmark = pytest.mark.infra

CLIENT = {"name": "Johanna de Vries-Testpersoon", "date_of_birth": "1984-03-12",
          "bsn": "111222333", "phone": "0612345678", "email": "johanna@example.org"}


def auth(role: str, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(ServiceSettings(), role=role, org=org)}"}


def metric_value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_intake_travels_through_all_four_services(system: RunningSystem) -> None:
    urls, bootstrap = system.urls, system.infra.bootstrap_servers
    run = uuid.uuid4().hex[:6]
    member, other, corp = f"m{run}a", f"m{run}b", f"c{run}"
    today = dutch_today()
    available = (today + timedelta(days=60)).isoformat()
    start = today + timedelta(days=14)
    coord, caseworker = auth("coordinator", "region"), auth("caseworker", member)
    corporation, supporter = auth("corporation", corp), auth("supporter", member)

    async with httpx.AsyncClient(timeout=15) as http:
        # A year no other test has used in this database.
        year = await free_year(http, urls["contingent"], CONTINGENT)
        # The coordinator sets the year's contingent for two members.
        for m in (member, other):
            r = await http.post(f"{urls['contingent']}/members", headers=coord,
                                json={"member_id": m, "name": f"Member {m}"})
            assert r.status_code == 201, r.text
        r = await http.put(f"{urls['contingent']}/contingents/{year}", headers=coord, json={
            "total_homes": 10, "method": "sainte_lague",
            "members": [{"member_id": member, "need": 6}, {"member_id": other, "need": 4}]})
        assert r.status_code == 200, r.text
        assert {s["member_id"]: s["share"] for s in r.json()["shares"]} == {member: 6, other: 4}

        # Bad input is refused with a message, without echoing personal data.
        r = await http.post(f"{urls['intake']}/intakes", json={})
        assert r.status_code == 401
        bad = {"client": {**CLIENT, "client_number": f"K{run}"},
               "household": {"adults": 1, "children": 0}, "monthly_income": "1600.00",
               "ready_from": (dutch_today() + timedelta(days=30)).isoformat(),
               "consent": False}
        r = await http.post(f"{urls['intake']}/intakes", headers=caseworker, json=bad)
        assert r.status_code == 422 and "consent" in r.text
        assert CLIENT["bsn"] not in r.text and CLIENT["name"] not in r.text

        # A caseworker submits an intake.
        r = await http.post(f"{urls['intake']}/intakes", headers=caseworker,
                            json={**bad, "consent": True, "max_rent": "600.00",
                                  "preferred_municipalities": ["Utrecht"]})
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]

        submitted = await find_records(
            bootstrap, events_topic("intake"),
            lambda rec: envelope_of(rec).get("case_id") == case_id)
        assert submitted, "IntakeSubmitted never reached Kafka"
        raw = submitted[0].value.decode()
        assert envelope_of(submitted[0])["type"] == "IntakeSubmitted"
        assert submitted[0].key == case_id.encode()
        for personal in (CLIENT["name"], CLIENT["bsn"], CLIENT["date_of_birth"],
                         CLIENT["phone"], CLIENT["email"]):
            assert personal not in raw

        # A corporation offers a home; the contingent says who is owed it; a proposal follows.
        r = await http.post(f"{urls['matching']}/homes", headers=corporation, json={
            "municipality": "Utrecht", "postcode4": "3511", "bedrooms": 1, "rent": "550.00",
            "available_from": available, "contingent_year": year})
        assert r.status_code == 201, r.text
        home_id = r.json()["home_id"]

        async def proposal() -> Any:
            resp = await http.get(f"{urls['matching']}/matches", headers=corporation)
            return [m for m in resp.json() if m["home_id"] == home_id]

        [match] = await eventually(proposal)
        assert match["case_id"] == case_id and match["member_id"] == member
        assert match["status"] == "proposed"

        async def intake_status(expected: str) -> Any:
            resp = await http.get(f"{urls['intake']}/intakes/{case_id}", headers=caseworker)
            return resp.json()["status"] == expected

        await eventually(lambda: intake_status("proposed"))

        # The coordinator can see why the home went where it went, down to the quota rule.
        r = await http.get(f"{urls['matching']}/homes/{home_id}/explanation", headers=coord)
        assert r.status_code == 200, r.text
        contingent = r.json()["proposals"][0]["explanation"]["contingent"]
        assert contingent["member_id"] == member
        ranked = {s["member_id"]: s for s in contingent["standings"]}
        assert set(ranked) == {member, other} and ranked[member]["eligible"] is True
        assert ranked[other]["eligible"] is False  # no candidate of the other member yet

        # Another corporation cannot see or decide it.
        stranger = auth("corporation", f"x{run}")
        r = await http.post(f"{urls['matching']}/matches/{match['match_id']}/accept",
                            headers=stranger)
        assert r.status_code == 404

        # Accept, then the tenancy starts.
        r = await http.post(f"{urls['matching']}/matches/{match['match_id']}/accept",
                            headers=corporation)
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
        r = await http.post(f"{urls['matching']}/matches/{match['match_id']}/accept",
                            headers=corporation)
        assert r.status_code == 409
        r = await http.post(f"{urls['matching']}/matches/{match['match_id']}/tenancy",
                            headers=corporation,
                            json={"signed_on": today.isoformat(),
                                  "start_date": (today - timedelta(days=1)).isoformat()})
        assert r.status_code == 422 and "signed" in r.text
        r = await http.post(f"{urls['matching']}/matches/{match['match_id']}/tenancy",
                            headers=corporation,
                            json={"signed_on": today.isoformat(), "start_date": start.isoformat()})
        assert r.status_code == 200 and r.json()["status"] == "tenancy_started", r.text

        # The contingent records the home as used by the member; aftercare opens a year.
        async def used() -> Any:
            resp = await http.get(f"{urls['contingent']}/contingents/{year}", headers=coord)
            lines = {s["member_id"]: s for s in resp.json()["shares"]}
            return lines[member]["used"] == 1 and lines[member]

        line = await eventually(used)
        assert line["remaining"] == 5 and line["allocated"] == 0

        async def trajectory() -> Any:
            resp = await http.get(f"{urls['aftercare']}/trajectories", headers=supporter)
            return [t for t in resp.json() if t["case_id"] == case_id]

        [traj] = await eventually(trajectory)
        assert traj["tenancy_start"] == start.isoformat()
        assert traj["ends_on"] == (start + relativedelta(months=12)).isoformat()
        await eventually(lambda: intake_status("housed"))

        # A duplicate delivery of TenancyStarted changes nothing.
        [started] = await find_records(
            bootstrap, events_topic("matching"),
            lambda rec: envelope_of(rec).get("type") == "TenancyStarted"
            and envelope_of(rec).get("case_id") == case_id)

        async def duplicates_seen(service: str) -> float:
            text = (await http.get(f"{urls[service]}/metrics")).text
            return metric_value(text, "transferpunt_events_consumed_total",
                                service=service, event_type="TenancyStarted",
                                outcome="duplicate")

        before = {s: await duplicates_seen(s) for s in ("contingent", "aftercare")}
        await publish_raw(bootstrap, events_topic("matching"), started.value, started.key)

        async def duplicate_processed() -> bool:
            now = {s: await duplicates_seen(s) for s in before}
            return all(now[s] > before[s] for s in before)

        await eventually(duplicate_processed)
        r = await http.get(f"{urls['contingent']}/contingents/{year}/ledger", headers=coord)
        entries = [e for e in r.json() if e["home_id"] == home_id]
        assert [e["kind"] for e in entries] == ["allocated", "consumed"]
        r = await http.get(f"{urls['aftercare']}/trajectories", headers=supporter)
        assert len([t for t in r.json() if t["case_id"] == case_id]) == 1

        # A malformed message and one with invalid data land on the dead-letter topics.
        marker = uuid.uuid4().hex
        await publish_raw(bootstrap, events_topic("matching"), f"{{not json {marker}".encode())
        invalid = {**envelope_of(started), "event_id": str(uuid.uuid4()),
                   "data": {"match_id": marker}}
        await publish_raw(bootstrap, events_topic("matching"), json.dumps(invalid).encode())
        for service in ("contingent", "aftercare"):
            dead = await find_records(
                bootstrap, dead_letter_topic(service),
                lambda rec: marker.encode() in rec.value, count=2)
            reasons = {dict(rec.headers)["dlq_kind"].decode() for rec in dead}
            assert reasons == {"unparseable", "invalid_data"}, reasons
            for rec in dead:
                assert dict(rec.headers)["dlq_reason"]

        # …and the partitions keep flowing: a second client of the other member gets the
        # next home through matching → contingent → matching.
        other_caseworker = auth("caseworker", other)
        second = {**bad, "consent": True, "max_rent": "600.00",
                  "client": {"name": "Tweede Testpersoon", "date_of_birth": "1990-01-01",
                             "client_number": f"L{run}"}}
        r = await http.post(f"{urls['intake']}/intakes", headers=other_caseworker, json=second)
        assert r.status_code == 201, r.text
        second_case = r.json()["case_id"]
        r = await http.post(f"{urls['matching']}/homes", headers=corporation, json={
            "municipality": "Utrecht", "postcode4": "3512", "bedrooms": 1, "rent": "500.00",
            "available_from": available, "contingent_year": year})
        assert r.status_code == 201
        second_home = r.json()["home_id"]

        async def second_proposal() -> Any:
            resp = await http.get(f"{urls['matching']}/matches", headers=corporation)
            return [m for m in resp.json() if m["home_id"] == second_home]

        [match2] = await eventually(second_proposal)
        assert match2["case_id"] == second_case and match2["member_id"] == other
        for service in ("contingent", "aftercare"):
            text = (await http.get(f"{urls[service]}/metrics")).text
            assert metric_value(text, "transferpunt_dead_letters_total", service=service,
                                kind="unparseable") >= 1
