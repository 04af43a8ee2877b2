"""Min/max downsampling of metric series by step buckets. Pure.

A series of more than `max_points` points keeps its first and last point and,
for each of `(max_points - 2) // 2` buckets of equal step width, the point with
the lowest and the one with the highest value: spikes, the envelope and the
global extremes survive; the result has at most `max_points` points, in step
order. NaN values count as neither low nor high (a bucket of only NaN keeps one
as a gap); ±inf are extremes like any other value. Ties go to the earliest
point (by step, then id), so the choice is deterministic.

The server computes the same selection in SQL for long series
(`Store.bucket_extremes`, nbtrack/store/extremes.py); `downsample` here is the
reference, used on points already in memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

MIN_POINTS = 4  # the first and last point and one bucket's low and high


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


def bucket_bounds(first_step: int, last_step: int, buckets: int) -> list[tuple[int, int]]:
    """Half-open step ranges `[lo, hi)` of (at most) `buckets` equal widths covering
    `first_step..last_step`; never an empty range."""
    span = last_step - first_step + 1
    n = max(1, min(buckets, span))
    edges = [first_step + (i * span) // n for i in range(n + 1)]
    return [(edges[i], edges[i + 1]) for i in range(n)]


def low_key(p: Point) -> tuple[bool, float, int, int]:
    return (math.isnan(p.value), p.value, p.step, p.id)


def high_key(p: Point) -> tuple[bool, float, int, int]:
    return (math.isnan(p.value), -p.value, p.step, p.id)


def merge(points: Sequence[Point]) -> list[Point]:
    """Points without duplicates (by id), in step order."""
    unique = {p.id: p for p in points}
    return sorted(unique.values(), key=lambda p: (p.step, p.id))


def downsample(points: Sequence[Point], max_points: int) -> list[Point]:
    """At most `max_points` of `points` (sorted by step, then id), keeping extremes."""
    if len(points) <= max_points:
        return list(points)
    bounds = bucket_bounds(points[0].step, points[-1].step, bucket_count(max_points))
    kept = [points[0], points[-1]]
    i = 0
    for _lo, hi in bounds:
        start = i
        while i < len(points) and points[i].step < hi:
            i += 1
        if i > start:
            bucket = points[start:i]
            kept.append(min(bucket, key=low_key))
            kept.append(min(bucket, key=high_key))
    return merge(kept)
