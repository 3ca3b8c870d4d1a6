"""Small charts drawn on the server as SVG: no JavaScript, nothing to download, readable on a phone.

The page's Content-Security-Policy forbids inline scripts and styles, so a
chart is plain SVG markup with presentation attributes (and classes that
static/app.css may refine). It scales with its viewBox to the screen's width,
says what it shows in <title> and <desc> for screen readers, and every piece of
text in it is escaped, so a label can never become markup.
"""

from __future__ import annotations

import math
import re

from markupsafe import Markup

FONT = 16  # in viewBox units; a 640-wide chart on a 360px phone still reads at about 9px
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 26, 30
BAR = "#1f5f8b"  # the site's colours (static/app.css)
GRID_COLOUR = "#d5d9e0"
INK = "#1d2330"
MUTED = "#4f5869"


def nice_step(top: int, *, ticks: int = 4) -> int:
    """A whole-number step (1, 2, 5, 10, 20, 50, ...) giving about `ticks` gridlines up to `top`."""
    raw = max(top / ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= raw:
            return int(multiple * magnitude)
    return int(10 * magnitude)


def chart_text(*, labels: list[str], values: list[int], unit: str = "") -> str:
    """The chart's data as one sentence, for <desc> and anyone who cannot see the bars."""
    suffix = f" {unit}" if unit else ""
    return "; ".join(f"{label}: {value}{suffix}" for label, value in zip(labels, values, strict=True)) + "."


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def bar_chart_svg(
    *,
    labels: list[str],
    values: list[int],
    title: str,
    width: int = 640,
    height: int = 240,
    unit: str = "",
    ident: str | None = None,
) -> Markup:
    """A bar chart with whole-number gridlines, each bar's value above it and its label below."""
    if len(labels) != len(values):
        raise ValueError("A chart needs one label per value.")
    ident = _slug(ident or title)
    plot_width, plot_height = width - LEFT - RIGHT, height - TOP - BOTTOM
    baseline = TOP + plot_height
    highest = max(max(values, default=0), 0)
    step = nice_step(highest)
    top = max(step * math.ceil(highest / step), step)
    slot = plot_width / max(len(values), 1)
    # Skip x labels when they would overlap (roughly 0.6em per character).
    widest = max((len(label) for label in labels), default=1) * FONT * 0.6
    every = max(1, math.ceil(widest / slot))

    def y(value: float) -> float:
        return baseline - value / top * plot_height

    # Every template below is a literal; Markup.format escapes whatever fills it in.
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}" width="100%" role="img" '
            'aria-labelledby="{}-title {}-desc" font-size="{}" font-family="system-ui, sans-serif">'
        ).format(width, height, ident, ident, FONT),
        Markup('<title id="{}-title">{}</title>').format(ident, title),
        Markup('<desc id="{}-desc">{}</desc>').format(ident, chart_text(labels=labels, values=values, unit=unit)),
        Markup('<g class="chart-grid">'),
    ]
    for tick in range(0, top + 1, step):
        parts.append(
            Markup(
                '<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{:.1f}" text-anchor="end" fill="{}">{}</text>'
            ).format(LEFT, width - RIGHT, y(tick), y(tick), GRID_COLOUR, LEFT - 6, y(tick) + FONT * 0.35, MUTED, tick)
        )
    parts.append(Markup('</g><g class="chart-bars">'))
    bar = slot * 0.7
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        centre = LEFT + slot * (index + 0.5)
        amount = max(int(value), 0)
        parts.append(
            Markup(
                '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" rx="2"/>'
                '<text x="{:.1f}" y="{:.1f}" text-anchor="middle" fill="{}" font-weight="600">{}</text>'
            ).format(centre - bar / 2, y(amount), bar, baseline - y(amount), BAR, centre, y(amount) - 5, INK, amount)
        )
        if (len(values) - 1 - index) % every == 0:  # the latest always has its label
            half = len(label) * FONT * 0.3
            x = min(max(centre, half), width - half)  # kept inside the edges
            parts.append(
                Markup('<text class="chart-label" x="{:.1f}" y="{}" text-anchor="middle" fill="{}">{}</text>').format(
                    x, height - 8, MUTED, label
                )
            )
    parts.append(Markup("</g></svg>"))
    return Markup("").join(parts)
