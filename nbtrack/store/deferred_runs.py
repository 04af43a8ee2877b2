"""Runs whose row waits for the store's next write transaction.

A sweep's function trial (`begin_run(defer=True)`) does not write its run's row
when it starts: the row goes in the first write transaction of its store, with
the first points the writer flushes, or with the run's end (a short trial: one
transaction in all). Every write transaction of the store (points, an update,
tags, an artifact) takes the waiting rows first, so nothing is written about a
run before its row. `Store.writing` and `SqliteStore._transaction` call
`insert` inside their transaction and `done` once it committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class DeferredRuns:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        #: run id -> (seq, name), once its row is in the store
        self.created: dict[str, tuple[int, str]] = {}
        # Held for a transaction that inserts rows: other threads' transactions
        # start after it committed, so they see the rows.
        self.lock = threading.RLock()
        self._inserting = threading.local()

    def add(self, row: dict[str, Any]) -> None:
        with self.lock:
            self.rows[row["id"]] = row

    def waiting(self) -> bool:
        """Rows wait, and this thread is not inserting them already."""
        return bool(self.rows) and not getattr(self._inserting, "on", False)

    def insert(self, create: Callable[[dict[str, Any]], tuple[int, str]]) -> dict[str, Any]:
        """Insert the waiting rows with `create` (inside the caller's transaction,
        under `lock`); what `done` takes once it committed."""
        self._inserting.on = True
        return {run_id: create(row) for run_id, row in list(self.rows.items())}

    def done(self, made: dict[str, Any], committed: bool) -> None:
        self._inserting.on = False
        if committed:
            for run_id, seq_name in made.items():
                self.rows.pop(run_id, None)
                self.created[run_id] = seq_name

    def take(self, run_id: str) -> dict[str, Any] | None:
        """The row of `run_id` if it still waits, no longer waiting (it goes to the
        journal with the run's end: the store was away)."""
        with self.lock:
            return self.rows.pop(run_id, None)

    def seq_name(self, run_id: str) -> tuple[int, str] | None:
        with self.lock:
            return self.created.pop(run_id, None)


class DeferringStore:
    """What both stores (SQLAlchemy's and the stdlib SQLite one) offer over their
    `_deferred` (a DeferredRuns) to `tracking`."""

    _deferred: DeferredRuns

    def defer_run(self, values: dict[str, Any]) -> None:
        """Insert this run (as `create_run` takes it) with the next write transaction."""
        self._deferred.add(values)

    def deferred_created(self, run_id: str) -> tuple[int, str] | None:
        """(seq, name) of a deferred run once its row is in the store."""
        return self._deferred.seq_name(run_id)

    def take_deferred(self, run_id: str) -> dict[str, Any] | None:
        return self._deferred.take(run_id)
