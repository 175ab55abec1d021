"""The intake's Prometheus metrics: submissions per member, withdrawals per reason, waiting
intakes per member — and never a case id or a client reference as a label."""

from __future__ import annotations

import pytest

from tests.integration.intake.support import Intakes, intake_body, new_member, token
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra


def value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_submissions_withdrawals_and_waiting_intakes_are_counted(
    intakes: Intakes,
) -> None:
    member = new_member()
    before = await intakes.metrics()
    withdrawn_before = value(before, "transferpunt_intakes_withdrawn_total",
                             reason="lost_contact")
    first = await intakes.open(member)
    await intakes.open(member)
    draft = await intakes.open(member, intake_body(submit=False))
    r = await intakes.http.post(f"{intakes.url}/intakes/{first['case_id']}/withdraw",
                                headers=token("caseworker", member),
                                json={"reason": "lost_contact"})
    assert r.status_code == 200

    text = await intakes.metrics()
    assert value(text, "transferpunt_intakes_submitted_total", member_id=member) == 2
    assert value(text, "transferpunt_intakes_withdrawn_total", reason="lost_contact") \
        == withdrawn_before + 1

    async def one_waiting() -> bool:
        text = await intakes.metrics()
        return value(text, "transferpunt_intakes_waiting", member_id=member) == 1

    await eventually(one_waiting)
    for identifier in (first["case_id"], first["client_ref"], draft["case_id"]):
        assert identifier not in text
