"""Metric series for charts: the one downsampling algorithm and NaN rule. Pure.

Every face that draws a curve (the server's metrics API, the live chart under
a cell, the comparison view, the static picture) bounds it here; the Runs
panel draws what the server sends and, when a live series outgrows its budget,
reads it again whole instead of thinning it itself.

**Algorithm: min/max per aligned bucket.** A series of more than `max_points`
points keeps its first and its last point and, in each bucket of x, the point
with the lowest and the one with the highest value. Of the algorithms nbtrack
had (equal index ranges; LTTB was not among them), this is the one that keeps
what a user looks for in a loss curve: every spike and the envelope survive,
the global extremes are always there, and the result has at most `max_points`
points, in x order. Buckets are aligned on a power-of-two width
(`floor(x / width)`), the smallest that fits the budget: a curve that grows
keeps the same buckets for its old part, so live appends never make old
points jump, and thinning an already thinned curve with a wider width picks
exactly what thinning the raw curve would (each wide bucket is a union of
narrow ones). The server computes the same selection over a series' numpy
columns for series too long to send whole (`store/extremes.py`, over `grid_bounds`).

**x.** Points must come sorted by x (then by id: ties in x keep input order).
The server and the widgets bucket by *step* (integers: whole-step widths,
exact past 2**53); a float x (wall time, seconds) gets fractional widths.
A chart may draw the kept points against time: a run's time grows with its
steps, so the same points serve both axes.

**NaN and ±inf: information, not numbers.** NaN is never a bucket's low or
high, but a bucket holding only NaN keeps its first point, so a stretch where
the loss went NaN stays visible (as a gap) however far the curve is zoomed
out. ±inf are extremes like any value: a divergence is never thinned away.
Charts draw every non-finite point as a break in the line (`drawable`), never
as a value on the axis. Ties go to the earliest point, so the choice is
deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import numpy as np

MIN_POINTS = 4  # the first and last point and one bucket's low and high
MAX_POINTS = 2000  # a chart's budget: a few points per pixel


class Point(NamedTuple):
    id: int
    step: int
    value: float
    time: float


def bucket_count(max_points: int) -> int:
    """How many buckets fit in `max_points` next to the first and last point."""
    if max_points < MIN_POINTS:
        raise ValueError(f"max_points must be at least {MIN_POINTS}, not {max_points}")
    return (max_points - 2) // 2


def _floor_div(x: float, width: float) -> int:
    if isinstance(x, int) and isinstance(width, int):
        return x // width
    return math.floor(x / width)


def bucket_width(first: float, last: float, max_points: int, at_least: float = 0) -> float:
    """The smallest power-of-two width (not below `at_least`) whose aligned buckets
    `[k * width, (k + 1) * width)` covering `first..last` number at most
    `bucket_count(max_points)`. Integer x gets integer widths (exact for any int)."""
    buckets = bucket_count(max_points)
    integral = isinstance(first, int) and isinstance(last, int)
    span = last - first
    if integral:
        width: float = 1
    elif span > 0:
        width = 2.0 ** math.floor(math.log2(span / buckets))
    else:
        width = 1.0
    while width < at_least:
        width *= 2
    while _floor_div(last, width) - _floor_div(first, width) + 1 > buckets:
        width *= 2
    return width


def grid_bounds(first: int, last: int, width: int) -> list[tuple[int, int]]:
    """The half-open ranges `[lo, hi)` of the aligned buckets of `width` covering
    `first..last` (integer x: what `store/extremes.py` reads)."""
    lo, hi = first // width, last // width
    return [(k * width, (k + 1) * width) for k in range(lo, hi + 1)]


def pick(xs: Any, values: Any, max_points: int, at_least: float = 0) -> tuple[Any, float]:
    """Indices (ascending, into the inputs) of the points to keep, and the bucket width
    used (0 when every point is kept). `xs` sorted ascending; `values` floats, None
    or NaN. At most `max_points` indices. A curve already thinned with buckets of
    `at_least` is thinned again with them (or wider) even when it fits."""
    import numpy as np

    n = len(xs)
    if n <= max_points and not (at_least and n):
        return np.arange(n), 0
    first, last = xs[0], xs[-1]
    if isinstance(first, np.generic):
        first, last = first.item(), last.item()
    width = bucket_width(first, last, max_points, at_least)
    x = np.asarray(xs)
    if x.dtype == object:  # ints past int64, or mixed: leave them to Python
        buckets = np.array([_floor_div(v, width) for v in xs], dtype=object)
    elif np.issubdtype(x.dtype, np.integer) and isinstance(width, int):
        buckets = x // width
    else:
        buckets = np.floor(x.astype(np.float64) / width)
    v = np.asarray(values, dtype=np.float64)
    nan = np.isnan(v)
    low = _firsts(buckets, np.lexsort((v, nan, buckets)))
    high = _firsts(buckets, np.lexsort((-v, nan, buckets)))
    keep = np.unique(np.concatenate((low, high, [0, n - 1])))
    return keep, width


def _firsts(buckets: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The first index of `order` in each run of equal buckets (stable sorts keep
    the earliest point first among ties)."""
    import numpy as np

    b = buckets[order]
    starts = np.concatenate(([True], b[1:] != b[:-1]))
    return order[starts]


def downsample(points: Sequence[Point], max_points: int) -> list[Point]:
    """At most `max_points` of `points` (sorted by step, then id), keeping extremes."""
    if len(points) <= max_points:
        return list(points)
    keep, _ = pick([p.step for p in points], [p.value for p in points], max_points)
    return [points[i] for i in keep.tolist()]


def merge(points: Sequence[Point]) -> list[Point]:
    """Points without duplicates (by id), in step order."""
    unique = {p.id: p for p in points}
    return sorted(unique.values(), key=lambda p: (p.step, p.id))


def thin(steps: Any, values: Any, max_points: int = MAX_POINTS) -> tuple[Any, Any]:
    """`(steps, values)` arrays, sorted by step, at most `max_points` of them."""
    import numpy as np

    steps = np.asarray(steps)
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(steps, kind="stable")
    steps, values = steps[order], values[order]
    keep, _ = pick(steps, values, max_points)
    return steps[keep], values[keep]


def drawable(values: Any) -> Any:
    """`values` as a chart draws them: every non-finite value (NaN, ±inf) a NaN,
    which line charts draw as a break and leave out of the axis range."""
    import numpy as np

    values = np.asarray(values, dtype=np.float64)
    if np.isfinite(values).all():
        return values
    return np.where(np.isfinite(values), values, np.nan)


class Series:
    """One curve, fed in batches, never holding more than `max_points` points: the
    same points `thin` would keep of everything fed so far (buckets only widen)."""

    def __init__(self, max_points: int = MAX_POINTS) -> None:
        import numpy as np

        self.max_points = max_points
        self.width: float = 0
        self.steps = np.empty(0, dtype=np.int64)
        self.values = np.empty(0)
        self.count = 0  # points received
        self.version = 0  # bumped on every change, so views redraw only what moved

    def extend(self, steps: Any, values: Any) -> None:
        import numpy as np

        steps = np.asarray(steps)
        if steps.dtype.kind == "f" and len(steps) and (steps == np.floor(steps)).all():
            steps = steps.astype(np.int64)  # steps logged as whole floats
        values = np.asarray(values, dtype=np.float64)
        self.count += len(values)
        if len(steps) == 0:
            return
        all_steps = np.concatenate((self.steps, steps))
        all_values = np.concatenate((self.values, values))
        if (np.diff(all_steps) < 0).any():  # a step logged out of order
            order = np.argsort(all_steps, kind="stable")
            all_steps, all_values = all_steps[order], all_values[order]
        keep, width = pick(all_steps, all_values, self.max_points, self.width)
        if width:
            self.width = width
            all_steps, all_values = all_steps[keep], all_values[keep]
        self.steps, self.values = all_steps, all_values
        self.version += 1
