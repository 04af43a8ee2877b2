"""Ticks for step axes: whole numbers only. Pure.

Steps are integers, so a step axis never shows `0.5` or `-0.0031`: its ticks are
whole numbers at 1, 2 or 5 times a power of ten, and a range narrower than one
step (a one-point metric) is widened to one step around its point.
"""

from __future__ import annotations

import math


def step_domain(low: float, high: float) -> tuple[int, int]:
    """The whole-number range an axis shows for steps from `low` to `high`:
    at least one step wide."""
    lo, hi = math.floor(low), math.ceil(high)
    if hi <= lo:
        hi = lo + 1
    return lo, hi


def step_ticks(low: float, high: float, count: int = 4) -> list[int]:
    """About `count` (at most `count + 1`) whole-number ticks within
    `step_domain(low, high)`, evenly spaced at 1, 2 or 5 times a power of ten."""
    lo, hi = step_domain(low, high)
    raw = (hi - lo) / max(1, count)
    spacing = 1
    if raw > 1:
        power = 10 ** math.floor(math.log10(raw))
        spacing = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = -(-lo // spacing) * spacing  # the first multiple of spacing >= lo
    return list(range(first, hi + 1, spacing))


def format_step(step: float) -> str:
    """A step as a whole number, grouped by thousands past 9999: `12,000`."""
    value = round(step)
    return f"{value:,}" if abs(value) >= 10_000 else str(value)
