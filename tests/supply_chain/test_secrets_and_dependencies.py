"""Supply chain and secrets: dependencies pinned with hashes, the lock file audited for known
vulnerabilities, no secret in the repository, and no service that starts in production with
a development secret.

- The lock file: every requirement pinned (`==`) with at least one `--hash`, and every
  dependency pyproject.toml names is in it (`make setup` installs with --require-hashes).
- The audit: `make audit` (pip-audit against PyPI's vulnerability data). It runs here too,
  counting what it could audit, and is skipped — saying so — where the advisories cannot be
  reached (as on the Docker-less development machines, where every dependency comes back
  "not found on PyPI" and pip-audit still says "No known vulnerabilities found").
- Secrets: every file git tracks or would add (not ignored) is scanned for private keys,
  cloud and forge tokens, signed JWTs, and secret-looking settings with a literal value.
  The development defaults are allowed by name, and only because the settings refuse them
  in production (tests/unit/shared/test_shared_auth_and_settings.py shows that for the
  settings; the last test here shows it for every service's composition root).

Shown once to fail (docs/reliability.md): a file that sets the JWT secret to a literal value,
or holds a PEM private key block, makes `test_no_secret_is_in_the_repository` name the file and
line; removing the production check from `ServiceSettings` makes the last test fail for all
four services.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from shared.settings import DEV_JWT_SECRET, DEV_PSEUDONYM_KEY

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]

PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE "
                              r"KEY(?: BLOCK)?-----"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "signed JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
}
# A setting whose name says secret, with a literal value after `=` or `:`.
ASSIGNMENT = re.compile(
    r"""(?ix)\b[\w.-]*(?:secret|password|passwd|api[_-]?key|private[_-]?key|pseudonym[_-]?key
    |access[_-]?token|auth[_-]?token)\b["']?\s*[:=]\s*(?P<q>["']?)(?P<value>[^\s"',;)}\]]+)""")
# Values that are not secrets: the documented development defaults (refused in production),
# the docker-compose database password (a local container, never exposed), placeholders,
# references to variables, types and code.
ALLOWED_VALUES = {DEV_JWT_SECRET, DEV_PSEUDONYM_KEY, "transferpunt", "postgres", "none",
                  "null", "true", "false", "changeme", "change-me", "example", "xxx"}
NOT_A_LITERAL = re.compile(r"^(?:\$|<|\{|%|os\.|settings\.|self\.|s\.|str|secretstr|bytes|"
                           r"field\(|none|optional|sa\.|\*|the\b|a\b|an\b)", re.I)
SKIP_FILES = {"requirements.lock"}  # hashes, not secrets


def repository_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to tell tracked from untracked files")
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / p for p in out.decode().split("\0") if p and (ROOT / p).is_file()]


def findings_in(path: Path, root: Path = ROOT) -> list[str]:
    try:
        text = path.read_text(errors="strict")
    except (UnicodeDecodeError, OSError):
        return []  # binary: images, fonts
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{path.relative_to(root)}:{number}"
        found += [f"{where}: {name}" for name, pattern in PATTERNS.items()
                  if pattern.search(line)]
        for match in ASSIGNMENT.finditer(line):
            value = match.group("value")
            if len(value) < 8 or value.lower() in ALLOWED_VALUES or NOT_A_LITERAL.match(value):
                continue
            if not match.group("q") and re.fullmatch(r"[A-Za-z_][\w.]*(\(.*)?", value) \
                    and not re.search(r"\d", value):
                continue  # an unquoted identifier: code, not a value
            found.append(f"{where}: a secret-looking setting with a literal value")
    return found


def test_no_secret_is_in_the_repository() -> None:
    files = [p for p in repository_files() if p.name not in SKIP_FILES]
    assert len(files) > 50
    findings = [f for path in files for f in findings_in(path)]
    assert not findings, "possible secrets:\n" + "\n".join(findings)


def test_the_scanner_finds_what_it_looks_for(tmp_path: Path) -> None:
    key_header = "-----BEGIN " + "PRIVATE KEY-----"  # split: this file must not trip the scan
    samples = {
        "key.pem": f"{key_header}\nMIIEv...\n",
        "settings.env": "TRANSFERPUNT_JWT_SECRET=s3cr3t-" + "9f8e7d6c5b4a",
        "token.txt": "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVlLWhlcmU",
        "compose.yml": 'DB_PASSWORD: "' + "hunter2hunter2" + '"',
    }
    for name, content in samples.items():
        (tmp_path / name).write_text(content)
        assert findings_in(tmp_path / name, tmp_path), f"the scanner missed {name}"
    allowed = tmp_path / "dev.env"
    allowed.write_text(f"TRANSFERPUNT_JWT_SECRET={DEV_JWT_SECRET}\n")
    assert not findings_in(allowed, tmp_path), "the documented development default is allowed"


def _lock() -> dict[str, str]:
    """Package name -> the whole requirement entry of requirements.lock."""
    entries: dict[str, str] = {}
    current = ""
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            current = re.split(r"[=<>~!\[; ]", line.strip(), maxsplit=1)[0].lower()
            current = current.replace("_", "-")
            entries[current] = line
        else:
            entries[current] += "\n" + line
    return entries


def test_every_dependency_is_pinned_with_hashes() -> None:
    lock = _lock()
    assert lock, "requirements.lock is empty"
    loose = [name for name, entry in lock.items() if "==" not in entry.splitlines()[0]]
    unhashed = [name for name, entry in lock.items() if "--hash=sha256:" not in entry]
    assert not loose, f"not pinned to one version: {loose}"
    assert not unhashed, f"without a hash: {unhashed}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    names = {re.split(r"[=<>~!\[; ]", d, maxsplit=1)[0].lower().replace("_", "-")
             for d in wanted}
    missing = sorted(names - set(lock))
    assert not missing, f"in pyproject.toml but not locked: {missing}"


def test_the_lock_file_has_no_known_vulnerabilities() -> None:
    """What `make audit` runs (pip-audit on requirements.lock, PyPI's advisory data) — but
    counting what was audited: pip-audit reports "No known vulnerabilities found" and exits 0
    when it could audit nothing at all (every dependency skipped as "not found on PyPI"),
    which is what happens where PyPI's per-release JSON, which carries the advisories, cannot
    be reached. That is not a pass: it is skipped here, saying so."""
    audit = ROOT / ".venv" / "bin" / "pip-audit"
    if not audit.exists():
        pytest.skip("pip-audit is not installed (make setup installs it)")
    result = subprocess.run(
        [str(audit), "-r", "requirements.lock", "--require-hashes", "--disable-pip",
         "--format", "json", "--progress-spinner", "off"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        pytest.skip(f"pip-audit could not run here: {result.stderr.strip()[-300:]}")
    dependencies = report["dependencies"]
    skipped = [d["name"] for d in dependencies if "skip_reason" in d]
    if len(skipped) == len(dependencies):
        pytest.skip(f"pip-audit audited 0 of {len(dependencies)} dependencies: PyPI's "
                    "vulnerability data cannot be reached from here — run `make audit` "
                    "where it can (it fails here: --strict, see the next test)")
    assert not skipped, f"not audited: {skipped}"
    vulnerable = [f"{d['name']} {d['version']}: {', '.join(v['id'] for v in d['vulns'])}"
                  for d in dependencies if d.get("vulns")]
    assert not vulnerable, "known vulnerabilities:\n" + "\n".join(vulnerable)


def _make_audit_command() -> list[str]:
    """The pip-audit command of the Makefile's `audit` target, as make would run it."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("audit:"))
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        if "pip-audit" in line:
            return line.strip().replace("$(VENV)", ".venv").split()
    raise AssertionError("the Makefile's audit target does not run pip-audit")


def test_make_audit_fails_when_it_audits_nothing() -> None:
    """`make audit` must not say "No known vulnerabilities found" and exit 0 when it could
    audit nothing (PyPI's advisory data out of reach): with `--strict` a dependency that could
    not be audited fails it. Checked by running the target's own command: wherever it skips a
    dependency, it must exit non-zero; where it audits everything, its exit is its verdict
    (the test above)."""
    command = _make_audit_command()
    assert "--strict" in command, f"make audit without --strict passes silently: {command}"
    if not (ROOT / command[0]).exists():
        pytest.skip("pip-audit is not installed (make setup installs it)")
    result = subprocess.run([str(ROOT / command[0]), *command[1:], "--progress-spinner", "off"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    if "could not be audited" in output:
        assert result.returncode != 0, \
            "make audit skipped dependencies it could not audit and still passed:\n" + output[-600:]


@pytest.mark.parametrize("service", ["intake", "matching", "contingent", "aftercare"])
def test_no_service_starts_in_production_with_a_development_secret(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TRANSFERPUNT_JWT_SECRET", "TRANSFERPUNT_PSEUDONYM_KEY", "TRANSFERPUNT_CLOCK",
                 "TRANSFERPUNT_JWT_ALGORITHM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRANSFERPUNT_ENVIRONMENT", "production")
    create_app = importlib.import_module(f"services.{service}.main").create_app
    with pytest.raises(ValueError, match="development default"):
        create_app()
    monkeypatch.setenv("TRANSFERPUNT_JWT_SECRET", "a-real-secret-" + "x" * 40)
    monkeypatch.setenv("TRANSFERPUNT_PSEUDONYM_KEY", "a-real-pseudonym-key-" + "y" * 40)
    create_app()  # with real secrets it starts
