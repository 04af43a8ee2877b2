"""`nbtrack.series.downsample` over a series' numpy columns, for series too
long to make a Python object of every point: the first and last point and, per
bucket `[lo, hi)`, the point with the lowest and the one with the highest value,
NaN counting as neither (a bucket of only NaN gives its first point), ties going
to the earliest point (by step, then id). The series comes from its
chunks in step order (chunks.py), so a bucket is one slice found by binary
search, and each extreme is found for all buckets at once (numpy's reduceat
over the buckets' points laid side by side).

A point's id is its seq (its number within the run).

`tests/server/test_metrics_api.py` checks it against the pure reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..series import bucket_width, grid_bounds

Bounds = Sequence[tuple[int, int]]


def downsampled(points: Any, max_points: int) -> list[tuple[int, int, float, float]]:
    """`nbtrack.series.downsample` of `points` (chunks.Points of one key, by step)
    as (id, step, value, time) rows: the first and last point and each bucket's
    extremes, each point once, by step. Only the picked points become Python
    objects."""
    import numpy as np

    n = len(points)
    if n <= max_points:
        return points.rows()
    first, last = int(points.step[0]), int(points.step[-1])
    bounds = grid_bounds(first, last, int(bucket_width(first, last, max_points)))
    picked = np.concatenate(([0, n - 1], _extremes(points, bounds)))
    return points.take(np.unique(picked)).rows()


def _extremes(points: Any, bounds: Bounds) -> Any:
    """Positions in `points` of each bucket's lowest and highest point (repeats
    possible)."""
    import numpy as np

    none = np.array([], dtype=np.int64)
    if not len(points) or not bounds:
        return none
    step, value = points.step, points.value
    starts = np.searchsorted(step, [lo for lo, _ in bounds], side="left")
    ends = np.searchsorted(step, [hi for _, hi in bounds], side="left")
    full = starts < ends
    starts, ends = starts[full], ends[full]
    if not len(starts):
        return none
    # The buckets' points side by side, each bucket one segment starting at `firsts`:
    # every reduction below is one numpy call over all buckets, not one per bucket.
    lengths = ends - starts
    firsts = np.cumsum(lengths) - lengths
    where = np.repeat(starts - firsts, lengths) + np.arange(int(lengths.sum()))
    part = value[where]
    lows = _first_at(part, np.fmin.reduceat(part, firsts), firsts, lengths)
    highs = _first_at(part, np.fmax.reduceat(part, firsts), firsts, lengths)
    return where[np.concatenate((lows, highs))]


def _first_at(part: Any, extreme: Any, firsts: Any, lengths: Any) -> Any:
    """Per segment, the position of its first value equal to the segment's
    `extreme` (NaN-free when the segment has a number: fmin and fmax skip NaN);
    a segment of only NaN gives its first position."""
    import numpy as np

    hit = np.arange(len(part))
    hit[part != np.repeat(extreme, lengths)] = len(part)
    first = np.minimum.reduceat(hit, firsts)
    return np.where(first == len(part), firsts, first)
