"""What a batch of points becomes in the store: every point in the order it was
logged, summaries as point-by-point arithmetic gives them (NaN never a min or
max, infinities kept), few statements per batch, and a refused log() call that
leaves no trace. Real SQLite (and PostgreSQL through the `backend` fixture)."""

from __future__ import annotations

import math
import random
import sqlite3
import sys
from pathlib import Path

import pytest

import nbtrack
from nbtrack.errors import MetricValueError
from nbtrack.store import open_store
from nbtrack.store.writer import MetricWriter


def _values(rng: random.Random, n: int) -> list[float]:
    special = [math.nan, math.inf, -math.inf, 0.0, -0.0]
    return [rng.choice(special) if rng.random() < 0.1 else rng.uniform(-5, 5) for _ in range(n)]


def test_interleaved_keys_with_nan_and_inf_are_written_and_summarised_exactly(
    backend: str,
) -> None:
    rng = random.Random(7)
    logged: dict[str, list[tuple[int, float]]] = {}
    with nbtrack.start_run(name="r") as run:
        for i, v in enumerate(_values(rng, 3000)):
            # Two keys a call, a third every 7th call: batches repeat and don't.
            calls = {"loss": v, "acc": -v} if i % 7 else {"loss": v, "val": v * 2, "acc": -v}
            nbtrack.log(calls, step=i)
            for k, x in calls.items():
                logged.setdefault(k, []).append((i, x))
            if i == 1500:
                run.writer.flush()
    got = nbtrack.get_run("r")
    for key, pts in logged.items():
        finite = [x for _, x in pts if not math.isnan(x)]
        s = got.metrics[key]
        assert s["count"] == len(pts)
        assert s["min"] == min(finite) and s["max"] == max(finite)
        assert s["last_step"] == pts[-1][0]
        last = pts[-1][1]
        assert (math.isnan(s["last"]) and math.isnan(last)) or s["last"] == last
        hist = got.history(key)
        assert list(hist["step"]) == [st for st, _ in pts]
        stored = [None if math.isnan(x) else x for x in hist["value"]]
        assert stored == [None if math.isnan(x) else x for _, x in pts]


def test_a_batch_goes_in_one_transaction_of_a_row_per_series(project: Path) -> None:
    """5,000 points of two keys: one BEGIN and one COMMIT, and one chunk row per
    series (never a statement or a row per point)."""
    with nbtrack.start_run() as run:
        nbtrack.log(loss=0.0)
    store = open_store(f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}")
    writer = MetricWriter(store)  # no thread: this test flushes
    statements: list[str] = []
    db: sqlite3.Connection = store._connection()
    db.set_trace_callback(statements.append)
    try:
        writer.queue.extend(
            (run.id, ("loss", "acc")[i % 2], i // 2 + 1, float(i), 1000.0) for i in range(5000)
        )
        writer.flush()
    finally:
        db.set_trace_callback(None)
    inserts = [s for s in statements if s.startswith("INSERT INTO nbtrack_chunks")]
    assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]
    assert len(inserts) == 2  # loss, acc
    with sqlite3.connect(store.sqlite_file) as check:
        rows, points = check.execute("SELECT count(*), sum(n) FROM nbtrack_chunks").fetchone()
    assert (rows, points) == (3, 5001)  # the first run's one point, then a row per key


@pytest.mark.parametrize("step", [None, 4], ids=["own-steps", "step-given"])
def test_a_refused_call_counts_no_steps(project: Path, step: int | None) -> None:
    """A call refused for one bad value queues nothing and leaves each key's step
    count as it was (a key seen for the first time is not counted at all)."""
    with nbtrack.start_run(name="r") as run:
        nbtrack.log(loss=1.0)
        with pytest.raises(MetricValueError):
            nbtrack.log(loss=2.0, fresh=3.0, bad="x", step=step)
        assert run.steps == {"loss": 1}
        nbtrack.log(loss=4.0)
    hist = nbtrack.get_run("r").history("loss")
    assert list(hist["step"]) == [0, 1] and list(hist["value"]) == [1.0, 4.0]


def _python_lines_of_a_flush(store, run_id: str, n: int) -> int:
    """Lines of nbtrack's Python run while one batch of n points of two keys is
    summarised and written (line events of this thread's trace)."""
    package = str(Path(nbtrack.__file__).parent)
    writer = MetricWriter(store)  # no thread: this thread flushes
    writer.queue.extend(
        (run_id, ("loss", "acc")[i % 2], i // 2, float(i), 1000.0) for i in range(n)
    )
    lines = 0

    def trace(frame, event, arg):
        nonlocal lines
        if not frame.f_code.co_filename.startswith(package):
            return None
        if event == "line":
            lines += 1
        return trace

    sys.settrace(trace)
    try:
        writer.flush()
    finally:
        sys.settrace(None)
    return lines


def test_a_flush_runs_no_python_per_point(project: Path) -> None:
    """The writer thread holds the GIL while it runs Python, and the training loop
    waits for it then: a batch's summaries and rows are built by slicing and C
    iteration, so the Python a flush runs does not grow with its points."""
    with nbtrack.start_run() as run:
        nbtrack.log(loss=0.0)
    store = open_store(f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}")
    small = _python_lines_of_a_flush(store, run.id, 1_000)
    large = _python_lines_of_a_flush(store, run.id, 10_000)
    assert large < small + 100, (small, large)
