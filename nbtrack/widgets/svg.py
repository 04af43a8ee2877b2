"""Static pictures of curves as inline SVG, for notebooks seen without widgets. Pure.

Small multiples: one panel per metric, each with its own y range (metrics of very
different scales stay readable), one polyline per curve. Every piece of user text
(run names, metric names) is escaped and written as SVG text, never as markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape as _escape
from typing import Any

from ..format import format_value
from .downsample import downsample

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
PANEL_W, PANEL_H = 300, 170
PAD_L, PAD_R, PAD_T, PAD_B = 58, 10, 22, 24
FONT = "font-family:sans-serif;font-size:11px"


@dataclass
class Curve:
    label: str
    steps: Any  # sequences of numbers, same length
    values: Any
    color: str | None = None


@dataclass
class Panel:
    title: str
    curves: list[Curve] = field(default_factory=list)


_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def escape(text: str) -> str:
    """`text` safe inside SVG text and attributes: markup escaped, and the control
    characters XML forbids dropped."""
    return _escape(str(text).translate(_CONTROL), quote=True)


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _fmt(x: float) -> str:
    return format_value(float(x))


def axis_labels(low: float, high: float) -> tuple[str, str]:
    """Short labels for a range's ends, with just enough digits to tell them apart."""
    a, b = f"{low:.3g}", f"{high:.3g}"
    if a != b or low == high:
        return a, b
    if max(abs(low), abs(high)) < 1e7:  # a narrow range: fixed decimals read best
        decimals = min(10, max(0, 2 - math.floor(math.log10(high - low))))
        a, b = (f"{v:.{decimals}f}" for v in (low, high))
        if decimals:
            a, b = (v.rstrip("0").rstrip(".") for v in (a, b))
        return a, b
    for digits in range(4, 17):
        a, b = f"{low:.{digits}g}", f"{high:.{digits}g}"
        if a != b:
            break
    return a, b


def _points(xs: Sequence[float], ys: Sequence[float], box: tuple[float, ...]) -> str:
    x0, x1, y0, y1, left, top, w, h = box
    sx = w / (x1 - x0) if x1 > x0 else 0.0
    sy = h / (y1 - y0) if y1 > y0 else 0.0
    mid = h / 2 if y1 <= y0 else None
    out = []
    for x, y in zip(xs, ys, strict=True):
        px = left + (x - x0) * sx if sx else left + w / 2
        py = top + (mid if mid is not None else h - (y - y0) * sy)
        out.append(f"{px:.1f},{py:.1f}")
    return " ".join(out)


def _panel(panel: Panel, left: float, top: float, legend: bool) -> list[str]:
    w, h = PANEL_W - PAD_L - PAD_R, PANEL_H - PAD_T - PAD_B
    px, py = left + PAD_L, top + PAD_T
    curves = [(c, *downsample(c.steps, c.values, max_points=2 * int(w))) for c in panel.curves]
    drawn = [(c, xs, ys) for c, xs, ys in curves if len(xs)]
    out = [
        f'<g class="nbtrack-panel" data-title="{escape(panel.title)}">',
        f'<text x="{left + PAD_L}" y="{top + 14}" style="{FONT};font-weight:bold">'
        f"{escape(panel.title)}</text>",
        f'<rect x="{px}" y="{py}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>',
    ]
    if not drawn:
        out.append(
            f'<text x="{px + w / 2}" y="{py + h / 2}" text-anchor="middle" '
            f'style="{FONT};fill:#888">no finite values</text>'
        )
        out.append("</g>")
        return out
    x0 = min(float(xs[0]) for _, xs, _ in drawn)
    x1 = max(float(xs[-1]) for _, xs, _ in drawn)
    y0 = min(float(ys.min()) for _, _, ys in drawn)
    y1 = max(float(ys.max()) for _, _, ys in drawn)
    box = (x0, x1, y0, y1, px, py, w, h)
    for i, (c, xs, ys) in enumerate(drawn):
        stroke = c.color or color(i)
        out.append(
            f'<polyline class="nbtrack-series" data-label="{escape(c.label)}" fill="none" '
            f'stroke="{stroke}" stroke-width="1.5" points="{_points(xs, ys, box)}">'
            f"<title>{escape(c.label)}</title></polyline>"
        )
    axis = "font-family:sans-serif;font-size:10px;fill:#555"
    low, high = axis_labels(y0, y1)
    out += [
        f'<text x="{px - 3}" y="{py + 9}" text-anchor="end" style="{axis}">{high}</text>',
        f'<text x="{px - 3}" y="{py + h}" text-anchor="end" style="{axis}">{low}</text>',
        f'<text x="{px}" y="{py + h + 14}" style="{axis}">{_fmt(x0)}</text>',
        f'<text x="{px + w}" y="{py + h + 14}" text-anchor="end" style="{axis}">'
        f"step {_fmt(x1)}</text>",
    ]
    if legend and len(drawn) > 1:
        for i, (c, _, _) in enumerate(drawn[:8]):
            ly = py + 12 + 13 * i
            out.append(
                f'<text x="{px + w - 4}" y="{ly}" text-anchor="end" '
                f'style="{FONT};fill:{c.color or color(i)}">{escape(c.label)}</text>'
            )
    out.append("</g>")
    return out


HEADER_LINE_H = 18


def curves_svg(
    panels: Sequence[Panel], columns: int = 3, legend: bool = True, header: Sequence[str] = ()
) -> str:
    """An SVG document with the panels laid out in a grid, `columns` wide, under the
    `header` lines (e.g. the run's status and its final values), drawn as text."""
    columns = max(1, min(columns, len(panels)))
    rows = math.ceil(len(panels) / columns) if panels else 1
    top = HEADER_LINE_H * len(header) + (6 if header else 0)
    width, height = columns * PANEL_W, rows * PANEL_H + top
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
    ]
    for i, line in enumerate(header):
        weight = ";font-weight:bold" if i == 0 else ""
        out.append(
            f'<text class="nbtrack-header" x="6" y="{HEADER_LINE_H * (i + 1) - 4}" '
            f'style="font-family:sans-serif;font-size:12px{weight}">{escape(line)}</text>'
        )
    for i, panel in enumerate(panels):
        row, col = divmod(i, columns)
        out += _panel(panel, col * PANEL_W, row * PANEL_H + top, legend)
    out.append("</svg>")
    return "\n".join(out)
