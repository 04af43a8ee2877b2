"""Parallel coordinates of params against a metric: the geometry. Pure.

Each dimension (a param, then the metric) is scaled to 0..1: numbers by their
range, anything else as evenly spaced categories. Runs are coloured by where
their metric value lies, from blue (lowest) to red (highest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..format import format_value
from .svg import color

MAX_PARAMS = 8
NO_VALUE = "#bbbbbb"


@dataclass
class Dim:
    name: str
    low_label: str
    high_label: str


@dataclass
class Row:
    label: str
    values: list[float | None]  # 0..1 per dimension, None where the run has no value
    color: str


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v


def _scale(values: Sequence[Any]) -> tuple[list[float | None], str, str]:
    present = [v for v in values if v is not None]
    if present and all(_is_number(v) for v in present):
        lo, hi = min(present), max(present)
        span = hi - lo
        scaled = [None if v is None else (0.5 if span == 0 else (v - lo) / span) for v in values]
        return scaled, format_value(lo), format_value(hi)
    cats = sorted({format_value(v) for v in present})
    pos = {c: (0.5 if len(cats) == 1 else i / (len(cats) - 1)) for i, c in enumerate(cats)}
    scaled = [None if v is None else pos[format_value(v)] for v in values]
    return scaled, (cats[0] if cats else ""), (cats[-1] if cats else "")


def ramp(t: float | None) -> str:
    """Blue (0) to red (1) through grey-purple; grey when there is no value."""
    if t is None:
        return NO_VALUE
    t = min(1.0, max(0.0, t))
    r, g, b = int(40 + 200 * t), int(90 - 40 * t), int(220 - 180 * t)
    return f"#{r:02x}{g:02x}{b:02x}"


def parallel_coordinates(
    runs: Sequence[Mapping[str, Any]], params: Sequence[str], metric: str | None
) -> tuple[list[Dim], list[Row]]:
    """Dimensions (the params, at most MAX_PARAMS, then `metric`) and one row per run."""
    names = list(params)[:MAX_PARAMS]
    columns = [[r["params"].get(k) for r in runs] for k in names]
    if metric is not None:
        names.append(metric)
        last = [r["metrics"].get(metric, {}).get("last") for r in runs]
        columns.append([v if _is_number(v) else None for v in last])
    dims, scaled = [], []
    for name, col in zip(names, columns, strict=True):
        values, lo, hi = _scale(col)
        dims.append(Dim(name, lo, hi))
        scaled.append(values)
    rows = []
    for i, r in enumerate(runs):
        values = [col[i] for col in scaled]
        shade = ramp(values[-1]) if metric is not None else color(i)
        rows.append(Row(str(r["name"]), values, shade))
    return dims, rows
