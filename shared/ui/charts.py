"""A chart drawn on the server as inline SVG: no script, no library, prints and scales.

The contingent chart shows per member its share (the outlined bar), the homes let (solid),
the homes in flight (hatched) and the ideal cumulative share so far (the red mark). The table
next to it carries the same figures, so the chart is never the only way to read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

ROW = 30
BAR = 18
LABEL = 120
FIGURES = 110
WIDTH = 760


@dataclass(frozen=True)
class QuotaBar:
    label: str
    share: int
    used: int
    in_flight: int
    ideal: float
    figures: str  # what the row says in words, e.g. "3 + 1 / 6"


def quota_chart(bars: Sequence[QuotaBar], *, title: str, description: str,
                chart_id: str = "quota-chart") -> Markup:
    top = max([1.0, *(max(b.share, b.used + b.in_flight, b.ideal) for b in bars)])
    scale = (WIDTH - LABEL - FIGURES) / top
    height = ROW * len(bars) + 10
    parts = [
        f'<svg class="chart" id="{chart_id}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        '<rect width="3" height="6" fill="#2f7fc1"/></pattern></defs>',
    ]
    for index, bar in enumerate(bars):
        y = 5 + index * ROW
        middle = y + BAR / 2 + 5
        used_w, flight_w = bar.used * scale, bar.in_flight * scale
        parts += [
            f'<g data-member="{escape(bar.label)}">',
            f'<text x="0" y="{middle:.1f}">{escape(bar.label)}</text>',
            f'<rect x="{LABEL}" y="{y}" width="{bar.share * scale:.1f}" height="{BAR}" '
            'fill="#fff" stroke="#1b1b1b" stroke-width="2"/>',
            f'<rect x="{LABEL}" y="{y}" width="{used_w:.1f}" height="{BAR}" fill="#0b4f8a"/>',
            f'<rect x="{LABEL + used_w:.1f}" y="{y}" width="{flight_w:.1f}" height="{BAR}" '
            'fill="url(#hatch)" stroke="#2f7fc1"/>',
            f'<rect x="{LABEL + bar.ideal * scale - 1.5:.1f}" y="{y - 3}" width="3" '
            f'height="{BAR + 6}" fill="#b3261e"/>',
            f'<text x="{WIDTH - FIGURES + 8}" y="{middle:.1f}">{escape(bar.figures)}</text>',
            "</g>",
        ]
    parts.append("</svg>")
    return Markup("".join(parts))
