"""The local broker's JVM command line: only the C1 JIT unless TRANSFERPUNT_KAFKA_JVM_OPTS
says otherwise (an empty value gives the JVM's own defaults). Pure: nothing is started."""

from __future__ import annotations

from pathlib import Path

import pytest

from transferpunt.localstack.kafka import JVM_OPTIONS_ENV, KafkaBroker


def jvm_part(broker: KafkaBroker) -> list[str]:
    cmd = broker.command("java", Path("/libs"))
    return cmd[1:cmd.index("-cp")]


def test_the_broker_runs_with_only_the_c1_jit_by_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(JVM_OPTIONS_ENV, raising=False)
    broker = KafkaBroker(tmp_path)
    assert "-XX:TieredStopAtLevel=1" in jvm_part(broker)
    assert broker.command("java", Path("/libs"))[-2:] == ["kafka.Kafka",
                                                          str(broker.config_path)]


@pytest.mark.parametrize(("configured", "expected"), [
    ("-XX:+UseSerialGC -XX:CICompilerCount=2", ["-XX:+UseSerialGC", "-XX:CICompilerCount=2"]),
    ("", []),
])
def test_the_environment_replaces_the_jvm_options(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: str,
        expected: list[str]) -> None:
    monkeypatch.setenv(JVM_OPTIONS_ENV, configured)
    part = jvm_part(KafkaBroker(tmp_path))
    assert "-XX:TieredStopAtLevel=1" not in part
    assert [o for o in part if o not in ("-Xmx512m", "-XX:+ExitOnOutOfMemoryError",
                                         "-Djava.awt.headless=true")
            and not o.startswith("-Dlog4j2")] == expected
