"""The coordinator's report after a simulated year: quotas, throughput times, outcomes.

- Per member organisation: declared need, share, homes received and the largest deviation
  from its ideal cumulative share seen during the year (the quota rule keeps it below 1).
- Throughput times, p50 and p90 in days, per stage: intake → first proposal, proposal →
  decision, intake → tenancy start ("application to key"), tenancy start → aftercare end.
  From the services' Prometheus histograms (the increase over the run, summed over labels,
  interpolated within buckets as `histogram_quantile` does) when a service exposes the
  metric; otherwise from the durations the simulator read in the events. The table says
  which; the observed figures are shown beside the histogram's for comparison.
- Outcomes of aftercare and returns to homelessness within 12 and 24 months.

Printed as text tables, written as CSV (`report-*.csv`), JSON and a PNG chart into `out/`.
"""

from __future__ import annotations

import csv
import json
import math
import struct
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client.parser import text_string_to_metric_families

if TYPE_CHECKING:
    from transferpunt.simulator import SimulationResult

Say = Callable[[str], None]
DAY = 86_400.0


@dataclass(frozen=True)
class Stage:
    key: str
    title: str
    service: str
    metrics: tuple[str, ...]  # the first one a service exposes is used


STAGES = (
    Stage("intake_to_first_proposal", "intake → first proposal", "matching",
          ("transferpunt_matching_intake_to_first_proposal_seconds",
           "transferpunt_intake_to_first_proposal_seconds")),
    Stage("proposal_to_decision", "proposal → decision", "matching",
          ("transferpunt_matching_proposal_to_decision_seconds",
           "transferpunt_proposal_to_decision_seconds")),
    Stage("intake_to_tenancy_start", "intake → tenancy start (application to key)", "matching",
          ("transferpunt_matching_intake_to_tenancy_start_seconds",
           "transferpunt_intake_to_tenancy_seconds")),
    Stage("tenancy_to_aftercare_end", "tenancy start → aftercare end", "aftercare",
          ("transferpunt_aftercare_duration_seconds",
           "transferpunt_tenancy_to_aftercare_end_seconds")),
)


# ---- Prometheus histograms ----------------------------------------------------------------


@dataclass
class Histogram:
    """One histogram summed over its label sets: cumulative bucket counts by upper bound."""

    buckets: dict[float, float] = field(default_factory=dict)
    count: float = 0.0
    sum: float = 0.0

    def minus(self, earlier: Histogram | None) -> Histogram:
        if earlier is None:
            return self
        return Histogram({le: n - earlier.buckets.get(le, 0.0) for le, n in self.buckets.items()},
                         self.count - earlier.count, self.sum - earlier.sum)

    def quantile(self, q: float) -> float | None:
        """Like PromQL's histogram_quantile: linear within the bucket that holds rank q."""
        if self.count <= 0 or not self.buckets:
            return None
        rank = q * self.count
        lower, below = 0.0, 0.0
        bounds = sorted(self.buckets)
        for le in bounds:
            cumulative = self.buckets[le]
            if cumulative >= rank:
                if math.isinf(le):
                    finite = [b for b in bounds if not math.isinf(b)]
                    return finite[-1] if finite else None
                inside = cumulative - below
                return lower + (le - lower) * ((rank - below) / inside if inside else 1.0)
            lower, below = le, cumulative
        return None


def histograms(text: str) -> dict[str, Histogram]:
    """Every histogram in a /metrics page, by name, summed over label sets."""
    found: dict[str, Histogram] = {}
    if not text:
        return found
    for family in text_string_to_metric_families(text):
        if family.type != "histogram":
            continue
        h = found.setdefault(family.name, Histogram())
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                le = float(sample.labels["le"])
                h.buckets[le] = h.buckets.get(le, 0.0) + sample.value
            elif sample.name.endswith("_count"):
                h.count += sample.value
            elif sample.name.endswith("_sum"):
                h.sum += sample.value
    return found


def exact_quantile(values: Iterable[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# ---- the report ---------------------------------------------------------------------------


@dataclass
class MemberLine:
    member_id: str
    name: str
    need: int
    share: int
    received: int
    let: int  # tenancies started (homes consumed)
    max_deviation: float  # the largest |received − ideal cumulative share| seen
    deviation: float  # at the end


@dataclass
class StageLine:
    key: str
    title: str
    source: str  # "histogram <name>" or "observed in the events"
    count: int
    p50_days: float | None
    p90_days: float | None
    observed_count: int
    observed_p50_days: float | None
    observed_p90_days: float | None


@dataclass
class Report:
    title: str
    facts: dict[str, Any]
    members: list[MemberLine]
    stages: list[StageLine]
    activity: dict[str, int]
    decline_reasons: dict[str, int]
    outcomes: dict[str, int]
    returns: dict[str, Any]
    notes: list[str]


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / DAY, 1)


def stage_lines(result: SimulationResult) -> tuple[list[StageLine], list[str]]:
    notes = []
    lines = []
    for stage in STAGES:
        observed = getattr(result.observed, stage.key)
        after = histograms(result.metrics_after.get(stage.service, ""))
        before = histograms(result.metrics_before.get(stage.service, ""))
        name = next((m for m in stage.metrics if m in after), None)
        o50, o90 = exact_quantile(observed, 0.5), exact_quantile(observed, 0.9)
        if name is not None:
            h = after[name].minus(before.get(name))
            lines.append(StageLine(stage.key, stage.title, f"histogram {name}", round(h.count),
                                   _days(h.quantile(0.5)), _days(h.quantile(0.9)),
                                   len(observed), _days(o50), _days(o90)))
        else:
            notes.append(f"{stage.service} exposes none of {', '.join(stage.metrics)}: "
                         f"'{stage.title}' comes from the events the simulator read")
            lines.append(StageLine(stage.key, stage.title, "observed in the events",
                                   len(observed), _days(o50), _days(o90), len(observed),
                                   _days(o50), _days(o90)))
    return lines, notes


def build_report(result: SimulationResult) -> Report:
    s, plan = result.scenario, result.plan
    names = {m.member_id: m.name for m in plan.members}
    members = []
    for line in result.contingent.get("shares", []):
        member_id = line["member_id"]
        received = int(line["share"]) - int(line["remaining"])
        members.append(MemberLine(
            member_id, names.get(member_id, ""), int(line["need"]), int(line["share"]),
            received, int(line["used"]),
            round(max(result.max_deviation.get(member_id, 0.0), abs(line["deviation"])), 2),
            round(float(line["deviation"]), 2)))
    stages, notes = stage_lines(result)
    c = result.counts
    activity = {k: int(c[k]) for k in (
        "intakes", "re-intakes", "withdrawals", "homes", "proposals", "accepted", "declined",
        "expired", "late decisions refused", "tenancies", "check-ins", "signals")}
    if result.errors:
        notes.append(f"{len(result.errors)} requests failed; first: {result.errors[0]}")
    returns = dict(result.returns)
    if result.returns_report:
        returns["cohorts"] = result.returns_report.get("cohorts", [])
    facts = {
        "region": "U16 (simulated)", "seed": s.seed, "contingent year": s.year,
        "method": result.contingent.get("method", s.method),
        "total homes": result.contingent.get("total_homes", s.contingent),
        "members": len(plan.members), "corporations": len(plan.corporations),
        "business days": f"{s.first_day} – {result.ended}",
        "steps": result.steps, "wall time (s)": round(result.wall_seconds, 1),
        "waiting for quiescence (s)": round(result.quiet.seconds, 1),
    }
    return Report(f"Coordinator's report — contingent {s.year}", facts, members, stages,
                  activity, dict(result.decline_reasons), dict(result.outcomes), returns, notes)


# ---- text ---------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) if i < 2 else h.rjust(w)
                     for i, (h, w) in enumerate(zip(headers, widths, strict=True)))]
    out.append("  ".join("-" * w for w in widths))
    for row in cells:
        out.append("  ".join(v.ljust(w) if i < 2 else v.rjust(w)
                             for i, (v, w) in enumerate(zip(row, widths, strict=True))))
    return out


def print_report(report: Report, say: Say) -> None:
    say(f"\n{report.title}")
    say("  " + " · ".join(f"{k}: {v}" for k, v in report.facts.items()))
    say("\nQuota per member organisation (received = allocated or let; deviation from the "
        "ideal cumulative share)")
    for line in table(["member", "name", "need", "share", "received", "let", "max dev",
                       "dev at end"],
                      [[m.member_id, m.name, m.need, m.share, m.received, m.let,
                        m.max_deviation, m.deviation] for m in report.members]):
        say("  " + line)
    say("\nThroughput times in business days")
    for line in table(["stage", "source", "count", "p50", "p90", "observed n", "obs p50",
                       "obs p90"],
                      [[t.title, t.source, t.count, t.p50_days, t.p90_days, t.observed_count,
                        t.observed_p50_days, t.observed_p90_days] for t in report.stages]):
        say("  " + line)
    say("\nActivity: " + ", ".join(f"{k} {v}" for k, v in report.activity.items()))
    if report.decline_reasons:
        say("Declines by reason: " + ", ".join(
            f"{k} {v}" for k, v in sorted(report.decline_reasons.items())))
    say("Aftercare outcomes: " + (", ".join(
        f"{k} {v}" for k, v in sorted(report.outcomes.items())) or "none yet"))
    say("Returns to homelessness: " + (", ".join(
        f"{k} {v}" for k, v in report.returns.items() if k != "cohorts") or "none"))
    for note in report.notes:
        say(f"note: {note}")


# ---- files --------------------------------------------------------------------------------


def write_report(report: Report, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in (("report-members.csv", [asdict(m) for m in report.members]),
                       ("report-throughput.csv", [asdict(t) for t in report.stages]),
                       ("report-outcomes.csv", _outcome_rows(report))):
        path = out_dir / name
        with path.open("w", newline="") as f:
            if rows:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        written.append(path)
    path = out_dir / "report.json"
    path.write_text(json.dumps(asdict(report), indent=1, default=str, ensure_ascii=False))
    written.append(path)
    written += write_chart(report, out_dir)
    return written


def _outcome_rows(report: Report) -> list[dict[str, Any]]:
    rows = [{"kind": "outcome", "name": k, "count": v} for k, v in report.outcomes.items()]
    rows += [{"kind": "decline", "name": k, "count": v}
             for k, v in report.decline_reasons.items()]
    rows += [{"kind": "return", "name": k, "count": v}
             for k, v in report.returns.items() if k != "cohorts"]
    rows += [{"kind": "activity", "name": k, "count": v} for k, v in report.activity.items()]
    return rows


def write_chart(report: Report, out_dir: Path) -> list[Path]:
    """report.png with matplotlib; without it a plain bar chart (no text) and a labelled
    SVG, and a note that pyproject needs `matplotlib`."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        report.notes.append("matplotlib is not installed (pyproject.toml needs `matplotlib`): "
                            "report.png is a plain chart without labels; report.svg has them")
        return [_plain_png(report, out_dir / "report.png"), _svg(report, out_dir / "report.svg")]
    members = sorted(report.members, key=lambda m: -m.share)
    fig, axes = plt.subplots(3, 1, figsize=(13, 13))
    x = range(len(members))
    axes[0].bar([i - 0.2 for i in x], [m.share for m in members], 0.4, label="share")
    axes[0].bar([i + 0.2 for i in x], [m.received for m in members], 0.4, label="received")
    axes[0].plot(list(x), [m.max_deviation for m in members], "k.", label="max deviation")
    axes[0].set_xticks(list(x), [m.member_id for m in members], rotation=90, fontsize=7)
    axes[0].set_title(f"{report.title}: share, received and largest deviation per member")
    axes[0].legend()
    stages = report.stages
    axes[1].bar([i - 0.2 for i in range(len(stages))], [t.p50_days or 0 for t in stages], 0.4,
                label="p50")
    axes[1].bar([i + 0.2 for i in range(len(stages))], [t.p90_days or 0 for t in stages], 0.4,
                label="p90")
    axes[1].set_xticks(range(len(stages)), [t.title for t in stages], fontsize=8)
    axes[1].set_ylabel("business days")
    sources = {t.source.split()[0] for t in stages}
    axes[1].set_title("Throughput times (" + (
        "the services' histograms, interpolated within buckets" if sources == {"histogram"}
        else "histograms where exposed, else the events") + ")")
    axes[1].legend()
    outcomes = sorted(report.outcomes.items())
    axes[2].bar([k for k, _ in outcomes], [v for _, v in outcomes])
    axes[2].set_title("Aftercare outcomes")
    fig.tight_layout()
    path = out_dir / "report.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [path]


# A fallback that needs nothing beyond the standard library.

_COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (120, 120, 120))


def _panels(report: Report) -> list[tuple[str, list[str], list[list[float]]]]:
    members = sorted(report.members, key=lambda m: -m.share)
    return [
        ("share and received per member", [m.member_id for m in members],
         [[float(m.share) for m in members], [float(m.received) for m in members]]),
        ("throughput p50 and p90 (days)", [t.title for t in report.stages],
         [[t.p50_days or 0.0 for t in report.stages], [t.p90_days or 0.0 for t in report.stages]]),
        ("aftercare outcomes", sorted(report.outcomes),
         [[float(report.outcomes[k]) for k in sorted(report.outcomes)]]),
    ]


def _plain_png(report: Report, path: Path, width: int = 1200, panel: int = 300) -> Path:
    height = panel * 3
    pixels = bytearray(b"\xff" * (width * height * 3))

    def rect(x0: int, y0: int, x1: int, y1: int, rgb: tuple[int, int, int]) -> None:
        for y in range(max(0, y0), min(height, y1)):
            row = y * width * 3
            pixels[row + max(0, x0) * 3: row + min(width, x1) * 3] = bytes(rgb) * max(
                0, min(width, x1) - max(0, x0))

    for p, (_, labels, series) in enumerate(_panels(report)):
        top, base = p * panel + 20, (p + 1) * panel - 20
        rect(40, base, width - 20, base + 2, (0, 0, 0))
        peak = max([v for s in series for v in s] + [1.0])
        slot = (width - 80) / max(len(labels), 1)
        bar = max(1, int(slot * 0.8 / len(series)))
        for i in range(len(labels)):
            for k, values in enumerate(series):
                h = int((base - top) * values[i] / peak)
                x = int(50 + i * slot + k * bar)
                rect(x, base - h, x + bar - 1, base, _COLOURS[k % len(_COLOURS)])
    raw = b"".join(b"\x00" + bytes(pixels[y * width * 3:(y + 1) * width * 3])
                   for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    return path


def _svg(report: Report, path: Path, width: int = 1200, panel: int = 320) -> Path:
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{panel * 3}" '
             'font-family="sans-serif" font-size="10">']
    for p, (title, labels, series) in enumerate(_panels(report)):
        top, base = p * panel + 30, (p + 1) * panel - 60
        parts.append(f'<text x="40" y="{top - 10}" font-size="14">{_esc(title)}</text>')
        peak = max([v for s in series for v in s] + [1.0])
        slot = (width - 80) / max(len(labels), 1)
        bar = slot * 0.8 / len(series)
        for i, label in enumerate(labels):
            for k, values in enumerate(series):
                h = (base - top) * values[i] / peak
                x = 50 + i * slot + k * bar
                r, g, b = _COLOURS[k % len(_COLOURS)]
                parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" '
                             f'height="{h:.1f}" fill="rgb({r},{g},{b})"><title>{_esc(label)}: '
                             f'{values[i]:g}</title></rect>')
            parts.append(f'<text x="{50 + i * slot:.1f}" y="{base + 12}" '
                         f'transform="rotate(45 {50 + i * slot:.1f} {base + 12})">'
                         f'{_esc(label)}</text>')
        parts.append(f'<line x1="40" y1="{base}" x2="{width - 20}" y2="{base}" stroke="black"/>')
    parts.append("</svg>")
    path.write_text("\n".join(parts))
    return path


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def report_as_dict(report: Report) -> Mapping[str, Any]:
    return asdict(report)
