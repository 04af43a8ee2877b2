"""Bounded curves for charts: min/max downsampling by step buckets. Pure (numpy).

A chart never needs more than a few points per pixel. `minmax_reduce` keeps, for
every bucket of `width` steps, the point with the lowest and the one with the
highest value, so spikes and the curve's envelope survive. `Series` applies it
as points stream in, doubling the bucket width whenever the curve would exceed
its budget: old and new parts of a curve keep the same resolution.
"""

from __future__ import annotations

import math
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MAX_POINTS = 2000


def minmax_reduce(steps: np.ndarray, values: np.ndarray, width: float) -> tuple[Any, Any]:
    """For each bucket `floor(step / width)`, the lowest- and highest-valued points,
    plus the first and the last point, in step order. Values must be finite."""
    import numpy as np

    steps = np.asarray(steps, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if len(steps) == 0:
        return steps, values
    buckets = np.floor(steps / width)
    order = np.lexsort((values, buckets))  # by bucket, then by value
    sorted_buckets = buckets[order]
    edges = np.flatnonzero(np.diff(sorted_buckets)) + 1
    firsts = np.concatenate(([0], edges))
    lasts = np.concatenate((edges - 1, [len(order) - 1]))
    ends = [np.argmin(steps), len(steps) - 1 - np.argmax(steps[::-1])]
    keep = np.union1d(np.union1d(order[firsts], order[lasts]), ends)  # input indices
    kept_steps, kept_values = steps[keep], values[keep]
    by_step = np.argsort(kept_steps, kind="stable")
    return kept_steps[by_step], kept_values[by_step]


def width_for(span: float, max_points: int) -> float:
    """The smallest power-of-two bucket width that keeps a curve spanning `span`
    steps within `max_points` points (at most two per bucket)."""
    buckets = max(1, max_points // 2 - 3)  # two partial buckets, and the two ends
    if span <= buckets:
        return 1.0
    return float(2 ** math.ceil(math.log2(span / buckets)))


def downsample(steps: Any, values: Any, max_points: int = MAX_POINTS) -> tuple[Any, Any]:
    """At most `max_points` points of the curve, keeping each bucket's extremes.
    Non-finite values (NaN, ±inf) are left out: they cannot be drawn."""
    import numpy as np

    steps = np.asarray(steps, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values) & np.isfinite(steps)
    if not finite.all():
        steps, values = steps[finite], values[finite]
    if len(steps) <= max_points:
        order = np.argsort(steps, kind="stable")
        return steps[order], values[order]
    width = width_for(float(steps.max() - steps.min()), max_points)
    while True:
        steps_out, values_out = minmax_reduce(steps, values, width)
        if len(steps_out) <= max_points:
            return steps_out, values_out
        width *= 2


class Series:
    """One curve, fed in batches, never holding more than `max_points` points."""

    def __init__(self, max_points: int = MAX_POINTS) -> None:
        import numpy as np

        self.max_points = max_points
        self.width = 1.0
        self.steps = np.empty(0)
        self.values = np.empty(0)
        self.count = 0  # points received, drawable or not
        self.version = 0  # bumped on every change, so views redraw only what moved

    def extend(self, steps: Any, values: Any) -> None:
        import numpy as np

        steps = np.asarray(steps, dtype=np.float64)
        values = np.asarray(values, dtype=np.float64)
        self.count += len(values)
        finite = np.isfinite(values)
        if not finite.all():
            steps, values = steps[finite], values[finite]
        if len(steps) == 0:
            return
        all_steps = np.concatenate((self.steps, steps))
        all_values = np.concatenate((self.values, values))
        if len(all_steps) > self.max_points:
            span = float(all_steps.max() - all_steps.min())
            self.width = max(self.width, width_for(span, self.max_points))
            while True:
                all_steps, all_values = minmax_reduce(all_steps, all_values, self.width)
                if len(all_steps) <= self.max_points:
                    break
                self.width *= 2
        elif (np.diff(all_steps) < 0).any():  # a step logged out of order
            order = np.argsort(all_steps, kind="stable")
            all_steps, all_values = all_steps[order], all_values[order]
        self.steps, self.values = all_steps, all_values
        self.version += 1


def group_points(points: list[tuple[str, str, int, float, float]]) -> dict[str, tuple[Any, Any]]:
    """Writer points `(run_id, key, step, value, time)` as {key: (steps, values)} arrays,
    keys in order of first appearance."""
    import numpy as np

    if not points:
        return {}
    n = len(points)
    keys = list(map(itemgetter(1), points))  # map+itemgetter: zip(*points) is 30x slower
    step_arr = np.fromiter(map(itemgetter(2), points), dtype=np.float64, count=n)
    value_arr = np.fromiter(map(itemgetter(3), points), dtype=np.float64, count=n)
    names = list(dict.fromkeys(keys))
    if len(names) == 1:
        return {names[0]: (step_arr, value_arr)}
    key_arr = np.array(keys, dtype=object)
    out = {}
    for name in names:
        mask = key_arr == name
        out[name] = (step_arr[mask], value_arr[mask])
    return out
