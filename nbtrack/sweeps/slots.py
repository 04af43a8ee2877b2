"""The search driver's loop: `parallel` slots, each asking the study for a trial,
handing it to the executor and telling the study how it ended (Optuna's own
`n_jobs` loop), with the next trial in hand.

With one slot this runs in the calling thread: ask, run, tell, one trial after
another, so a sequential search samples each trial knowing all the others. With
more, each slot is a thread that keeps two trials with the executor: the one
running and the next, submitted already, which the executor starts the moment
the first ends (a Dask worker takes it from the scheduler without a round trip
to this driver). While the next one runs, the slot tells the study about the
one that ended and asks and submits the one after, knowing that result: the
round trips to the study and to the cluster overlap the trials instead of
leaving a worker idle between two of them. At most 2 × `parallel` trials are
asked and unfinished. `on_done` runs in the calling thread, as trials end.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

#: How long an interrupted sweep waits for its slots to let go (their trials are
#: cancelled first, so this bounds a stuck store, not a usual wait).
_JOIN_S = 60.0
#: Trials a slot keeps with the executor: the one running and the next.
_DEPTH = 2


class Tickets:
    """How many trials may still be asked: taken by the slots, given back when a
    crashed trial is tried once more."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.count <= 0:
                return False
            self.count -= 1
            return True

    def give(self) -> None:
        with self.lock:
            self.count += 1


class Slots:
    """`run(on_done)` until the tickets are gone. `ask()` asks the study for a trial
    (an item), `submit(item)` hands it to the executor (a Future of its outcome),
    `tell(item, outcome)` tells the study and returns what `on_done` gets. Raises
    what a slot or `on_done` raised; the caller then sets `stopping`, cancels the
    trials under way and calls `stop()`."""

    def __init__(
        self,
        parallel: int,
        tickets: Tickets,
        ask: Callable[[], Any],
        submit: Callable[[Any], Future],
        tell: Callable[[Any, dict[str, Any]], Any],
    ) -> None:
        self.parallel = parallel
        self.tickets = tickets
        self.ask, self.submit, self.tell = ask, submit, tell
        self.stopping = threading.Event()
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.threads: list[threading.Thread] = []

    def run(self, on_done: Callable[[Any], None]) -> None:
        if self.parallel == 1:  # in this thread: a function trial runs where Ctrl-C lands
            while self._take():
                item = self.ask()
                on_done(self.tell(item, self.submit(item).result()))
            return
        self.threads = [
            threading.Thread(target=self._slot, name=f"nbtrack-sweep-slot-{i}", daemon=True)
            for i in range(self.parallel)
        ]
        for thread in self.threads:
            thread.start()
        live = len(self.threads)
        while live:
            kind, value = self.events.get()
            if kind == "done":
                live -= 1
            elif kind == "error":
                raise value
            else:
                on_done(value)

    def _take(self) -> bool:
        return not self.stopping.is_set() and self.tickets.take()

    def _launch(self) -> tuple[Any, Future] | None:
        if not self._take():
            return None
        item = self.ask()
        return item, self.submit(item)

    def _fill(self, submitted: deque[tuple[Any, Future]]) -> None:
        while len(submitted) < _DEPTH:
            launched = self._launch()
            if launched is None:
                return
            submitted.append(launched)

    def _slot(self) -> None:
        try:
            submitted: deque[tuple[Any, Future]] = deque()
            self._fill(submitted)
            while submitted:
                item, future = submitted.popleft()  # the next one is submitted already
                outcome = future.result()
                if self.stopping.is_set():
                    return
                self.events.put(("trial", self.tell(item, outcome)))
                self._fill(submitted)  # a crashed trial gave its ticket back: it too
        except BaseException as exc:  # noqa: BLE001 - raised again in the driver's thread
            self.events.put(("error", exc))
        finally:
            self.events.put(("done", None))

    def stop(self) -> None:
        """No new trial; wait for the slots to let go (after their trials were cancelled)."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(_JOIN_S)
