"""What a comparison shows, read from the store: the runs (status, params, metric
summaries) and their curves, read incrementally while runs are still running."""

from __future__ import annotations

import time
from operator import itemgetter
from typing import Any

from ..query import reap_crashed, run_ids, store_for
from ..series import Series
from ..store import Store

_LAST_ID = 2**63 - 1  # no upper bound on point ids
RUN_COLUMNS = ["id", "name", "stem", "seq", "status", "start_time", "end_time", "params"]


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
        reap_crashed(self.store)
        rows = {r["id"]: r for r in self.store.select_runs(ids=self.ids, columns=RUN_COLUMNS)}
        summaries = self.store.summaries(self.ids)
        now = time.time()
        runs = []
        for run_id in self.ids:
            r = rows.get(run_id)
            if r is None:  # deleted meanwhile
                continue
            end = r["end_time"]
            runs.append(
                {
                    "id": run_id,
                    "name": r["name"],
                    "ref": f"{r['stem']}#{r['seq']}",
                    "status": r["status"],
                    "duration": (end if end is not None else now) - r["start_time"],
                    "params": r["params"],
                    "metrics": summaries.get(run_id, {}),
                }
            )
        self.runs = runs
        return runs

    @property
    def running(self) -> bool:
        return any(r["status"] == "running" for r in self.runs)

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
