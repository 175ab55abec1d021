"""The benchmark's own arithmetic: the sustained rate of a burst, the floor's rows, and the
refusal to report a floor measured on refusals or lost messages (transferpunt.bench,
transferpunt.bench_floor). The measuring itself runs on real Kafka in
tests/integration/test_bench_floor.py."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from transferpunt.bench import FLOOR_NAMES, floor_rows, sustained_rate
from transferpunt.bench_floor import BusyShare, FloorError, FloorSettings, StandIn, checked


def test_the_sustained_rate_counts_the_middle_of_the_burst_only() -> None:
    # 100 arrivals: a slow start (10 in 10 s), 81 one per 10 ms, a slow tail.
    start = [float(i) for i in range(10)]
    middle = [10 + i / 100 for i in range(81)]
    tail = [20.0 + i for i in range(9)]
    # From the 10th arrival (10.0 s) to the 90th (10.8 s): 80 arrivals in 0.8 s.
    assert sustained_rate(start + middle + tail) == 100.0
    assert sustained_rate(list(reversed(start + middle + tail))) == 100.0


def test_too_few_arrivals_give_no_rate() -> None:
    assert sustained_rate([0.0, 1.0, 2.0]) is None


def _figures(rate: float, busy: float, cpu: float) -> dict[str, Any]:
    return {"sustained_per_s": rate, "machine_busy": busy, "cpu_ms_per_intake": cpu}


def test_each_floor_is_a_row_with_its_share_of_raw_kafka() -> None:
    found = {"hops_0": _figures(6000.0, 0.9, 0.3), "hops_1": _figures(3000.0, 0.75, 0.5),
             "hops_2": _figures(2000.0, 0.7, 0.7), "hops_2_stored": _figures(1500.0, 0.8, 1.07)}
    rows = floor_rows(found, 25_000, 300.0)
    assert rows == [
        (FLOOR_NAMES["hops_0"], "6000.0 /s (90% busy, 0.30 ms CPU each)", "24.00%"),
        (FLOOR_NAMES["hops_1"], "3000.0 /s (75% busy, 0.50 ms CPU each)", "12.00%"),
        (FLOOR_NAMES["hops_2"], "2000.0 /s (70% busy, 0.70 ms CPU each)", "8.00%"),
        (FLOOR_NAMES["hops_2_stored"], "1500.0 /s (80% busy, 1.07 ms CPU each)", "6.00%"),
        ("e2e sustained / stored floor", "20%", "–"),
    ]


def test_a_failed_floor_says_so_and_the_others_still_count() -> None:
    found = {"hops_0": _figures(6000.0, 0.9, 0.3),
             "hops_1": {"error": "0 of 30 intakes accepted"},
             "hops_2": _figures(2000.0, 0.7, 0.7),
             "hops_2_stored": {"error": "no database given to the benchmark"}}
    rows = floor_rows(found, 25_000, 300.0)
    assert rows[0][2] == "24.00%"
    assert rows[1] == (FLOOR_NAMES["hops_1"], "failed: 0 of 30 intakes accepted", "–")
    assert rows[3][1] == "failed: no database given to the benchmark"
    assert len(rows) == 4  # no share of a stored floor that was not measured
    assert floor_rows({"error": "boom"}, 25_000, 300.0) == [("floor", "failed: boom", "–")]
    assert floor_rows({}, 25_000, 300.0) == []


def _stand_in() -> StandIn:
    # `checked` only names the log; no process is needed
    return StandIn("front", "http://127.0.0.1:1", None, Path("var/log/front.log"))  # type: ignore[arg-type]


@pytest.mark.parametrize(("accepted", "arrived"), [(29, 29), (30, 29), (0, 0)])
def test_a_floor_with_refusals_or_lost_messages_is_no_floor(accepted: int,
                                                             arrived: int) -> None:
    figures = {"intakes": 30, "accepted": accepted, "arrived": arrived,
               "failed_requests": {"POST /intakes 422": 30 - accepted}}
    with pytest.raises(FloorError, match=f"{accepted} of 30 intakes accepted.*{arrived} "
                                         "arrived; see var/log/front.log"):
        checked(figures, [_stand_in()])


def test_a_floor_where_everything_arrived_is_reported() -> None:
    figures = {"intakes": 30, "accepted": 30, "arrived": 30, "failed_requests": {}}
    assert checked(figures, [_stand_in()]) is figures


def test_the_busy_share_sees_a_busy_core() -> None:
    busy, began = BusyShare(), time.monotonic()
    spin_until = began + 0.5
    while time.monotonic() < spin_until:
        pass
    (share, cpu), took = busy.taken(), time.monotonic() - began
    # One of this machine's cores was busy all along, whatever the others did.
    assert 1 / (os.cpu_count() or 1) * 0.8 <= share <= 1.0
    assert 0.8 * took * min(share * (os.cpu_count() or 1), 1) <= cpu
    assert cpu <= 1.1 * took * (os.cpu_count() or 1)


def test_the_stand_ins_settings_travel_through_the_environment() -> None:
    settings = FloorSettings("127.0.0.1:9092", 2, "a.intakes", "a.proposals")
    assert FloorSettings(**json.loads(settings.to_env())) == settings
