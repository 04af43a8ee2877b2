"""The search driver's loop: `parallel` slots, each asking the study for a trial,
handing it to the executor, waiting for it and telling the study how it ended,
then asking again (Optuna's own `n_jobs` loop). With more than one slot each runs
in its own thread, so one slot's round trips to the study (ask, tell) overlap the
other slots' trials instead of queueing behind them; at most `parallel` trials
are asked and unfinished at any time. `on_done` runs in the calling thread, as
the trials end.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

#: How long an interrupted sweep waits for its slots to let go (their trials are
#: cancelled first, so this is a bound for a stuck store, not a usual wait).
_JOIN_S = 60.0


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
    """`run(on_done)` until the tickets are gone: `one_trial()` asks, runs and tells
    one trial and returns what `on_done` gets (None: the sweep is stopping). Raises
    what a slot or `on_done` raised; the caller then sets `stopping`, cancels the
    trials under way and calls `stop()`."""

    def __init__(self, parallel: int, tickets: Tickets, one_trial: Callable[[], Any]) -> None:
        self.parallel = parallel
        self.tickets = tickets
        self.one_trial = one_trial
        self.stopping = threading.Event()
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.threads: list[threading.Thread] = []

    def run(self, on_done: Callable[[Any], None]) -> None:
        if self.parallel == 1:  # in this thread: a function trial runs where Ctrl-C lands
            while not self.stopping.is_set() and self.tickets.take():
                on_done(self.one_trial())
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

    def _slot(self) -> None:
        try:
            while not self.stopping.is_set() and self.tickets.take():
                done = self.one_trial()
                if self.stopping.is_set():
                    return
                self.events.put(("trial", done))
        except BaseException as exc:  # noqa: BLE001 - raised again in the driver's thread
            self.events.put(("error", exc))
        finally:
            self.events.put(("done", None))

    def stop(self) -> None:
        """No new trial; wait for the slots to let go (after their trials were cancelled)."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(_JOIN_S)
