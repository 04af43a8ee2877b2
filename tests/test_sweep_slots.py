"""The search driver's slots (sweeps/slots.py) with a real thread pool as the
executor: each slot keeps its next trial with the executor while one runs, so a
worker never waits for the driver between two trials."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from nbtrack.sweeps.slots import Slots, Tickets


def test_each_slot_submits_its_next_trial_while_one_runs() -> None:
    """Two slots, six trials, none can end until the gate opens: four trials are
    with the executor (each slot's running one and its next), asked and
    submitted; then all six end, each told once. Before, a slot held its next
    trial back until the running one ended, and the worker waited for the
    driver's round trip (on Dask: to the scheduler and back) between trials."""
    gate = threading.Event()
    pool = ThreadPoolExecutor(4)
    lock = threading.Lock()
    asked: list[int] = []
    submitted: list[int] = []
    four_submitted = threading.Event()

    def ask() -> int:
        with lock:
            asked.append(len(asked))
            return asked[-1]

    def submit(item: int) -> Future:
        with lock:
            submitted.append(item)
            if len(submitted) == 4:
                four_submitted.set()
        return pool.submit(lambda: gate.wait(60) and {"ok": True})

    told: list[int] = []
    slots = Slots(2, Tickets(6), ask, submit, lambda item, outcome: item)
    runner = threading.Thread(target=slots.run, args=(told.append,))
    runner.start()
    try:
        assert four_submitted.wait(30), f"submitted {submitted} while the first trials ran"
        with lock:
            assert sorted(submitted) == [0, 1, 2, 3]
        assert told == []
    finally:
        gate.set()
        runner.join(60)
        pool.shutdown()
    assert sorted(told) == list(range(6))
    assert sorted(submitted) == list(range(6))
