"""The batched metric writer: `log()` appends to a queue, a thread flushes it.

Points wait in memory for at most FLUSH_INTERVAL_S; a run's end, failure, and
interpreter exit flush synchronously. Summaries (last/min/max/count per key)
are maintained here, so reading a run table never scans points. A failed
write puts its batch back: nothing is lost, it is retried on the next flush.
"""

from __future__ import annotations

import atexit
import math
import os
import sys
import threading
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import StoreError
from .store import Store

FLUSH_INTERVAL_S = 0.2
HEARTBEAT_INTERVAL_S = 2.0

Point = tuple[str, str, int, float, float]  # run_id, key, step, value, wall time
Subscriber = Callable[[list[Point]], None]

_writers: weakref.WeakSet[MetricWriter] = weakref.WeakSet()


class MetricWriter:
    def __init__(self, store: Store, interval: float = FLUSH_INTERVAL_S) -> None:
        self.store = store
        self.interval = interval
        self.queue: deque[Point] = deque()
        self.live: set[str] = set()
        self.error: StoreError | None = None
        self._summaries: dict[tuple[str, str], list[Any]] = {}
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = 0.0
        # Copy-on-write, so flushes read it without a lock: {run_id: (callbacks...)}.
        self._subscribers: dict[str, tuple[Subscriber, ...]] = {}
        self._subscribers_lock = threading.Lock()
        _writers.add(self)

    # -- lifecycle of the runs it serves --------------------------------------------

    def watch(self, run_id: str) -> None:
        """Start beating the heart of `run_id` and make sure the flusher runs."""
        self.live.add(run_id)
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="nbtrack-writer", daemon=True)
            self._thread.start()

    def release(self, run_id: str) -> None:
        """Flush everything of `run_id` and stop beating its heart."""
        try:
            self.flush()
        finally:
            with self._flush_lock:  # the flusher thread updates the summaries too
                self.live.discard(run_id)
                for key in [k for k in self._summaries if k[0] == run_id]:
                    del self._summaries[key]
            with self._subscribers_lock:
                self._subscribers = {k: v for k, v in self._subscribers.items() if k != run_id}

    # -- subscribers (live views) ---------------------------------------------------

    def subscribe(self, run_id: str, callback: Subscriber) -> None:
        """Call `callback(points)` with `run_id`'s points after each batch is written,
        on the writer's thread (or the one flushing), in the order they were logged.
        Keep it quick: it runs while the next batch waits. A callback that raises is
        dropped with a warning. Subscriptions end when the run is released."""
        with self._subscribers_lock:
            subs = dict(self._subscribers)
            subs[run_id] = (*subs.get(run_id, ()), callback)
            self._subscribers = subs

    def unsubscribe(self, run_id: str, callback: Subscriber) -> None:
        with self._subscribers_lock:
            subs = dict(self._subscribers)
            left = tuple(c for c in subs.get(run_id, ()) if c != callback)
            if left:
                subs[run_id] = left
            else:
                subs.pop(run_id, None)
            self._subscribers = subs

    def _notify(self, batch: list[Point]) -> None:
        subs = self._subscribers
        for run_id, callbacks in subs.items():
            points = batch if len(subs) == 1 and len(self.live) <= 1 else None
            if points is None or points[0][0] != run_id or points[-1][0] != run_id:
                points = [p for p in batch if p[0] == run_id]
            if not points:
                continue
            for callback in callbacks:
                try:
                    callback(points)
                except Exception as exc:  # a broken view must never stop the writer
                    self.unsubscribe(run_id, callback)
                    warnings.warn(
                        f"nbtrack: a live view of run {run_id} failed and was detached: "
                        f"{type(exc).__name__}: {exc}",
                        RuntimeWarning,
                        stacklevel=1,
                    )

    # -- flushing -------------------------------------------------------------------

    def flush(self) -> None:
        """Write every queued point now. Raises StoreError if the store refuses;
        the points stay queued for the next attempt."""
        with self._flush_lock:
            queue = self.queue
            n = len(queue)
            batch = [queue.popleft() for _ in range(n)]
            now = time.time()
            beat = None
            if self.live and now - self._last_beat >= HEARTBEAT_INTERVAL_S:
                beat = (sorted(self.live), now)
            if not batch and beat is None:
                return
            updated = self._summarise(batch)
            try:
                self.store.write_batch(batch, updated, beat)
            except StoreError as exc:
                queue.extendleft(reversed(batch))
                self.error = exc
                raise
            self._summaries.update(updated)
            self.error = None
            if beat is not None:
                self._last_beat = now
            if batch and self._subscribers:
                self._notify(batch)

    def _summarise(self, batch: list[Point]) -> dict[tuple[str, str], list[Any]]:
        """New summaries for the keys in batch, leaving the current ones untouched."""
        updated: dict[tuple[str, str], list[Any]] = {}
        current = self._summaries
        for run_id, key, step, value, _ in batch:
            k = (run_id, key)
            s = updated.get(k)
            if s is None:
                prev = current.get(k)
                s = updated[k] = list(prev) if prev else [value, step, math.nan, math.nan, 0]
            s[0] = value
            s[1] = step
            if value == value:  # NaN never becomes a min or max
                if not value >= s[2]:
                    s[2] = value
                if not value <= s[3]:
                    s[3] = value
            s[4] += 1
        return updated

    def _loop(self) -> None:
        warned = False
        while not self._stop.wait(self.interval):
            try:
                self.flush()
                warned = False
            except StoreError as exc:
                if not warned:
                    warnings.warn(f"nbtrack: {exc} (will retry)", RuntimeWarning, stacklevel=1)
                    warned = True

    def close(self) -> None:
        self._stop.set()
        self.flush()

    def _after_fork_in_child(self) -> None:
        """In a forked child (a DataLoader worker, a multiprocessing pool): the
        parent's queued points stay the parent's to write; the child gets fresh
        locks and, if a run is active, its own flusher for what it logs."""
        self.queue.clear()
        self._flush_lock = threading.Lock()
        self._subscribers_lock = threading.Lock()
        self._subscribers = {}  # live views belong to the parent's kernel
        self._stop = threading.Event()
        self._thread = None
        if self.live:
            self.watch(next(iter(self.live)))


def _after_fork_in_child() -> None:
    for writer in list(_writers):
        writer._after_fork_in_child()
    if "multiprocessing" in sys.modules:
        # multiprocessing children end with os._exit(), skipping atexit, but run
        # multiprocessing's finalizers first. Its child start-up clears them
        # right after this hook, then runs its after-fork callbacks: register
        # the flush from there.
        from multiprocessing import util

        util.register_after_fork(_after_fork_in_child, _flush_at_multiprocessing_exit)


def _flush_at_multiprocessing_exit(_: object) -> None:
    from multiprocessing import util

    util.Finalize(None, _flush_all_at_exit, exitpriority=100)


def live_run_ids() -> set[str]:
    """Runs this process is recording right now (their hearts beat here)."""
    return {run_id for writer in list(_writers) for run_id in writer.live}


def _flush_all_at_exit() -> None:
    for writer in list(_writers):
        try:
            writer.close()
        except StoreError as exc:
            print(f"nbtrack: could not flush metrics at exit: {exc}")


atexit.register(_flush_all_at_exit)
os.register_at_fork(after_in_child=_after_fork_in_child)
