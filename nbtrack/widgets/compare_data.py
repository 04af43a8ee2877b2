"""What a comparison shows, read from the store: the runs (status, params, metric
summaries) and their curves, read incrementally while runs are still running."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from ..query import list_runs, run_ids, store_for
from ..series import Series
from ..store import Store

_LAST_ID = 2**63 - 1  # no upper bound on point ids


class CompareSource:
    """The runs being compared and their curves for one metric at a time."""

    def __init__(self, runs: Any, store: str | Store | None = None) -> None:
        self.store = store_for(store)
        ids = list(dict.fromkeys(run_ids(runs, self.store)))
        self.ids = ids
        self.runs: list[dict[str, Any]] = []
        self.curves: dict[str, dict[str, Series]] = {}  # key -> run id -> curve
        self._cursor: dict[tuple[str, str], int] = {}  # (key, run id) -> last point id read
        self._complete: set[tuple[str, str]] = set()

    def refresh_runs(self) -> list[dict[str, Any]]:
        """Re-read status, params and metric summaries, in the order the runs were given."""
        views = {v.id: v for v in list_runs(self.store, ids=self.ids)}
        # Runs deleted meanwhile drop out.
        self.runs = [views[i].to_dict() for i in self.ids if i in views]
        return self.runs

    @property
    def running(self) -> bool:
        return any(r["status"] == "running" for r in self.runs)

    def read_media(self) -> list[list[dict[str, Any]]]:
        """Each run's media rows (media/records.py), in the order of `runs`."""
        from ..media.records import select

        return [select(self.store, run["id"]) for run in self.runs]

    def read_curves(self, key: str) -> dict[str, Series]:
        """The curves of `key`, one per run, brought up to date with the store. A run
        seen ended before its points were read is complete and never read again."""
        import numpy as np

        curves = self.curves.setdefault(key, {})
        for run in self.runs:
            where = (key, run["id"])
            if where in self._complete:
                continue
            if run["status"] != "running":
                self._complete.add(where)
            # One run's points are written in order by one process: its ids are a cursor.
            points = self.store.points_since(
                run["id"], self._cursor.get(where, 0), _LAST_ID, keys=[key]
            )
            if not points:
                continue
            self._cursor[where] = points[-1][0]
            n = len(points)
            steps = np.fromiter(map(itemgetter(2), points), dtype=np.float64, count=n)
            values = np.fromiter(map(itemgetter(3), points), dtype=np.float64, count=n)
            curves.setdefault(run["id"], Series()).extend(steps, values)
        return curves
