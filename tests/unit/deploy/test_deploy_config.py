"""docker-compose and Prometheus cannot run on the Docker-less machines, so these tests keep
their configuration in step with the code instead."""

from __future__ import annotations

from pathlib import Path

import yaml

from shared.settings import SERVICE_PORTS
from shared.topics import SERVICES

ROOT = Path(__file__).resolve().parents[3]


def _compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def test_compose_runs_every_service_with_kafka_and_its_database() -> None:
    services = _compose()["services"]
    assert {"kafka", "postgres", "prometheus", "grafana"} <= set(services)
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["SERVICE"] == name
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert services[name]["ports"] == [f"{SERVICE_PORTS[name]}:8000"]


def test_compose_kafka_is_a_single_kraft_node_with_replication_one() -> None:
    env = _compose()["services"]["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1
    assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == 1


def test_prometheus_scrapes_the_four_services_in_both_setups() -> None:
    for variant, host_of in (("docker", lambda s: f"{s}:8000"),
                             ("local", lambda s: f"127.0.0.1:{SERVICE_PORTS[s]}")):
        config = yaml.safe_load((ROOT / f"deploy/prometheus/prometheus.{variant}.yml").read_text())
        targets = {t for job in config["scrape_configs"] for group in job["static_configs"]
                   for t in group["targets"]}
        assert targets == {host_of(s) for s in SERVICES}, variant


def test_the_grafana_dashboard_is_provisioned_from_the_folder_compose_mounts() -> None:
    mounts = _compose()["services"]["grafana"]["volumes"]
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in mounts
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/transferpunt.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
