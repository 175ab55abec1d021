"""The benchmark's own arithmetic: the sustained rate of a burst, the machine's CPU over the
same window, the floor's rows, and the refusal to report a floor measured on refusals or lost
messages (transferpunt.bench, transferpunt.bench_floor, transferpunt.machine_cpu). The
measuring itself runs on real Kafka in tests/integration/test_bench_floor.py."""

from __future__ import annotations

import contextlib
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from transferpunt.bench import FLOOR_NAMES, Pairing, _burst_figures, floor_rows, sustained_rate
from transferpunt.bench_floor import FloorError, FloorSettings, StandIn, _tried, checked
from transferpunt.machine_cpu import CpuSampler, Used, machine_times, stat_times


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


def test_the_cpu_line_counts_idle_and_iowait_as_idle_and_leaves_out_steal_and_guest() -> None:
    #          user nice system idle iowait irq softirq steal guest guest_nice
    line = "cpu  100  20   30     400  50     6   4       700   80    9"
    assert stat_times(line) == (450, 610)
    idle, total = machine_times()  # this machine's own file parses
    assert 0 < idle < total


def _sampler(*samples: tuple[float, int, int]) -> CpuSampler:
    cpu = CpuSampler()
    for at, idle, total in samples:
        cpu.sample(at, (idle, total))
    return cpu


def test_the_window_runs_from_the_last_sample_before_to_the_first_after() -> None:
    tick = os.sysconf("SC_CLK_TCK")
    cpu = _sampler((0.0, 0, 0), (1.0, 100, 200), (2.0, 150, 400), (3.0, 300, 600))
    used = cpu.between(1.2, 1.9)  # samples 1.0 and 2.0: 200 ticks, 50 idle
    assert used == Used(0.75, 150 / tick, 1.0)
    assert cpu.between(0.5, 3.0) == Used(1 - 300 / 600, 300 / tick, 3.0)
    for start, end in ((0.5, 3.5), (-1.0, 2.0)):  # a window the samples do not cover
        with pytest.raises(ValueError, match="do not cover the window"):
            cpu.between(start, end)
    with pytest.raises(ValueError, match="do not cover the window"):
        CpuSampler().between(0.0, 1.0)


def test_a_burst_reports_its_cpu_over_the_window_of_its_rate() -> None:
    tick = os.sysconf("SC_CLK_TCK")
    # 100 arrivals, one every 10 ms from t=1.0; the middle: 1.1 s to 1.9 s, 80 arrivals.
    arrivals = [1.0 + i / 100 for i in range(100)]
    # Busy 50 % before 1.1 s and after 1.9 s, 100 % between: two cores, `tick` ticks a second.
    cpu = _sampler((0.0, 0, 0), (1.1, tick, 2 * tick), (1.9, tick, 2 * tick + 2 * tick * 0.8),
                   (3.0, 2 * tick, 6 * tick))
    figures = _burst_figures(100, 32, 100, arrivals, _pairing(), 1.0, cpu)
    assert figures["sustained_per_s"] == 100.0
    assert figures["machine_busy"] == 1.0
    # 1.6 CPU seconds over 0.8 s at 100 intakes a second: 20 ms an intake. Rate × CPU per
    # intake (2 CPU seconds a second) is the busy share times the two cores.
    assert figures["cpu_ms_per_intake"] == pytest.approx(20.0)


def test_the_cpu_per_intake_counts_the_intakes_of_the_sampled_window() -> None:
    tick = os.sysconf("SC_CLK_TCK")
    # The middle runs 1.1 s to 1.9 s at 100 a second; the samples around it are 1.0 s and
    # 2.0 s apart (1 s, 2 CPU seconds): 100 intakes' worth of time, so 20 ms an intake.
    arrivals = [1.0 + i / 100 for i in range(100)]
    cpu = _sampler((0.0, 0, 0), (1.0, 0, 0), (2.0, 0, 2 * tick), (3.0, 0, 4 * tick))
    figures = _burst_figures(100, 32, 100, arrivals, _pairing(), 1.0, cpu)
    assert figures["machine_busy"] == 1.0
    assert figures["cpu_ms_per_intake"] == pytest.approx(20.0)  # not 2 s / 80 = 25 ms


def test_a_burst_too_short_for_a_middle_reports_no_cpu() -> None:
    figures = _burst_figures(5, 32, 5, [1.0, 1.1, 1.2], _pairing(), 1.0, _sampler((0.0, 0, 0)))
    assert figures["sustained_per_s"] is None
    assert "machine_busy" not in figures and "cpu_ms_per_intake" not in figures


def _pairing() -> Pairing:
    return Pairing(None, 0, ["m"], "", date(2030, 1, 1), 0)  # type: ignore[arg-type]


def test_the_stand_ins_settings_travel_through_the_environment() -> None:
    settings = FloorSettings("127.0.0.1:9092", 2, "a.intakes", "a.proposals")
    assert FloorSettings(**json.loads(settings.to_env())) == settings


async def test_a_removal_that_fails_is_said_and_the_next_one_still_runs() -> None:
    said: list[str] = []
    removed: list[str] = []

    async def broken(what: str) -> None:
        raise RuntimeError(f"{what} is stuck")

    async def fine(what: str) -> None:
        removed.append(what)

    async with contextlib.AsyncExitStack() as undo:
        undo.push_async_callback(_tried, said.append, "topic a", fine, "a")
        undo.push_async_callback(_tried, said.append, "the front", broken, "front")
    assert said == ["  could not remove the front: RuntimeError: front is stuck"]
    assert removed == ["a"]  # run after the failed one (an exit stack unwinds in reverse)
