"""The kernel-side state of nbtrack: one `Session` per process.

It owns what a process keeps between runs: the metric writer of each store, the
active run, the notebook the kernel was told it runs, the background jobs of
each run (its git state and its notebook snapshot), the `%load_ext` warm-up,
what a forked child inherits, and the shutdown at interpreter exit. Other
modules reach it through `current()` and its public methods, never through
module globals.

- A forked child (a DataLoader worker, a multiprocessing pool) gets a fresh
  session: fresh locks, no jobs, no warm-up. It may log to the run it inherited
  (its points go through its own writer thread), but that run stays the
  parent's: the child never ends it, at exit or otherwise.
- At exit, a run this process started and never ended is ended (failed when an
  uncaught exception is ending the process, interrupted when a kernel is going
  away under it, finished when a script simply ran to its end); then every
  writer is flushed and its store checkpointed and closed.

Cheap to import: `%load_ext` imports it, so nothing heavy loads here.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Project
    from .store.writer import MetricWriter
    from .tracking import ActiveRun

#: How long waiting for a warm-up stage may take before going on without it.
WARM_UP_TIMEOUT_S = 120.0

Stage = tuple[str, Callable[[], None]]


class WarmUp:
    """Imports done in a background thread, in stages, so that each user of
    them waits only for the stage it needs (the first tracked cell for the
    store layer; the live chart for the widget libraries; snapshots for
    nbformat and jupytext, which load last)."""

    def __init__(self) -> None:
        self.started_at: float | None = None
        #: time.time() at which each stage finished (failed stages too).
        self.done_at: dict[str, float] = {}
        self._names: list[str] = []
        self._events: dict[str, threading.Event] = {}
        self._thread: threading.Thread | None = None

    def start(self, stages: Sequence[Stage]) -> None:
        """Run `stages` in order in a daemon thread. Once per session: later calls
        do nothing. A stage that raises is over all the same: whoever needs its
        modules meets the same error where the user sees it."""
        if self._thread is not None:
            return
        self._names = [name for name, _ in stages]
        self._events = {name: threading.Event() for name in self._names}
        self.started_at = time.time()
        self._thread = threading.Thread(
            target=self._run, args=(list(stages),), daemon=True, name="nbtrack-warmup"
        )
        self._thread.start()

    def _run(self, stages: list[Stage]) -> None:
        for name, load in stages:
            try:
                load()
            except Exception:  # noqa: BLE001, S110 - reported by the code that needs it
                pass
            finally:
                self.done_at[name] = time.time()
                self._events[name].set()

    def wait(self, stage: str, timeout: float = WARM_UP_TIMEOUT_S) -> bool:
        """Block until `stage` has finished; True at once when there is no such
        stage (no warm-up in this process, e.g. a script). False on timeout."""
        event = self._events.get(stage)
        if event is None:
            return True
        return event.wait(timeout)

    def ready(self, stage: str) -> bool:
        """Has `stage` finished (or is there no warm-up to wait for)?"""
        event = self._events.get(stage)
        return event is None or event.is_set()

    @property
    def finished_at(self) -> float | None:
        """time.time() when the last stage finished; None while it runs (or never ran)."""
        if not self._names or len(self.done_at) < len(self._names):
            return None
        return max(self.done_at.values())


class Session:
    """The state nbtrack keeps in one process. Get it with `current()`."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._writers: dict[str, MetricWriter] = {}
        self._active: ActiveRun | None = None
        self._started: set[str] = set()  # ids of runs this process began and has not ended
        self._jobs: dict[str, dict[str, threading.Thread]] = {}
        #: While replaying a history script, `log()` outside a run does nothing.
        self.replaying = False
        #: The notebook named with `%nbtrack notebook PATH` (None: detect it).
        self.notebook: Path | None = None
        self.warm_up = WarmUp()
        self._exit_hook = False

    # -- writers ----------------------------------------------------------------

    def writer_for(self, project: Project) -> MetricWriter:
        """The writer of `project`'s store, made (and the store opened) on first use."""
        with self._lock:
            writer = self._writers.get(project.store_url)
            if writer is None:
                from .store import open_store
                from .store.journal import Journal, journal_folder
                from .store.writer import MetricWriter

                journal = Journal(
                    journal_folder(project.root, project.store_url), project.store_url
                )
                writer = MetricWriter(open_store(project.store_url), journal=journal)
                self._writers[project.store_url] = writer
                self._register_exit_hook()
            return writer

    def writers(self) -> list[MetricWriter]:
        with self._lock:
            return list(self._writers.values())

    def close_writers(self) -> None:
        """Flush and forget every writer (tests switch stores between cases). All
        are forgotten; the first error met while flushing is raised after."""
        with self._lock:
            writers, self._writers = list(self._writers.values()), {}
        errors = []
        for writer in writers:
            try:
                writer.close()
            except Exception as exc:  # noqa: BLE001 - raised below, after the others
                errors.append(exc)
        if errors:
            raise errors[0]

    # -- the active run -----------------------------------------------------------

    @property
    def active(self) -> ActiveRun | None:
        return self._active

    def activate(self, run: ActiveRun) -> None:
        """Make `run` the active run; it is this process's to end."""
        with self._lock:
            self._active = run
            self._started.add(run.id)

    def deactivate(self, run: ActiveRun) -> None:
        """`run` has ended: it is no longer active nor this process's to end."""
        with self._lock:
            if self._active is run:
                self._active = None
            self._started.discard(run.id)

    def owns(self, run: ActiveRun) -> bool:
        """Did this process start `run` (rather than inherit it from its parent)?"""
        return run.id in self._started

    # -- background jobs of a run -------------------------------------------------

    def spawn(
        self, run_id: str, kind: str, target: Callable[..., None], *args: Any
    ) -> threading.Thread:
        """Start `target(*args)` in a daemon thread as `run_id`'s `kind` job."""
        thread = threading.Thread(
            target=target, args=args, daemon=True, name=f"nbtrack-{kind}-{run_id}"
        )
        with self._lock:
            self._jobs.setdefault(run_id, {})[kind] = thread
        thread.start()
        return thread

    def job(self, run_id: str, kind: str) -> threading.Thread | None:
        """The thread of `run_id`'s `kind` job, while the session keeps it."""
        with self._lock:
            return self._jobs.get(run_id, {}).get(kind)

    def join_job(self, run_id: str, kind: str, timeout: float) -> bool:
        """Wait up to `timeout` s for `run_id`'s `kind` job; True when it is over
        (or there is none)."""
        thread = self.job(run_id, kind)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def forget_jobs(self, run_id: str) -> None:
        with self._lock:
            self._jobs.pop(run_id, None)

    # -- fork and exit --------------------------------------------------------------

    def forked(self) -> Session:
        """The session of a forked child: the parent's writers (each resets itself
        after a fork) and its active run, to log to; nothing else."""
        child = Session()
        child._writers = dict(self._writers)
        child._active = self._active
        child.replaying = self.replaying
        child.notebook = self.notebook
        child._exit_hook = self._exit_hook  # atexit's registrations survive a fork
        return child

    def _register_exit_hook(self) -> None:
        # After the first writer (hence after writer.py's own exit hook, which
        # flushes writers made outside any session): atexit runs hooks last-in
        # first-out, so runs are ended before anything is closed.
        if not self._exit_hook:
            self._exit_hook = True
            atexit.register(_shutdown_current)

    def shutdown(self) -> None:
        """End the runs this process started and left running, then flush every
        writer, fold SQLite's WAL into the database file and close the stores."""
        from .errors import StoreError

        active = self._active
        if active is not None and self.owns(active) and active.status == "running":
            from .tracking import end_run

            status, error = _exit_status()
            try:
                end_run(active, status, error)
            except Exception as exc:  # noqa: BLE001 - exit goes on; say what was lost
                print(f"nbtrack: could not end run {active.name} at exit: {exc}", file=sys.stderr)
        for writer in self.writers():
            try:
                writer.close()
                writer.store.checkpoint()
                writer.store.close()
            except StoreError as exc:
                print(f"nbtrack: could not flush metrics at exit: {exc}", file=sys.stderr)


def _exit_status() -> tuple[str, BaseException | None]:
    """How a run left running ended, judged at interpreter exit."""
    error = getattr(sys, "last_value", None)
    shell = _ipython_shell()
    if shell is not None:  # a kernel shutting down under a run that had not ended
        return "interrupted", None
    if isinstance(error, BaseException):  # the script died of an uncaught exception
        return ("interrupted" if isinstance(error, KeyboardInterrupt) else "failed"), error
    return "finished", None


def _ipython_shell() -> Any:
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


_session = Session()


def current() -> Session:
    """This process's session."""
    return _session


def _shutdown_current() -> None:
    _session.shutdown()


def _after_fork_in_child() -> None:
    global _session
    _session = _session.forked()


os.register_at_fork(after_in_child=_after_fork_in_child)
