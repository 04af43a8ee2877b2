"""A writer's batch of points split by metric, as arrays for the live chart. Pure (numpy)."""

from __future__ import annotations

from operator import itemgetter
from typing import Any


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
