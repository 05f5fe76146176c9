"""A dependency-free inline SVG chart of statuses over time (the dashboard's burn-down).

The chart is a stacked area per status, newest commit on the right: the ``link_only`` band
burning down while ``condensed`` grows. Every value written into the SVG is a number or an
escaped, fixed label, so the markup is safe to insert after sanitizing.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from reflib.core.history import Snapshot
from reflib.core.schema import STATUSES

COLORS = {
    "condensed": "#2e7d32",
    "converted": "#1565c0",
    "fetched": "#ef6c00",
    "link_only": "#9e9e9e",
}


def burndown_svg(snapshots: Sequence[Snapshot], width: int = 720, height: int = 280) -> str:
    """An ``<svg>`` stacked-area chart of ``snapshots`` (oldest first); empty when none."""
    if not snapshots:
        return ""
    left, right, top, bottom = 44, 150, 14, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    times = [s.date.timestamp() for s in snapshots]
    t0, t1 = min(times), max(times)
    span = t1 - t0
    n = len(snapshots)

    def x(i: int) -> float:
        if n == 1:
            return left + plot_w / 2
        frac = (times[i] - t0) / span if span > 0 else i / (n - 1)
        return left + frac * plot_w

    step = max(1, math.ceil(max(sum(s.counts.values()) for s in snapshots) / 4))
    total = step * 4

    def y(value: float) -> float:
        return top + plot_h - value / total * plot_h

    # stack from the bottom: condensed, converted, fetched, link_only
    order = list(reversed(STATUSES))
    base = [0.0] * n
    parts = [f'<svg class="reflib-burndown" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Resources per status over time">']
    for tick in range(5):
        value = step * tick
        yy = y(value)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{yy:.1f}" y2="{yy:.1f}" '
                     f'class="reflib-grid"/>')
        parts.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" '
                     f'class="reflib-axis">{value:.0f}</text>')
    for status in order:
        upper = [base[i] + snapshots[i].counts.get(status, 0) for i in range(n)]
        if n == 1:
            xs = [left + plot_w * 0.25, left + plot_w * 0.75]
            up, lo = [upper[0]] * 2, [base[0]] * 2
        else:
            xs = [x(i) for i in range(n)]
            up, lo = upper, base
        points = [f"{xs[i]:.1f},{y(up[i]):.1f}" for i in range(len(xs))]
        points += [f"{xs[i]:.1f},{y(lo[i]):.1f}" for i in reversed(range(len(xs)))]
        parts.append(f'<polygon points="{" ".join(points)}" fill="{COLORS[status]}" '
                     f'fill-opacity="0.85"><title>{html.escape(status)}</title></polygon>')
        base = upper
    first, last = snapshots[0].date.date().isoformat(), snapshots[-1].date.date().isoformat()
    parts.append(f'<text x="{left}" y="{height - 12}" class="reflib-axis">{first}</text>')
    parts.append(f'<text x="{left + plot_w}" y="{height - 12}" text-anchor="end" '
                 f'class="reflib-axis">{last}</text>')
    for i, status in enumerate(reversed(order)):
        ly = top + 10 + i * 22
        lx = left + plot_w + 16
        now = snapshots[-1].counts.get(status, 0)
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" '
                     f'fill="{COLORS[status]}"/>')
        parts.append(f'<text x="{lx + 18}" y="{ly}" class="reflib-legend">'
                     f'{html.escape(status)} ({now})</text>')
    parts.append("</svg>")
    return "".join(parts)
