"""A batch of metric points split into its series, at C speed. Pure.

The writer thread holds the GIL whenever it runs Python, and the user's training
loop waits for it then; a per-point Python loop over a 20,000-point batch costs
the loop as much as its own `log()` calls. So a batch is handled as columns (a
`map` of an `itemgetter` each) and each series is found by counting and
slicing, which run in C: a batch from `log(loss=..., acc=...)` calls holds its
keys in a repeating order, and series `j` of `k` is every `k`-th point from
`j`. Any other batch is grouped by a stable sort of its positions.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from itertools import groupby
from math import isnan
from operator import itemgetter
from typing import Any

# One series of a batch: run id, key, the positions of its points in the batch
# and their ranks among the run's points of the batch (both increasing, in the
# order they were logged; the same unless the batch holds several runs).
Series = tuple[str, str, Sequence[int], Sequence[int]]


class Batch(list):  # type: ignore[type-arg]
    """A batch of points that works out its columns and series once, for both
    the summaries (writer.py) and the rows (point_writes.py)."""

    @functools.cached_property
    def columns(self) -> list[tuple[Any, ...]]:
        return _transposed(self)

    @functools.cached_property
    def series(self) -> list[Series]:
        return split(self.columns[0], self.columns[1])


def columns(points: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The batch's columns: run ids, keys, steps, values, times."""
    if isinstance(points, Batch):
        return points.columns
    return _transposed(points)


_FIELDS = [itemgetter(i) for i in range(5)]


def _transposed(points: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    # A column at a time: `zip(*points)` walks every point's iterator once per
    # column, which costs twice as much on a batch scattered in memory.
    return [tuple(map(field, points)) for field in _FIELDS] if points else []


def series(points: Sequence[tuple[Any, ...]]) -> list[Series]:
    """The series of a batch, each once (in no particular order)."""
    if isinstance(points, Batch):
        return points.series
    cols = columns(points)
    return split(cols[0], cols[1]) if cols else []


def split(runs: Sequence[str], keys: Sequence[str]) -> list[Series]:
    """The series of a batch (its run and key columns), each once."""
    n = len(runs)
    if not n:
        return []
    if runs.count(runs[0]) == n:
        return [(runs[0], key, pos, pos) for key, pos in _by_key(keys)]
    out: list[Series] = []
    for run_id in dict.fromkeys(runs):
        where = [i for i in range(n) if runs[i] == run_id]
        for key, ranks in _by_key([keys[i] for i in where]):
            out.append((run_id, key, take(where, ranks), ranks))
    return out


def _by_key(keys: Sequence[str]) -> list[tuple[str, Sequence[int]]]:
    n = len(keys)
    k = len(set(keys))
    if all(keys[j::k].count(keys[j]) == len(range(j, n, k)) for j in range(k)):
        return [(keys[j], range(j, n, k)) for j in range(k)]
    order = sorted(range(n), key=keys.__getitem__)  # stable: logged order within a key
    return [(key, list(pos)) for key, pos in groupby(order, key=keys.__getitem__)]


def take(column: Sequence[Any], positions: Sequence[int]) -> Sequence[Any]:
    """`column`'s items at `positions` (a range slices, in C)."""
    if isinstance(positions, range):
        return column[positions.start : positions.stop : positions.step]
    return list(map(column.__getitem__, positions))


def without_nan(values: Sequence[float]) -> Sequence[float]:
    """`values` with every NaN left out (the same object when there is none)."""
    try:
        # A sum in C is NaN only with a NaN among the values (or +inf and -inf both).
        total = sum(values)
        if total == total or not any(map(isnan, values)):
            return values
    except TypeError:  # a None (a NaN as a journal may hold it)
        pass
    return [v for v in values if v == v and v is not None]
