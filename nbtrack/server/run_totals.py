"""How many runs match a filter, without recounting every run on every poll.

Counting the runs that match `lr<0.1` reads every matching run (65 ms and more at
100,000 runs); the panel asks for that `total` on every poll. Most runs are
*settled*: finished long ago, they no longer change. So the first count of a
filter is split, in one statement, into the settled runs and the few that may
still change (`run_query.changed_since(boundary)`: running, or started, ended or
beating since the boundary less its slacks); later counts add the settled part,
kept, to a fresh count of the changeable runs, found by index ranges and checked
one by one. That set only grows (a run that starts, ends or crashes after the
boundary falls in it), so live runs always count exactly.

What the split cannot see: settled runs edited, deleted or imported by another
process. Edits and deletes through this server clear the cache (`clear`); for
the others a count is redone after `ttl` seconds, or when the changeable set
has grown past `max_changeable` runs.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from typing import Any, NamedTuple

from ..store.run_list import RUNS
from . import run_query
from .runfilter import Term

TTL_S = 30.0
MAX_CHANGEABLE = 2000
MAX_FILTERS = 64


class _Split(NamedTuple):
    settled: int  # matching runs outside changed_since(boundary) when counted
    boundary: float
    counted_at: float


class RunTotals:
    """Matching-run counts per filter, for one store."""

    def __init__(self, ttl: float = TTL_S, max_changeable: int = MAX_CHANGEABLE) -> None:
        self.ttl = ttl
        self.max_changeable = max_changeable
        self._splits: dict[Hashable, _Split] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every count (after an edit or a delete of runs)."""
        with self._lock:
            self._splits.clear()

    def boundary(
        self, terms: Sequence[Term], statuses: Sequence[str] | None, now: float
    ) -> float | None:
        """The time whose changed runs `count` would recount for this filter (the runs
        `run_query.changed_since(boundary)`), None when it would count afresh."""
        with self._lock:
            split = self._splits.get(_key(terms, statuses))
        if split is not None and 0 <= now - split.counted_at <= self.ttl:
            return split.boundary
        return None

    def count(
        self,
        store: Any,
        terms: Sequence[Term],
        statuses: Sequence[str] | None,
        now: float,
        changeable: Sequence[str] | None = None,
    ) -> int:
        """The number of runs that match `terms` and `statuses` now. `changeable`: the
        ids of the runs changed since `boundary(...)`, when the caller found them."""
        key = _key(terms, statuses)
        with self._lock:
            split = self._splits.get(key)
        if split is not None and 0 <= now - split.counted_at <= self.ttl:
            ids = changeable
            if ids is None:
                ids = store.run_ids([run_query.changed_since(split.boundary)])
            if len(ids) <= self.max_changeable:
                if not ids:
                    return split.settled
                where = run_query.conditions(terms, statuses, now, correlated=True)
                return split.settled + store.count_runs([RUNS.c.id.in_(ids), *where])
        ids = run_query.param_ids(terms, statuses)
        if ids is not None:
            total, changeable_count = store.count_ids_split(ids, run_query.changed_ids(now))
        else:
            where = run_query.conditions(terms, statuses, now)
            total, changeable_count = store.count_runs_split(where, run_query.changed_since(now))
        with self._lock:
            if len(self._splits) >= MAX_FILTERS:
                self._splits.clear()
            self._splits[key] = _Split(total - changeable_count, now, now)
        return total


def _key(terms: Sequence[Term], statuses: Sequence[str] | None) -> Hashable:
    return (tuple(terms), tuple(statuses or ()))
