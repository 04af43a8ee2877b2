"""The writer's subscriber hook that feeds live views, on a real store."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import nbtrack
from nbtrack import tracking
from nbtrack.store import open_store
from nbtrack.store.writer import MetricWriter


def test_a_subscriber_sees_every_point_of_its_run_in_order(backend: str) -> None:
    got: list[tuple] = []
    threads: set[str] = set()

    def feed(points: list[tuple]) -> None:
        threads.add(threading.current_thread().name)
        got.extend(points)

    with nbtrack.start_run(name="sub") as run:
        run.writer.subscribe(run.id, feed)
        for i in range(20_000):
            nbtrack.log(loss=1.0 / (i + 1), acc=i / 20_000)
    assert len(got) == 40_000 and {p[0] for p in got} == {run.id}
    assert [p[2] for p in got if p[1] == "loss"] == list(range(20_000))
    assert got[-1][1:4] == ("acc", 19_999, 19_999 / 20_000)
    assert nbtrack.get_run("sub").metrics["loss"]["count"] == 20_000
    # After the run ends its subscribers are gone: a new run does not reach them.
    with nbtrack.start_run():
        nbtrack.log(loss=1.0)
    assert len(got) == 40_000


def test_subscribers_get_only_their_runs_points(project: Path) -> None:
    writer = MetricWriter(open_store(f"sqlite:///{project / 'x.db'}"))
    seen: dict[str, list] = {"a": [], "b": []}
    writer.subscribe("a", seen["a"].extend)
    writer.subscribe("b", seen["b"].extend)
    writer.queue.extend([("a", "m", 0, 1.0, 0.0), ("b", "m", 0, 2.0, 0.0), ("c", "m", 0, 3.0, 0.0)])
    writer.flush()
    assert seen == {"a": [("a", "m", 0, 1.0, 0.0)], "b": [("b", "m", 0, 2.0, 0.0)]}
    writer.unsubscribe("a", seen["a"].extend)
    writer.queue.append(("a", "m", 1, 1.0, 0.0))
    writer.flush()
    assert len(seen["a"]) == 1


def test_a_failing_subscriber_is_detached_and_the_run_is_intact(project: Path) -> None:
    calls = []

    def broken(points: list[tuple]) -> None:
        calls.append(len(points))
        raise ValueError("view is gone")

    with pytest.warns(RuntimeWarning, match="live view of run .* failed and was detached"):
        with nbtrack.start_run(name="robust") as run:
            run.writer.subscribe(run.id, broken)
            for i in range(1000):
                nbtrack.log(loss=float(i))
            run.writer.flush()
            nbtrack.log(loss=1000.0)
    assert len(calls) == 1
    assert nbtrack.get_run("robust").metrics["loss"]["count"] == 1001
    assert tracking.active_run() is None
