"""Static pictures of curves as inline SVG, for notebooks seen without widgets. Pure.

Small multiples: one panel per metric, each with its own y range (metrics of very
different scales stay readable), one polyline per curve (a dot for a one-point
curve), whole-number ticks on the step axis. Every piece of user text (run names,
metric names) is escaped and written as SVG text, never as markup.

Readable on light and dark pages alike: JupyterLab, nbconvert and GitHub show the
picture as an `<img>`, where neither the page's CSS nor `currentColor` reaches, so
the picture brings its own opaque background and text colours (light, or dark when
the browser prefers a dark scheme). It scales to the output's width (`viewBox`,
`width="100%"`) instead of being cut off in a narrow notebook.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape as _escape
from typing import Any

from ..series import drawable, thin
from .ticks import format_step, step_ticks

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
# (light, dark) colours by role; presentation attributes carry the light ones, the
# style sheet switches to the dark ones when the browser prefers a dark scheme.
INK = {
    "bg": ("#ffffff", "#1f1f1f"),
    "text": ("#1a1a1a", "#e6e6e6"),
    "muted": ("#555555", "#b0b0b0"),
    "frame": ("#cccccc", "#555555"),
}
STYLE = (
    "<style>@media (prefers-color-scheme: dark) {"
    f".nbtrack-bg{{fill:{INK['bg'][1]}}}"
    f".nbtrack-text{{fill:{INK['text'][1]}}}"
    f".nbtrack-muted{{fill:{INK['muted'][1]}}}"
    f".nbtrack-frame{{stroke:{INK['frame'][1]}}}"
    "}</style>"
)


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


def _segments(xs: Sequence[float], ys: Sequence[float], box: tuple[float, ...]) -> list[str]:
    """The `points` of one polyline per stretch of finite values."""
    out: list[str] = []
    start = None
    for i, y in enumerate([*ys, math.nan]):
        if math.isfinite(y) and start is None:
            start = i
        elif not math.isfinite(y) and start is not None:
            out.append(_points(xs[start:i], ys[start:i], box))
            start = None
    return out


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


def _text(
    x: float,
    y: float,
    text: str,
    role: str = "text",
    style: str = FONT,
    kind: str = "",
    **attrs: str,
) -> str:
    """`text` (already escaped) in the colour of `role`; `kind` names what it is."""
    cls = f"nbtrack-{role}" + (f" nbtrack-{kind}" if kind else "")
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return (
        f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" fill="{INK[role][0]}" '
        f'style="{style}"{extra}>{text}</text>'
    )


def _panel(panel: Panel, left: float, top: float, legend: bool) -> list[str]:
    import numpy as np

    w, h = PANEL_W - PAD_L - PAD_R, PANEL_H - PAD_T - PAD_B
    px, py = left + PAD_L, top + PAD_T
    curves = [(c, *thin(c.steps, c.values, max_points=2 * int(w))) for c in panel.curves]
    curves = [(c, xs, drawable(ys)) for c, xs, ys in curves]
    drawn = [(c, xs, ys) for c, xs, ys in curves if np.isfinite(ys).any()]
    out = [
        f'<g class="nbtrack-panel" data-title="{escape(panel.title)}">',
        _text(left + PAD_L, top + 14, escape(panel.title), style=f"{FONT};font-weight:bold"),
        f'<rect class="nbtrack-frame" x="{px}" y="{py}" width="{w}" height="{h}" '
        f'fill="none" stroke="{INK["frame"][0]}"/>',
    ]
    if not drawn:
        out.append(_text(px + w / 2, py + h / 2, "no finite values", "muted", text_anchor="middle"))
        out.append("</g>")
        return out
    x0 = min(float(xs[0]) for _, xs, _ in drawn)
    x1 = max(float(xs[-1]) for _, xs, _ in drawn)
    y0 = min(float(np.nanmin(ys)) for _, _, ys in drawn)
    y1 = max(float(np.nanmax(ys)) for _, _, ys in drawn)
    box = (x0, x1, y0, y1, px, py, w, h)
    for i, (c, xs, ys) in enumerate(drawn):
        stroke = c.color or color(i)
        for points in _segments(xs, ys, box):  # non-finite values break the line
            out.append(
                f'<polyline class="nbtrack-series" data-label="{escape(c.label)}" fill="none" '
                f'stroke="{stroke}" stroke-width="1.5" points="{points}">'
                f"<title>{escape(c.label)}</title></polyline>"
            )
        if len(xs) == 1:  # a line needs two points: draw the one as a dot
            cx, cy = points.split(",")
            out.append(
                f'<circle class="nbtrack-point" data-label="{escape(c.label)}" cx="{cx}" '
                f'cy="{cy}" r="3" fill="{stroke}"><title>{escape(c.label)}</title></circle>'
            )
    axis = "font-family:sans-serif;font-size:10px"
    low, high = axis_labels(y0, y1)
    out += [
        _text(px - 3, py + 9, high, "muted", axis, text_anchor="end"),
        _text(px - 3, py + h, low, "muted", axis, text_anchor="end"),
    ]
    out += _step_axis(x0, x1, px, py + h, w, axis)
    if legend and len(drawn) > 1:
        for i, (c, _, _) in enumerate(drawn[:8]):
            ly = py + 12 + 13 * i
            out.append(
                f'<text x="{px + w - 4}" y="{ly}" text-anchor="end" '
                f'style="{FONT};fill:{c.color or color(i)}">{escape(c.label)}</text>'
            )
    out.append("</g>")
    return out


def _step_axis(x0: float, x1: float, left: float, bottom: float, w: float, style: str) -> list[str]:
    """Whole-number ticks under the panel, at the steps' positions (a one-step range
    draws its point in the middle, as `_points` does)."""
    ticks = [t for t in step_ticks(x0, x1) if x0 <= t <= x1] or [round(x0)]
    out = []
    for t in ticks:
        x = left + (t - x0) * w / (x1 - x0) if x1 > x0 else left + w / 2
        anchor = "start" if x - left < 12 else "end" if left + w - x < 12 else "middle"
        out.append(
            f'<line class="nbtrack-frame" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" '
            f'y2="{bottom + 3}" stroke="{INK["frame"][0]}"/>'
        )
        out.append(
            _text(x, bottom + 13, format_step(t), "muted", style, "step-tick", text_anchor=anchor)
        )
    out.append(_text(left - 3, bottom + 13, "step", "muted", style, text_anchor="end"))
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
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px">',
        STYLE,
        f'<rect class="nbtrack-bg" x="0" y="0" width="{width}" height="{height}" rx="4" '
        f'fill="{INK["bg"][0]}"/>',
    ]
    for i, line in enumerate(header):
        weight = ";font-weight:bold" if i == 0 else ""
        style = f"font-family:sans-serif;font-size:12px{weight}"
        out.append(_text(6, HEADER_LINE_H * (i + 1) - 4, escape(line), "text", style, "header"))
    for i, panel in enumerate(panels):
        row, col = divmod(i, columns)
        out += _panel(panel, col * PANEL_W, row * PANEL_H + top, legend)
    out.append("</svg>")
    return "\n".join(out)
