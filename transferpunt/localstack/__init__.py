"""Docker-free local infrastructure: a real Apache Kafka broker and a real PostgreSQL.

Used by ``transferpunt up/down/status`` and by the pytest fixtures. Both servers run
detached with their state (data, log, pid) under a state directory, by default
``<project>/var/kafka`` and ``<project>/var/postgres``, so any process can find and stop
them later.

    broker = KafkaBroker(port=9092, controller_port=9093)
    broker.start()                     # resolves the jars with Maven on first use
    pg = LocalPostgres(port=5432)
    pg.start()
    pg.ensure_databases()              # intake, matching, contingent, aftercare
    pg.url("intake")                   # postgresql+asyncpg://postgres@127.0.0.1:5432/intake
"""

from .kafka import KafkaBroker, cache_root, ensure_jars, find_java, find_mvn, kafka_version
from .postgres import SERVICE_DATABASES, LocalPostgres
from .procs import (
    LocalStackError,
    MissingToolError,
    PortInUseError,
    ServiceStatus,
    free_port,
    project_root,
)

__all__ = [
    "SERVICE_DATABASES",
    "KafkaBroker",
    "LocalPostgres",
    "LocalStackError",
    "MissingToolError",
    "PortInUseError",
    "ServiceStatus",
    "cache_root",
    "ensure_jars",
    "find_java",
    "find_mvn",
    "free_port",
    "kafka_version",
    "project_root",
]
