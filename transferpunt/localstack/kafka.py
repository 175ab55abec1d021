"""A real single-node Apache Kafka broker (KRaft) without Docker.

The official broker jars (``org.apache.kafka:kafka_2.13``, version from
``deploy/local/kafka/pom.xml``) are resolved from Maven Central by Maven once, into a cache
outside the repository (``$TRANSFERPUNT_CACHE`` or ``~/.cache/transferpunt/``,
``kafka-<version>/libs``), and run on the local Java 17+.

The broker runs detached (its own session, stdout/stderr to ``<state>/kafka.log``, pid in
``<state>/kafka.pid``), so it outlives ``transferpunt up --detach`` and any later process
can stop it through the state directory. Storage is formatted once
(``<state>/data/meta.properties``); later starts reuse it, topics and offsets included.

Broker defaults (``server.properties`` is regenerated on every start):
``num.partitions=3`` for auto-created topics, every replication factor and min ISR 1 (one
node), ``group.initial.rebalance.delay.ms=0`` so consumers join at once,
``broker.session.timeout.ms=4000`` (9000 by default) so a broker restarted after a crash
registers again sooner, and ``auto.create.topics.enable=true``; the services still create
their topics explicitly (:meth:`KafkaBroker.create_topics`). The JVM runs with a 512 MB heap
and only the C1 JIT (``DEFAULT_JVM_OPTIONS``; ``TRANSFERPUNT_KAFKA_JVM_OPTS`` overrides).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .procs import (
    LOCALHOST,
    LocalStackError,
    MissingToolError,
    ServiceStatus,
    kill_hard,
    monotonic_deadline,
    port_accepts,
    process_matches,
    read_pid,
    require_free_port,
    rotate_log,
    run_sync,
    tail_file,
    terminate,
)
from .procs import project_root as _project_root

DEFAULT_PORT = 9092
DEFAULT_CONTROLLER_PORT = 9093
DEFAULT_PARTITIONS = 3
MIN_JAVA = 17
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
_MARKER = ".complete"
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}

Progress = Callable[[str], None]


def _no_progress(_: str) -> None:
    return None


def pom_path() -> Path:
    return _project_root() / "deploy" / "local" / "kafka" / "pom.xml"


def log_config_path() -> Path:
    return _project_root() / "deploy" / "local" / "kafka" / "log4j2.properties"


def kafka_version(pom: Path | None = None) -> str:
    """The ``kafka.version`` property of the committed POM."""
    pom = pom or pom_path()
    try:
        root = ET.parse(pom).getroot()
    except (OSError, ET.ParseError) as exc:
        raise LocalStackError(f"cannot read the Kafka POM {pom}: {exc}") from exc
    node = root.find("m:properties/m:kafka.version", _POM_NS)
    if node is None or not (node.text or "").strip():
        raise LocalStackError(f"{pom} has no <kafka.version> property")
    return (node.text or "").strip()


def cache_root() -> Path:
    """``$TRANSFERPUNT_CACHE`` or ``~/.cache/transferpunt`` (never inside the repository)."""
    env = os.environ.get("TRANSFERPUNT_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "transferpunt"


def libs_dir(version: str | None = None) -> Path:
    return cache_root() / f"kafka-{version or kafka_version()}" / "libs"


# ---------------------------------------------------------------------------------------
# Tools


def find_java() -> str:
    """The ``java`` to use (``$JAVA_HOME/bin/java`` first, then ``PATH``); must be 17+."""
    candidates = []
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidates.append(str(Path(java_home) / "bin" / "java"))
    which = shutil.which("java")
    if which:
        candidates.append(which)
    java = next((c for c in candidates if os.access(c, os.X_OK)), None)
    if java is None:
        raise MissingToolError(
            f"Java {MIN_JAVA}+ is needed to run the local Kafka broker, and no `java` was "
            f"found. Install a JDK/JRE {MIN_JAVA} or newer (Debian/Ubuntu: "
            f"`apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) "
            f"or set JAVA_HOME."
        )
    major = java_major_version(java)
    if major < MIN_JAVA:
        raise MissingToolError(
            f"{java} is Java {major}; Kafka 4 brokers need Java {MIN_JAVA}+. Install a newer "
            f"JDK/JRE (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`) and put it "
            f"first on PATH or set JAVA_HOME."
        )
    return java


def java_major_version(java: str) -> int:
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MissingToolError(f"cannot run {java} -version: {exc}") from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise MissingToolError(f"cannot tell the Java version from: {out.stderr.strip()!r}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_402" is Java 8
        major = int(match.group(2))
    return major


def find_mvn() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MissingToolError(
            "Maven (`mvn`) is needed once, to fetch the Apache Kafka jars from Maven "
            "Central, and it was not found. Install Maven 3.6+ (Debian/Ubuntu: "
            "`apt-get install maven`; macOS: `brew install maven`)."
        )
    return mvn


# ---------------------------------------------------------------------------------------
# Jar cache


def _pom_digest(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _cache_complete(libs: Path, digest: str) -> bool:
    marker = libs.parent / _MARKER
    try:
        return marker.read_text().strip() == digest and any(libs.glob("kafka_2.13-*.jar"))
    except OSError:
        return False


def ensure_jars(progress: Progress = _no_progress) -> Path:
    """The directory holding the broker jars, resolving them with Maven on first use.

    A cache is complete when its marker file holds the digest of the current POM, so a
    changed POM (another Kafka or log4j version) is resolved again. Maven copies into a
    temporary directory that is renamed into place only after it succeeded; a lock file
    keeps two processes from resolving at the same time.
    """
    pom = pom_path()
    version = kafka_version(pom)
    libs = libs_dir(version)
    digest = _pom_digest(pom)
    if _cache_complete(libs, digest):
        return libs
    with _file_lock(libs.parent / ".lock"):
        if _cache_complete(libs, digest):
            return libs
        mvn = find_mvn()
        find_java()  # Maven needs it too; fail with the clear message first
        progress(f"resolving Apache Kafka {version} jars with Maven (first run only)…")
        started = time.monotonic()
        tmp = Path(tempfile.mkdtemp(prefix="libs.tmp-", dir=libs.parent))
        try:
            cmd = [
                mvn,
                "-q",
                "-B",
                "-f",
                str(pom),
                f"{DEPENDENCY_PLUGIN}:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={tmp}",
            ]
            result = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                output = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
                raise LocalStackError(
                    f"Maven could not resolve the Kafka jars (exit {result.returncode}). "
                    f"Is Maven Central reachable? Command: {' '.join(cmd)}\n{output}"
                )
            if not any(tmp.glob("kafka_2.13-*.jar")):
                raise LocalStackError(f"Maven finished but {tmp} holds no kafka_2.13 jar")
            tmp.chmod(0o755)  # mkdtemp made it private
            if libs.exists():
                old = libs.with_name(f"libs.old-{os.getpid()}")
                libs.replace(old)
                shutil.rmtree(old, ignore_errors=True)
            tmp.replace(libs)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        (libs.parent / _MARKER).write_text(digest + "\n")
        count = len(list(libs.glob("*.jar")))
        progress(
            f"Kafka {version} jars ready: {count} jars in {libs} "
            f"({time.monotonic() - started:.1f} s)"
        )
        return libs


# ---------------------------------------------------------------------------------------
# Broker


def _new_cluster_id() -> str:
    """A Kafka cluster id: a random UUID in URL-safe base64 (22 chars), as kafka-storage
    random-uuid makes it (which also avoids ids starting with '-')."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


JVM_OPTIONS_ENV = "TRANSFERPUNT_KAFKA_JVM_OPTS"
# Only the C1 JIT: on a 2-core machine shared with six other processes, the C2 compiler
# thread took 10 s of the broker's 26 s of CPU in a simulated year on a fresh broker, and
# raw produce→consume on a fresh broker ran at 30–37k msg/s with C1 against 19–26k with C2
# compiling (docs/benchmark.md, round six). A broker that runs for days may want C2 back:
# set TRANSFERPUNT_KAFKA_JVM_OPTS (space-separated; empty for the JVM's defaults).
DEFAULT_JVM_OPTIONS = ("-XX:TieredStopAtLevel=1",)


def default_jvm_options() -> tuple[str, ...]:
    configured = os.environ.get(JVM_OPTIONS_ENV)
    return DEFAULT_JVM_OPTIONS if configured is None else tuple(configured.split())


@dataclass
class KafkaBroker:
    """Handle on the local broker kept in ``state_dir``.

    The handle holds no live resources: any process can build one for the same state
    directory and ``status()``/``stop()`` the broker another process started.
    """

    state_dir: Path = field(default_factory=lambda: _project_root() / "var" / "kafka")
    port: int = DEFAULT_PORT
    controller_port: int = DEFAULT_CONTROLLER_PORT
    heap: str = "512m"
    jvm_options: tuple[str, ...] = field(default_factory=default_jvm_options)
    progress: Progress = _no_progress
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).expanduser().resolve()

    # -- paths ---------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def config_path(self) -> Path:
        return self.state_dir / "server.properties"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "kafka.log"

    @property
    def pid_path(self) -> Path:
        return self.state_dir / "kafka.pid"

    @property
    def bootstrap_servers(self) -> str:
        return f"{LOCALHOST}:{self.port}"

    # -- process -------------------------------------------------------------------------

    def pid(self) -> int | None:
        """The pid of our running broker, or None (a stale pid file counts as stopped)."""
        pid = read_pid(self.pid_path)
        if pid is None:
            return None
        if process_matches(pid, ["kafka.Kafka", str(self.config_path)]):
            return pid
        return None

    def is_running(self) -> bool:
        return self.pid() is not None

    def _adopt_running_ports(self) -> None:
        """Take the ports of the running broker from its server.properties, so a handle
        built with other (default) ports reports and reaches the real ones."""
        with contextlib.suppress(OSError):
            text = self.config_path.read_text()
            match = re.search(
                r"^listeners=PLAINTEXT://[^:]+:(\d+),CONTROLLER://[^:]+:(\d+)", text, re.M
            )
            if match:
                self.port, self.controller_port = int(match.group(1)), int(match.group(2))

    def server_properties(self) -> str:
        port, cport = self.port, self.controller_port
        lines = [
            "# Generated by transferpunt/localstack/kafka.py on every start; edits are lost.",
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@{LOCALHOST}:{cport}",
            f"listeners=PLAINTEXT://{LOCALHOST}:{port},CONTROLLER://{LOCALHOST}:{cport}",
            f"advertised.listeners=PLAINTEXT://{LOCALHOST}:{port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={self.data_dir}",
            "# One node: every replication factor and min ISR is 1.",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "# Consumers join a group at once instead of waiting 3 s for more members.",
            "group.initial.rebalance.delay.ms=0",
            f"# Auto-created topics get {DEFAULT_PARTITIONS} partitions (keyed by case_id).",
            f"num.partitions={DEFAULT_PARTITIONS}",
            "default.replication.factor=1",
            "# After a crash (kill9) the restarted broker cannot register until the old",
            "# registration's session expires: 4 s instead of 9 s (heartbeat every second).",
            "broker.session.timeout.ms=4000",
            "broker.heartbeat.interval.ms=1000",
            "auto.create.topics.enable=true",
            "",
        ]
        return "\n".join(lines)

    def _format_storage(self, java: str, libs: Path) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = _new_cluster_id()
        cmd = [
            java,
            "-cp",
            f"{libs}/*",
            f"-Dlog4j2.configurationFile={log_config_path()}",
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(self.config_path),
            "--ignore-formatted",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
        if result.returncode != 0:
            raise LocalStackError(
                f"formatting Kafka storage in {self.data_dir} failed "
                f"(exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        self.progress(f"formatted Kafka storage in {self.data_dir} (cluster id {cluster_id})")

    def start(self, wait: bool = True, timeout: float = 90.0) -> None:
        """Start the broker detached (a no-op when it already runs); wait until it answers
        a metadata request when ``wait``."""
        if self.is_running():
            self._adopt_running_ports()
            if wait:
                self.wait_ready(timeout)
            return
        java = find_java()
        libs = ensure_jars(self.progress)
        require_free_port(self.port, "Kafka broker")
        require_free_port(self.controller_port, "Kafka controller")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.server_properties())
        self._format_storage(java, libs)
        rotate_log(self.log_path)
        cmd = self.command(java, libs)
        with self.log_path.open("ab") as log:
            log.write(f"\n==== transferpunt: starting Kafka at {time.ctime()} ====\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.state_dir,
                start_new_session=True,
            )
        self.pid_path.write_text(f"{self._proc.pid}\n")
        self.progress(f"Kafka broker starting (pid {self._proc.pid}, port {self.port})")
        if wait:
            self.wait_ready(timeout)

    def command(self, java: str, libs: Path) -> list[str]:
        """The broker's command line (`jvm_options` before the class path)."""
        return [
            java,
            f"-Xmx{self.heap}",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            *self.jvm_options,
            f"-Dlog4j2.configurationFile={log_config_path()}",
            "-cp",
            f"{libs}/*",
            "kafka.Kafka",
            str(self.config_path),
        ]

    def _died(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is not None
        return not self.is_running()

    def _failure(self, why: str) -> LocalStackError:
        return LocalStackError(
            f"{why}\n--- last lines of {self.log_path} ---\n{tail_file(self.log_path, 40)}"
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Block until the broker answers a metadata request (describe cluster with this
        broker registered); raise with the log tail if it dies or the timeout passes."""
        run_sync(lambda: self.wait_ready_async(seconds=timeout))

    async def wait_ready_async(self, seconds: float = 90.0) -> None:
        """:meth:`wait_ready` for async callers."""
        left = monotonic_deadline(seconds)
        started = time.monotonic()
        last_error = "port not open yet"
        while left() > 0:
            if self._died():
                code = self._proc.returncode if self._proc is not None else None
                self.pid_path.unlink(missing_ok=True)
                raise self._failure(f"the Kafka broker exited during start-up (exit {code})")
            # Cheap port check first: the admin client logs every refused connection.
            if port_accepts(self.port):
                try:
                    if await self._metadata_ok(min(10.0, max(left(), 1.0))):
                        self.progress(
                            f"Kafka broker ready on {self.bootstrap_servers} "
                            f"({time.monotonic() - started:.1f} s)"
                        )
                        return
                    last_error = "broker not registered yet"
                except Exception as exc:
                    last_error = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(0.3)
        raise self._failure(
            f"the Kafka broker on {self.bootstrap_servers} was not ready after {seconds:.0f} s "
            f"(last error: {last_error})"
        )

    async def _metadata_ok(self, request_s: float) -> bool:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers,
            request_timeout_ms=int(request_s * 1000),
        )
        try:
            await asyncio.wait_for(admin.start(), request_s)
            info = await asyncio.wait_for(admin.describe_cluster(), request_s)
        finally:
            await admin.close()
        brokers = info.get("brokers") or []
        return bool(brokers) and info.get("controller_id", -1) != -1

    def stop(self, timeout: float = 20.0) -> bool:
        """SIGTERM (controlled shutdown), wait up to ``timeout`` s, then SIGKILL.
        Returns whether a broker was running."""
        pid = self.pid()
        if pid is None:
            self.pid_path.unlink(missing_ok=True)
            return False
        terminate(pid, timeout)
        self._reap()
        self.pid_path.unlink(missing_ok=True)
        return True

    def kill9(self) -> None:
        """Crash the broker (SIGKILL, no controlled shutdown) for fault tests."""
        pid = self.pid()
        if pid is not None:
            kill_hard(pid)
        self._reap()

    def _reap(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
            self._proc = None

    def status(self) -> ServiceStatus:
        pid = self.pid()
        if pid is None:
            return ServiceStatus("kafka", "stopped", None, self.port, str(self.state_dir))
        self._adopt_running_ports()
        state = "running" if port_accepts(self.port) else "starting"
        return ServiceStatus("kafka", state, pid, self.port, self.bootstrap_servers)

    def logs(self, tail: int = 50) -> str:
        """The last ``tail`` lines of the server log."""
        return tail_file(self.log_path, tail)

    # -- topics --------------------------------------------------------------------------

    def create_topics(
        self, names: Iterable[str], partitions: int = DEFAULT_PARTITIONS
    ) -> list[str]:
        """Create the topics that do not exist yet; returns the ones created."""
        wanted = list(names)
        return run_sync(lambda: self.create_topics_async(wanted, partitions))

    async def create_topics_async(
        self, names: Iterable[str], partitions: int = DEFAULT_PARTITIONS
    ) -> list[str]:
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic
        from aiokafka.errors import for_code

        topic_already_exists = 36
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [n for n in dict.fromkeys(names) if n not in existing]
            if not missing:
                return []
            response = await admin.create_topics(
                [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in missing]
            )
            created = []
            for topic, code, *rest in response.topic_errors:
                if code == 0:
                    created.append(topic)
                elif code != topic_already_exists:
                    message = rest[0] if rest else ""
                    raise LocalStackError(
                        f"creating topic {topic!r} failed: {for_code(code).__name__} {message}"
                    )
            return created
        finally:
            await admin.close()
