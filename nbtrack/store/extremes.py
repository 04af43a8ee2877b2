"""The lowest and highest point of each step bucket of one metric key.

The store's form of `nbtrack.series.downsample`, for series too long to send:
per bucket `[lo, hi)`, the point with the lowest and the one with the highest
value, NaN counting as neither (a bucket of only NaN gives its first point),
ties going to the earliest point (by step, then id). The series comes from its
chunks in step order (chunks.py), so a bucket is one slice found by binary
search, and each extreme one numpy reduction over it.

A point's id is its seq (its number within the run).

`tests/server/test_metrics_api.py` checks it against the pure reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Bounds = Sequence[tuple[int, int]]


def bucket_extremes(points: Any, bounds: Bounds) -> list[tuple[int, int, float, float]]:
    """(id, step, value, time) of each bucket's lowest and highest point of `points`
    (chunks.Points of one key, by step), each point once, by step."""
    import numpy as np

    if not len(points) or not bounds:
        return []
    step, value = points.step, points.value
    starts = np.searchsorted(step, [lo for lo, _ in bounds], side="left")
    ends = np.searchsorted(step, [hi for _, hi in bounds], side="left")
    picked: set[int] = set()
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if a >= b:
            continue
        part = value[a:b]
        if np.isnan(part).all():
            picked.add(a)
            continue
        picked.add(a + int(np.nanargmin(part)))
        picked.add(a + int(np.nanargmax(part)))
    return points.take(np.array(sorted(picked), dtype=np.int64)).rows()
