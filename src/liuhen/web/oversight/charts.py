"""Month-by-month charts drawn on the server as SVG (no script, no inline style, no CDN).

Colours come from classes in ``static/dashboard.css``; each bar or point can link to the
case list behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 400, 230
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 18, 30


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    css: str  # a class in dashboard.css: s1, s2, s3, bad
    links: Sequence[str] | None = None


def _nice_max(value: float) -> float:
    """The top of the axis: four equal whole-number steps above ``value``."""
    for top in (4, 8, 20, 40, 100, 200, 400, 1000, 2000, 4000, 10000, 20000, 40000):
        if value <= top:
            return top
    return float(-(-int(value) // 4000) * 4000)


def _frame(labels: Sequence[str], top: float, unit: str, title: str) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        y = TOP + plot_h * i / 4
        value = top * (4 - i) / 4
        out.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{value:g}{unit}</text>"
        )
    step = plot_w / max(len(labels), 1)
    every = max(1, -(-len(labels) // 7))  # at most seven labels: they must not overlap
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + step * (i + 0.5)
            out.append(
                f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return out


def bar_chart(labels: Sequence[str], series: Series, title: str, unit: str = "") -> Markup:
    """One bar per month; a bar links to ``series.links[i]`` when given."""
    values = [v or 0 for v in series.values]
    top = _nice_max(max(values, default=0))
    out = _frame(labels, top, unit, title)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels), 1)
    bar = step * 0.6
    for i, value in enumerate(values):
        h = plot_h * value / top if top else 0
        x = LEFT + step * i + (step - bar) / 2
        y = TOP + plot_h - h
        rect = (
            f'<rect class="bar {series.css}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
            f'height="{h:.1f}"><title>{escape(labels[i])}：{value:g}{unit}</title></rect>'
        )
        if value:
            rect += (
                f'<text class="value" x="{x + bar / 2:.1f}" y="{y - 3:.1f}" '
                f'text-anchor="middle">{value:g}</text>'
            )
        if series.links and value:
            rect = f'<a href="{escape(series.links[i])}">{rect}</a>'
        out.append(rect)
    out.append("</svg>")
    return Markup("".join(out))


def line_chart(labels: Sequence[str], lines: Sequence[Series], title: str) -> Markup:
    """Percentages (0–100) per month; a month without data leaves a gap in its line."""
    out = _frame(labels, 100, "%", title)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels), 1)
    for s in lines:
        points: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                points.append([])
                continue
            points[-1].append((LEFT + step * (i + 0.5), TOP + plot_h * (1 - value / 100)))
        for run in points:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                out.append(f'<polyline class="line {s.css}" points="{path}"/>')
        for i, value in enumerate(s.values):
            if value is None:
                continue
            x, y = LEFT + step * (i + 0.5), TOP + plot_h * (1 - value / 100)
            dot = (
                f'<circle class="dot {s.css}" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
                f"<title>{escape(s.name)} {escape(labels[i])}：{value:g}%</title></circle>"
            )
            if s.links:
                dot = f'<a href="{escape(s.links[i])}">{dot}</a>'
            out.append(dot)
    out.append("</svg>")
    return Markup("".join(out))
