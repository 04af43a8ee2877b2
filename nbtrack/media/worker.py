"""The background worker of a run's media: log_image and friends queue a job and
return; the worker encodes (PNG, Parquet, renders), stores the blobs and writes
the index rows. The run's end waits for the queue to drain (ActiveRun.on_end),
so no media is lost when the cell ends or fails; a job that fails becomes a
warning at the run's end, and the run goes on."""

from __future__ import annotations

import queue
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

#: A job gets the blob storage and returns index rows (without run_id/time).
Job = Callable[[Any], list[dict[str, Any]]]
BATCH = 200

_queues: dict[str, MediaQueue] = {}
_lock = threading.Lock()


class MediaQueue:
    """The media jobs of one run, done in order by one daemon thread."""

    def __init__(self, run: Any) -> None:
        self.run = run
        self.jobs: queue.SimpleQueue[tuple[str, Job] | None] = queue.SimpleQueue()
        self.steps: dict[str, int] = {}
        self.problems: list[str] = []
        self.thread = threading.Thread(
            target=self._loop, daemon=True, name=f"nbtrack-media-{run.id}"
        )
        self.thread.start()

    def next_step(self, name: str, step: int | None) -> int:
        """`step`, or the name's own count from 0 (like log())."""
        if step is None:
            step = self.steps.get(name, 0)
        elif isinstance(step, bool) or not isinstance(step, int) or step < 0:
            from .errors import MediaError

            raise MediaError(f"step must be a non-negative int, not {step!r}")
        self.steps[name] = max(self.steps.get(name, 0), step + 1)
        return step

    def submit(self, name: str, job: Job) -> None:
        self.jobs.put((name, job))

    def _loop(self) -> None:
        from ..artifacts.context import context_for

        ctx = None
        batch: list[dict[str, Any]] = []
        while True:
            item = self.jobs.get()
            if item is not None:
                name, job = item
                try:
                    if ctx is None:
                        ctx = context_for(self.run.project)
                    now = time.time()
                    batch += [{**r, "run_id": self.run.id, "time": now} for r in job(ctx.blobs)]
                except Exception as exc:  # noqa: BLE001 - reported at the run's end
                    self.problems.append(f"{name!r}: {type(exc).__name__}: {exc}")
            if batch and (item is None or len(batch) >= BATCH or self.jobs.empty()):
                self._write(ctx, batch)
                batch = []
            if item is None:
                return

    def _write(self, ctx: Any, batch: list[dict[str, Any]]) -> None:
        from .records import insert

        try:
            insert(ctx.store, batch)
        except Exception as exc:  # noqa: BLE001 - reported at the run's end
            names = sorted({r["name"] for r in batch})
            self.problems.append(
                f"{len(batch)} media ({', '.join(map(repr, names[:5]))}) could not be "
                f"recorded in the store: {exc}"
            )

    def close(self) -> list[str]:
        """Finish every queued job; the problems met on the way."""
        self.jobs.put(None)
        self.thread.join()
        return self.problems


def queue_for(run: Any) -> MediaQueue:
    """The run's media queue, started (and hooked to the run's end) on first use."""
    with _lock:
        q = _queues.get(run.id)
        if q is None:
            q = _queues[run.id] = MediaQueue(run)
            run.on_end.append(finish)
        return q


def finish(run: Any) -> None:
    """Wait for the run's media; warn about any that could not be kept."""
    with _lock:
        q = _queues.pop(run.id, None)
    if q is None:
        return
    problems = q.close()
    if problems:
        text = f"nbtrack: {len(problems)} media of run {run.ref} were not kept: " + "; ".join(
            problems[:5]
        )
        run.warnings.append(text)
        warnings.warn(text, RuntimeWarning, stacklevel=2)
