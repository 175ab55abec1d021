"""The whole system on one machine without Docker: Kafka, PostgreSQL and the four services.

One object for the CLI and the test fixtures alike, so what the tests start is what a user
starts. External infrastructure (`KAFKA_BOOTSTRAP_SERVERS`, `DATABASE_URL`) is used when
given; otherwise the project's own broker and database are started under `var/`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from transferpunt.localstack import KafkaBroker, LocalPostgres, project_root
from transferpunt.supervisor import ServiceProcess, service_processes, wait_all_ready

Progress = Callable[[str], None]
DATABASE = "transferpunt"
DEFAULT_POSTGRES_PORT = 55432  # off the standard port, so a system PostgreSQL never clashes


@dataclass
class LocalStack:
    var: Path = field(default_factory=lambda: project_root() / "var")
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    postgres_port: int = DEFAULT_POSTGRES_PORT
    service_ports: Mapping[str, int] | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    progress: Progress = print
    # Existing infrastructure to use instead of starting our own (default: the environment).
    external_kafka: str | None = field(
        default_factory=lambda: os.environ.get("KAFKA_BOOTSTRAP_SERVERS"))
    external_db: str | None = field(default_factory=lambda: os.environ.get("DATABASE_URL"))

    def __post_init__(self) -> None:
        self.kafka = KafkaBroker(state_dir=self.var / "kafka", port=self.kafka_port,
                                 controller_port=self.kafka_controller_port,
                                 progress=self.progress)
        self.postgres = LocalPostgres(state_dir=self.var / "postgres", port=self.postgres_port)

    @property
    def bootstrap_servers(self) -> str:
        return self.external_kafka or self.kafka.bootstrap_servers

    @property
    def database_url(self) -> str:
        return self.external_db or self.postgres.url(DATABASE)

    def env(self) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "DATABASE_URL": self.database_url,
            **self.extra_env,
        }

    def services(self) -> list[ServiceProcess]:
        return service_processes(self.var, self.env(), self.service_ports)

    def start_infrastructure(self) -> None:
        if self.external_kafka:
            self.progress(f"Kafka: using {self.external_kafka}")
        else:
            self.progress("Kafka: starting a single-node KRaft broker "
                          "(official Apache Kafka jars from Maven Central)")
            self.kafka.start(wait=True)
            self.progress(f"  kafka      ready at {self.kafka.bootstrap_servers}")
        if self.external_db:
            self.progress("PostgreSQL: using DATABASE_URL")
        else:
            self.progress("PostgreSQL: starting the embedded server")
            self.postgres.start()
            self.postgres.ensure_databases([DATABASE])
            self.progress(f"  postgres   ready at 127.0.0.1:{self.postgres.port}")

    def start_services(
        self, timeout: float = 120.0, only: list[str] | None = None
    ) -> list[ServiceProcess]:
        procs = [p for p in self.services() if only is None or p.name in only]
        self.progress(f"Services: starting {', '.join(p.name for p in procs)}")
        try:
            for proc in procs:
                proc.start()
            wait_all_ready(procs, timeout=timeout, progress=self.progress)
        except BaseException:
            # One that fails to start must not leave the others running: nobody holds their
            # handles after this (CI once found three services of a failed start still up,
            # and busy, half an hour later).
            for proc in procs:
                proc.stop()
            raise
        return procs

    def up(self) -> list[ServiceProcess]:
        self.start_infrastructure()
        return self.start_services()

    def down(self) -> None:
        for proc in self.services():
            if proc.pid() is not None:
                self.progress(f"stopping {proc.name}")
            proc.stop()
        if not self.external_kafka and self.kafka.is_running():
            self.progress("stopping Kafka")
            self.kafka.stop()
        if not self.external_db and self.postgres.is_running():
            self.progress("stopping PostgreSQL")
            self.postgres.stop()

    def status(self) -> list[tuple[str, str]]:
        rows = [("kafka", str(self.kafka.status()) if not self.external_kafka
                 else f"external {self.external_kafka}"),
                ("postgres", str(self.postgres.status()) if not self.external_db
                 else "external DATABASE_URL")]
        for proc in self.services():
            pid = proc.pid()
            state = ("ready" if proc.ready() else "starting") if pid else "stopped"
            rows.append((proc.name, f"{state} {proc.url}" + (f" pid {pid}" if pid else "")))
        return rows
