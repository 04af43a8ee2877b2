"""The batched metric writer: `log()` appends to a queue, a thread flushes it.

Points wait in memory at most FLUSH_INTERVAL_S before the thread writes them;
a run's end, failure and interpreter exit flush synchronously. The backlog is
bounded: when it holds MAX_BACKLOG_POINTS points, or its oldest point is older
than MAX_BACKLOG_AGE_S, `log()` waits for the writer (backpressure), so memory
stays flat whatever the logging rate and a SIGKILL loses at most the bound.
`log()` checks both bounds with two comparisons: `room` (the points the queue
may hold now) and `due` (when its oldest point turns too old, never later).

The thread never dies and never retries a poison batch forever:
- rows the store refuses for their content are found by splitting the batch,
  dropped with a warning naming key and step, and the rest is written;
- when the store is away (unreachable, locked, disk full) the batch is kept,
  then spilled to a local journal (`journal.py`) that any nbtrack process
  replays once the store is back; the attempts back off;
- a SQLite store file deleted or replaced under a running run is detected and
  reported at once; later points go to the new file, with the run re-created.

Summaries (last/min/max/count per key) are maintained here, so reading a run
table never scans points, and they survive failed writes.
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
from itertools import islice
from typing import TYPE_CHECKING, Any

from ..errors import StoreError
from .batch_series import Batch, columns, series, take, without_nan
from .failures import is_disk_full, is_transient
from .journal import Journal
from .urls import mask_text

if TYPE_CHECKING:
    from .store import Store

# Short: a live run keeps its backlog small, so what is left to write when it ends
# (finish) is a few hundredths of a second of points. A WAL commit costs ~0.1 ms.
FLUSH_INTERVAL_S = 0.05
RETRY_START_S = 0.2
HEARTBEAT_INTERVAL_S = 2.0
MAX_BACKLOG_POINTS = 20_000
MIN_BACKLOG_POINTS = 1_000
MAX_BACKLOG_AGE_S = 1.0
# The backlog bound follows the store's measured write rate, so that writing
# what is left at a run's end takes about this long, whatever the machine's load.
END_FLUSH_TARGET_S = 0.3
RETRY_MAX_S = 5.0
END_GRACE_S = 5.0
MAX_REFUSED_PER_FLUSH = 20

Point = tuple[str, str, int, float, float]  # run_id, key, step, value, wall time
Subscriber = Callable[[list[Point]], None]

_writers: weakref.WeakSet[MetricWriter] = weakref.WeakSet()


class _Away(Exception):
    """The store is away; the first `done` points of the batch were written."""

    def __init__(self, error: StoreError) -> None:
        super().__init__(str(error))
        self.error = error
        self.done = 0


class Release:
    """How the end of a run's writing went. (A plain class, not a dataclass:
    importing dataclasses loads inspect and ast, a cost every cold start paid.)"""

    def __init__(self) -> None:
        self.written = True  # every point it kept is in the store
        self.journaled = 0  # points kept in the journal, to be written when the store is back
        self.lost = 0  # points neither the store nor the journal could take
        self.rejected = 0  # points the store refused for their content
        self.error: StoreError | None = None
        self.journal: str | None = None
        self.summaries: dict[str, dict[str, Any]] = {}
        self.ended = False  # the run's end (release's `end`) went with its last points


class MetricWriter:
    def __init__(
        self,
        store: Store,
        interval: float = FLUSH_INTERVAL_S,
        journal: Journal | None = None,
        max_points: int = MAX_BACKLOG_POINTS,
        max_age: float = MAX_BACKLOG_AGE_S,
    ) -> None:
        self.store = store
        self.interval = interval
        self.journal = journal
        self.limit_points = max_points  # the bound never grows past this
        self._max_points = max_points
        self._in_flight = 0
        #: How many points the queue may hold before log() waits: the bound less
        #: the points being written (kept in step by the two properties below).
        self.room = max_points
        self._max_age = max_age
        #: time.time() by which log() must look at the backlog's age: when the
        #: oldest queued point turns max_age old, or earlier (then make_room finds
        #: the backlog young and sets it again). Only threads that log set it:
        #: log() when its point is the only one queued, make_room from the queue.
        self.due = math.inf
        self.rate: float | None = None  # points/s the store took lately
        self.queue: deque[Point] = deque()
        self.live: set[str] = set()
        self.error: StoreError | None = None  # set while the store is failing
        self.high_water = 0  # the largest backlog seen (benchmarks report it)
        self.lost: dict[str, int] = {}
        self.rejected: dict[str, int] = {}
        self.journaled: dict[str, int] = {}
        self._journal_path: str | None = None
        self._journal_pending = journal is not None and bool(journal.pending())
        self._summaries: dict[tuple[str, str], list[Any]] = {}
        self._run_rows: dict[str, dict[str, Any]] = {}
        # Ends to write with the runs' last points ({run id: values}), and those written.
        self._ends: dict[str, dict[str, Any]] = {}
        self._ended: set[str] = set()
        self._identity = store.file_identity()
        self._flush_lock = threading.Lock()
        self._room = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = 0.0
        #: time.monotonic() before which the thread does not flush (`hold`).
        self._hold_until = 0.0
        self._retry_at = 0.0
        self._retry_wait = RETRY_START_S
        self._warned_transient = False
        self._refused_now = 0
        self._checkpoint_due = False
        # Copy-on-write, so flushes read it without a lock: {run_id: (callbacks...)}.
        self._subscribers: dict[str, tuple[Subscriber, ...]] = {}
        self._subscribers_lock = threading.Lock()
        _writers.add(self)

    @property
    def max_points(self) -> int:
        """The backlog's bound in points now (it follows the store's write rate)."""
        return self._max_points

    @max_points.setter
    def max_points(self, value: int) -> None:
        self._max_points = value
        self.room = value - self._in_flight

    @property
    def max_age(self) -> float:
        """The backlog's bound in age (seconds of its oldest point)."""
        return self._max_age

    @max_age.setter
    def max_age(self, value: float) -> None:
        self._max_age = value
        self.due = -math.inf  # the next log() has make_room work it out again

    @property
    def in_flight(self) -> int:
        """Points taken from the queue and being written."""
        return self._in_flight

    @in_flight.setter
    def in_flight(self, value: int) -> None:
        self._in_flight = value
        self.room = self._max_points - value

    # -- lifecycle of the runs it serves --------------------------------------------

    def watch(self, run_id: str, row: dict[str, Any] | None = None) -> None:
        """Start beating the heart of `run_id` and make sure the flusher runs. `row`
        (the run as created) lets the writer re-create it in a replaced store file."""
        self.live.add(run_id)
        if row is not None:
            self._run_rows[run_id] = row
        self._ensure_thread()

    def hold(self, seconds: float) -> None:
        """The thread flushes nothing for `seconds` (a deferred run's first points
        wait for its end, to go in one transaction with its row and its end, unless
        it runs longer); `flush`, `release` and backpressure still write at once."""
        self._hold_until = time.monotonic() + seconds

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="nbtrack-writer", daemon=True)
            self._thread.start()

    def release(
        self, run_id: str, grace: float | None = None, end: dict[str, Any] | None = None
    ) -> Release:
        """Write everything of `run_id` (waiting up to `grace` seconds for a store
        that is away), stop beating its heart, and say how it went. Never raises
        for the store: what it could not write is journaled or counted as lost.
        `end`: the run's final values (as `update_run` takes them), written in the
        transaction of its last points; `ended` says whether they were."""
        outcome = Release()
        self._hold_until = 0.0
        if end is not None:
            with self._flush_lock:
                self._ends[run_id] = end
        if self.journal is not None and not self._journal_pending and self.journal.pending():
            # Points a forked worker could not write went to the journal when it
            # ended: write them with the run's end, not whenever a later run starts.
            self._journal_pending = True
        deadline = time.monotonic() + (END_GRACE_S if grace is None else grace)
        wait = 0.1
        while True:
            try:
                self.flush()
                break
            except StoreError as exc:
                outcome.error = exc
                if time.monotonic() >= deadline:
                    self._spill_queue()
                    break
                time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
                wait = min(wait * 2, 1.0)
        with self._flush_lock:  # the flusher thread updates these too
            if not self.error:
                outcome.error = None
            outcome.written = self.error is None and not self.journaled.get(run_id)
            outcome.journaled = self.journaled.pop(run_id, 0)
            outcome.lost = self.lost.pop(run_id, 0) + sum(1 for p in self.queue if p[0] == run_id)
            if outcome.lost and self.queue:
                self.queue = deque(p for p in self.queue if p[0] != run_id)
            outcome.rejected = self.rejected.pop(run_id, 0)
            outcome.journal = self._journal_path if outcome.journaled else None
            outcome.ended = run_id in self._ended
            self._ended.discard(run_id)
            self._ends.pop(run_id, None)  # not written: the caller records the end
            outcome.summaries = {
                key: dict(zip(("last", "last_step", "min", "max", "count"), s, strict=True))
                for (rid, key), s in self._summaries.items()
                if rid == run_id
            }
            self.live.discard(run_id)
            self._run_rows.pop(run_id, None)
            # The last run of this process ended: the thread folds the WAL into
            # the database file, off the cell's time.
            self._checkpoint_due = not self.live
            for key in [k for k in self._summaries if k[0] == run_id]:
                del self._summaries[key]
        with self._subscribers_lock:
            self._subscribers = {k: v for k, v in self._subscribers.items() if k != run_id}
        return outcome

    def journal_update(
        self, run_id: str, values: dict[str, Any], create: dict[str, Any] | None = None
    ) -> str | None:
        """Keep a run's final update in the journal when the store cannot take it
        (with `create`, the row of a deferred run never written, inserted first when
        missing). Returns the journal file, or None when it cannot be written either."""
        if self.journal is None:
            return None
        record: dict[str, Any] = {"update": run_id, "values": values}
        if create is not None:
            record["create"] = create
        with self._flush_lock:
            try:
                path = self.journal.append([record])
            except OSError:
                return None
            self._journal_pending = True
        self._ensure_thread()
        return str(path)

    # -- backpressure -----------------------------------------------------------------

    def make_room(self) -> None:
        """Called by `log()` when the backlog reached its bound: wait until the
        writer has taken it, or, while the store is away, keep the newest points
        within the bound (the writer journals the rest)."""
        backlog = len(self.queue) + self.in_flight
        if backlog > self.high_water:
            self.high_water = backlog
        if self.error is not None:
            self._drop_overflow()
        else:
            self._ensure_thread()
            self._wake.set()
            with self._room:
                while self.error is None and self._over_bound():
                    if not self._room.wait(0.5) and not self._thread_alive():
                        break
            if not self._thread_alive():
                self._flush_quietly()
        try:
            self.due = self.queue[0][4] + self.max_age
        except IndexError:  # what log() queues next is younger than now
            self.due = time.time() + self.max_age

    def _over_bound(self) -> bool:
        queue = self.queue
        if len(queue) + self.in_flight >= self.max_points:
            return True
        return bool(queue) and time.time() - queue[0][4] > self.max_age

    def _thread_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _drop_overflow(self) -> None:
        """Store away and journal full too: drop the newest points beyond twice the
        bound, counting them per run, so memory stays bounded."""
        queue = self.queue
        excess = len(queue) - 2 * self.limit_points
        if excess <= 0:
            return
        with self._room:
            for _ in range(excess):
                try:
                    run_id = queue.pop()[0]
                except IndexError:
                    break
                self.lost[run_id] = self.lost.get(run_id, 0) + 1

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
        """Write every queued point now. Raises StoreError while the store is away;
        the points stay queued (in order) for the next attempt. Rows refused for
        their content are dropped with a warning, never retried."""
        with self._flush_lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        queue = self.queue
        n = len(queue)
        batch = Batch(islice(iter(queue.popleft, None), n))
        self.in_flight = n
        ends = dict(self._ends)
        try:
            now = time.time()
            beat = None
            if self.live and now - self._last_beat >= HEARTBEAT_INTERVAL_S:
                beat = (sorted(self.live), now)
            if not batch and beat is None and not ends and not self._journal_pending:
                return
            self._refused_now = 0
            started = time.perf_counter()
            try:
                self._check_store_file()
                if self._journal_pending:
                    self._replay_journal()
                self._write(batch, beat, ends)
            except _Away as away:
                queue.extendleft(reversed(batch[away.done :]))
                self._failed(away.error)
                raise away.error from away.__cause__
            except StoreError as exc:
                queue.extendleft(reversed(batch))
                self._failed(exc)
                raise
            except Exception as exc:  # anything else is a transient we did not foresee
                queue.extendleft(reversed(batch))
                error = StoreError(f"writing to the store failed: {type(exc).__name__}: {exc}")
                self._failed(error)
                raise error from exc
            for run_id in ends:
                del self._ends[run_id]
                self._ended.add(run_id)
            if self.error is not None:
                self._recovered()
            if beat is not None:
                self._last_beat = now
            if n >= MIN_BACKLOG_POINTS // 2:
                self._adapt_bound(n / max(time.perf_counter() - started, 1e-6))
        finally:
            self.in_flight = 0
            with self._room:
                self._room.notify_all()

    def _adapt_bound(self, rate: float) -> None:
        self.rate = rate if self.rate is None else 0.7 * self.rate + 0.3 * rate
        target = int(self.rate * END_FLUSH_TARGET_S)
        self.max_points = max(MIN_BACKLOG_POINTS, min(self.limit_points, target))

    def _write(
        self,
        batch: list[Point],
        beat: tuple[list[str], float] | None,
        ends: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Write `batch` (and `ends`, after it); on a refusal for content, split it
        to find and drop the offending rows. Store-away errors propagate as _Away,
        saying how many of the batch's first points were written before."""
        if not batch and beat is None and not ends:
            return  # only the journal was due: it is written, nothing else to ask
        updated = self._summarise(batch)
        try:
            self.store.write_batch(batch, updated, beat, ends)
        except Exception as exc:
            if is_transient(exc):
                raise _Away(self._as_store_error(exc)) from exc
            if ends:  # perhaps the ends refused: the points go alone, the caller ends the runs
                ends.clear()
                self._write(batch, beat)
                return
            if len(batch) <= 1:
                self._refused_now += 1
                if self._refused_now > MAX_REFUSED_PER_FLUSH:
                    # Row after row refused: the store, not the rows, is the problem.
                    raise _Away(self._as_store_error(exc)) from exc
                self._reject(batch, exc)
                if beat is not None or ends:
                    self._write([], beat, ends)
                return
            half = len(batch) // 2
            self._write(batch[:half], beat)
            try:
                self._write(batch[half:], None, ends)
            except _Away as away:
                away.done += half
                raise
            return
        self._summaries.update(updated)
        if batch and self._subscribers:
            self._notify(batch)

    def _as_store_error(self, exc: BaseException) -> StoreError:
        if isinstance(exc, StoreError):
            return exc
        return StoreError(
            f"cannot write to the store {self.store.shown_url}: "
            f"{type(exc).__name__}: {mask_text(str(exc))}"
        )

    def _reject(self, batch: list[Point], exc: BaseException) -> None:
        for run_id, key, step, _value, _ in batch:
            self.rejected[run_id] = self.rejected.get(run_id, 0) + 1
            warnings.warn(
                f"nbtrack: the store refused the point {key!r} step {step} of run {run_id} "
                f"({type(exc).__name__}: {mask_text(str(exc)).splitlines()[0][:200]}); dropped, "
                "the other points were written",
                RuntimeWarning,
                stacklevel=1,
            )

    def _failed(self, exc: StoreError) -> None:
        self.error = exc
        if is_disk_full(exc):
            self.store.release_disk_space()

    def _recovered(self) -> None:
        was = self.error
        self.error = None
        self._retry_wait = RETRY_START_S
        if was is not None and is_disk_full(was):
            self.store.release_disk_space()
        if self._warned_transient:
            self._warned_transient = False
            print(
                f"nbtrack: the store is back; every kept point is written ({self.store.shown_url})",
                file=sys.stderr,
            )

    def _summarise(self, batch: list[Point]) -> dict[tuple[str, str], list[Any]]:
        """New summaries for the keys in batch, leaving the current ones untouched.
        Series by series, in C where it can (batch_series.py): min and max of the
        values that are not NaN, the last point, the count."""
        updated: dict[tuple[str, str], list[Any]] = {}
        if not batch:
            return updated
        current = self._summaries
        _, _, steps, values, _ = columns(batch)
        for run_id, key, pos, _ in series(batch):
            k = (run_id, key)
            prev = current.get(k)
            s = updated[k] = list(prev) if prev else [0.0, 0, math.nan, math.nan, 0]
            last = pos[-1]
            s[0] = values[last]
            s[1] = steps[last]
            s[4] += len(pos)
            finite = without_nan(take(values, pos))
            if finite:  # NaN never becomes a min or max
                lo, hi = min(finite), max(finite)
                if not lo >= s[2]:
                    s[2] = lo
                if not hi <= s[3]:
                    s[3] = hi
        return updated

    # -- the journal ------------------------------------------------------------------

    def _spill_queue(self) -> None:
        """Move the queued points to the journal (the store is away). Without a
        journal, or when the journal cannot be written, they stay queued."""
        with self._flush_lock:
            self._spill_locked()

    def _spill_locked(self) -> None:
        if self.journal is None or not self.queue:
            return
        batch = list(self.queue)
        updated = self._summarise(batch)
        record = {
            "points": [list(p) for p in batch],
            "summaries": [[r, k, *s] for (r, k), s in updated.items()],
        }
        try:
            path = self.journal.append([record])
        except OSError:
            return
        for _ in range(len(batch)):
            self.queue.popleft()
        self._summaries.update(updated)
        self._journal_path = str(path)
        self._journal_pending = True
        for p in batch:
            self.journaled[p[0]] = self.journaled.get(p[0], 0) + 1
        with self._room:
            self._room.notify_all()

    def _replay_journal(self) -> None:
        assert self.journal is not None
        for claimed, records in self.journal.claim():
            try:
                self.store.apply_journal(records)
            except Exception as exc:
                self.journal.release_claim(claimed, done=False)
                if is_transient(exc):
                    raise self._as_store_error(exc) from exc
                warnings.warn(
                    f"nbtrack: the journal {claimed.with_suffix('.jsonl')} could not be replayed "
                    f"({type(exc).__name__}: {exc}); it is kept for `nbtrack doctor`",
                    RuntimeWarning,
                    stacklevel=1,
                )
                continue
            self.journal.release_claim(claimed, done=True)
            for record in records:
                for run_id in {p[0] for p in record.get("points", ())}:
                    self.journaled.pop(run_id, None)
        self._journal_pending = False

    # -- the store file under our feet ------------------------------------------------

    def _check_store_file(self) -> None:
        if self._identity is None:
            return
        now = self.store.file_identity()
        if now == self._identity:
            return
        gone = now is None
        runs = ", ".join(
            str(self._run_rows.get(rid, {}).get("name") or rid) for rid in sorted(self.live)
        )
        self.store.reopen()
        self._identity = self.store.file_identity()
        for run_id in sorted(self.live):
            row = self._run_rows.get(run_id)
            if row is not None:
                self.store.ensure_run_row(row)
        for key in [k for k in self._summaries if k[0] in self.live]:
            del self._summaries[key]
        what = "deleted" if gone else "replaced by another file"
        print(
            f"nbtrack: the store file {self.store.shown_url} was {what} while recording "
            f"(runs: {runs or 'none'}); `git clean -dX` or removing .nbtrack/ does this. The runs "
            "were re-created in a new store file there and record from now on; their "
            "earlier points were in the old file: restore it from a backup to get them back.",
            file=sys.stderr,
        )

    # -- the thread -------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            if self.error is not None and time.monotonic() < self._retry_at:
                self._spill_queue()
                continue
            if time.monotonic() < self._hold_until:
                continue
            self._flush_quietly()
            if self._checkpoint_due and not self.live and self.error is None:
                self._checkpoint_due = False
                self.store.checkpoint()  # no lock held: log() and flushes never wait on it

    def _flush_quietly(self) -> None:
        """The thread's flush: never raises, backs off while the store is away."""
        try:
            self.flush()
        except StoreError as exc:
            self._retry_wait = min(self._retry_wait * 2, RETRY_MAX_S)
            self._retry_at = time.monotonic() + self._retry_wait
            self._spill_queue()
            if not self._warned_transient:
                self._warned_transient = True
                kept = "kept in the journal" if self.journal is not None else "kept in memory"
                print(
                    f"nbtrack: {exc} — points are {kept} and written when it is back (will retry)",
                    file=sys.stderr,
                )
        except BaseException as exc:  # the writer thread must never die
            print(
                f"nbtrack: the metric writer hit {type(exc).__name__}: {exc}; it goes on",
                file=sys.stderr,
            )

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self.flush()

    def _after_fork_in_child(self) -> None:
        """In a forked child (a DataLoader worker, a multiprocessing pool): the
        parent's queued points stay the parent's to write; the child gets fresh
        locks and, if a run is active, its own flusher for what it logs."""
        self.queue.clear()
        self.in_flight = 0
        self.due = math.inf
        self._flush_lock = threading.Lock()
        self._room = threading.Condition()
        self._wake = threading.Event()
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
            # Leave the database file whole: WAL folded in, connections closed.
            writer.store.checkpoint()
            writer.store.close()
        except StoreError as exc:
            writer._spill_queue()
            left = len(writer.queue)
            where = f"; {left} points could not be kept" if left else " (kept in the journal)"
            print(f"nbtrack: could not flush metrics at exit: {exc}{where}")


atexit.register(_flush_all_at_exit)
os.register_at_fork(after_in_child=_after_fork_in_child)
