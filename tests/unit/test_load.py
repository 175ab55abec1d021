"""The load test's pure parts (transferpunt/load.py): the derived rate, the rate plan, the
percentiles, the report and the refusal of anything but loopback. The load itself runs
against a stack (`transferpunt load`), not here."""

from __future__ import annotations

import math

import pytest

from transferpunt.cli import main as cli_main
from transferpunt.load import (
    DAY_SECONDS,
    PEAK_INTAKES_PER_DAY,
    LoadResult,
    NotLoopback,
    RatePlan,
    derive_rate,
    format_report,
    peak_intakes_per_day,
    percentile,
    require_loopback,
    summary_ms,
)

LOCAL = {"intake": "http://127.0.0.1:8001", "matching": "http://localhost:8002",
         "contingent": "http://[::1]:8003", "aftercare": "http://127.1.2.3:8004"}


def test_the_documented_peak_is_the_simulators_busiest_day() -> None:
    count, day = peak_intakes_per_day()
    assert count == PEAK_INTAKES_PER_DAY
    assert day.year == 2027 and day.weekday() < 5


def test_the_default_rate_is_ten_times_the_accelerated_peak() -> None:
    assert derive_rate() == pytest.approx(10 * 7 / 1.5)
    assert derive_rate(peak_per_day=4, day_seconds=2, times=3) == 6
    assert DAY_SECONDS == 1.5
    for bad in ({"peak_per_day": 0}, {"day_seconds": 0}, {"times": -1}):
        with pytest.raises(ValueError):
            derive_rate(**bad)  # type: ignore[arg-type]


def test_the_plan_is_bounded_by_time_and_by_count() -> None:
    plan = RatePlan(rate=46.7, duration_s=180)
    assert plan.count == math.floor(46.7 * 180) == 8406
    assert RatePlan(rate=46.7, duration_s=180, max_intakes=500).count == 500
    assert RatePlan(rate=0.001, duration_s=1).count == 1
    assert plan.send_at(0) == 0 and plan.send_at(467) == pytest.approx(10.0)


def test_every_nth_intake_is_paired_with_its_own_home() -> None:
    plan = RatePlan(rate=10, duration_s=10, home_every=20)  # 100 intakes
    assert [i for i in range(plan.count) if plan.paired(i) is not None] == [0, 20, 40, 60, 80]
    assert [plan.paired(i) for i in (0, 20, 80)] == [0, 1, 4]
    assert plan.paired(21) is None and plan.homes == 5
    assert RatePlan(rate=10, duration_s=10, home_every=1).homes == 100


@pytest.mark.parametrize("bad", [{"rate": 0}, {"rate": -1}, {"rate": math.inf},
                                 {"rate": math.nan}, {"duration_s": 0}, {"max_intakes": 0},
                                 {"home_every": 0}])
def test_a_senseless_plan_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RatePlan(**{"rate": 1.0, **bad})  # type: ignore[arg-type]


def test_percentiles_are_exact_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.9) == 90
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2  # order does not matter
    assert percentile([], 0.5) is None
    with pytest.raises(ValueError):
        percentile(values, 0)
    assert summary_ms([0.010, 0.020, 0.030, 1.5]) == {
        "n": 4, "p50": 20.0, "p90": 1500.0, "p99": 1500.0, "max": 1500.0}
    assert summary_ms([]) == {"n": 0, "p50": None, "p90": None, "p99": None, "max": None}


def _result(**changes: object) -> LoadResult:
    r = LoadResult(RatePlan(rate=46.7, duration_s=180))
    r.sent, r.accepted, r.homes_offered, r.send_seconds, r.load_seconds = \
        8406, 8406, 425, 180.0, 194.4
    r.http_s = [0.012, 0.015, 0.040]
    r.end_to_end_s = [0.5, 0.7, 2.5]
    r.paired, r.proposed, r.drained_s = 3, 3, 12.0
    r.lag_samples = [(5.0, {"matching-consumer": 40, "intake-consumer": 0}),
                     (179.0, {"matching-consumer": 120, "intake-consumer": 3}),
                     (200.0, {"matching-consumer": 10, "intake-consumer": 0})]
    r.lag_after_drain = {"matching-consumer": 0, "intake-consumer": 0}
    for k, v in changes.items():
        setattr(r, k, v)
    return r


def test_the_report_shows_rate_errors_latencies_and_lag() -> None:
    r = _result()
    assert r.ok and r.max_lag() == {"matching-consumer": 120, "intake-consumer": 3}
    assert r.lag_at_end_of_load() == {"matching-consumer": 120, "intake-consumer": 3}
    text = format_report(r)
    assert "46.7 intakes/s for 180 s" in text
    assert "8406 intakes in 180.0 s = 46.7/s" in text and "answered after 194.4 s" in text
    assert "errors        0" in text
    assert "POST /intakes p50 15 ms, p90 40 ms, p99 40 ms, max 40 ms (n=3)" in text
    assert "MatchProposed on Kafka  p50 700 ms" in text and "3 of 3 paired" in text
    assert "matching-consumer       120 /    120 /      0" in text
    assert text.rstrip().endswith("OK: no errors")


def test_any_error_fails_the_run_and_is_named() -> None:
    r = _result()
    r.errors["POST /intakes 500"] += 2
    assert not r.ok and r.error_count == 2
    text = format_report(r)
    assert "errors        2  POST /intakes 500 x2" in text
    assert text.rstrip().endswith("FAILED")
    assert not _result(setup_error="HTTPStatusError: 403").ok


def test_only_loopback_is_accepted() -> None:
    require_loopback(LOCAL, "127.0.0.1:9092,localhost:9093")
    for urls, bootstrap, named in (
        ({**LOCAL, "intake": "http://10.0.0.5:8001"}, "127.0.0.1:9092", "intake"),
        ({**LOCAL, "matching": "https://transferpunt.example.org"}, "127.0.0.1:9092",
         "matching"),
        ({**LOCAL, "aftercare": "http://127.0.0.1.nip.io:8004"}, "127.0.0.1:9092",
         "aftercare"),
        (LOCAL, "127.0.0.1:9092,kafka.internal:9092", "kafka.internal"),
        (LOCAL, "192.168.1.4:9092", "kafka 192.168.1.4"),
    ):
        with pytest.raises(NotLoopback, match=named):
            require_loopback(urls, bootstrap)


def test_the_command_refuses_a_remote_service_before_sending_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli_main(["load", "--url", "intake=http://203.0.113.7:8001",
                     "--bootstrap", "127.0.0.1:1", "--duration", "1"])
    assert code == 2
    assert "loopback only" in capsys.readouterr().out


def test_a_second_stack_moves_every_port_and_keeps_its_own_state() -> None:
    """`transferpunt --port-offset N …` (how the load test gets a stack of its own beside the
    default one): every port moved by N, state apart from the default stack's pid files."""
    from transferpunt.cli import _stack, parser
    from transferpunt.localstack import project_root

    default = _stack(parser().parse_args(["status"]))
    moved = _stack(parser().parse_args(["--port-offset", "300", "status"]))
    assert default.var == project_root() / "var"
    assert moved.var == project_root() / "var" / "stack-300"
    assert (moved.kafka_port, moved.kafka_controller_port, moved.postgres_port) == \
        (default.kafka_port + 300, default.kafka_controller_port + 300,
         default.postgres_port + 300)
    assert {p.name: p.port for p in moved.services()} == {
        "intake": 8301, "matching": 8302, "contingent": 8303, "aftercare": 8304}
    assert '"matching": "http://127.0.0.1:8302"' in moved.env()["TRANSFERPUNT_UI_SERVICE_URLS"]
