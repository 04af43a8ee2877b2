"""Search sweeps on a real Dask cluster (LocalCluster with worker processes)
writing to PostgreSQL; SQLite and an unreachable scheduler refused up front."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import nbtrack
from nbtrack.sweeps import SweepError

pytestmark = pytest.mark.slow

distributed = pytest.importorskip("distributed")


@pytest.fixture
def pg(postgres_store: str) -> str:
    return postgres_store


def train(x: float, steps: int = 3) -> None:
    for step in range(steps):
        nbtrack.log(val_acc=x, pid=os.getpid(), step=step)


@pytest.mark.postgres
def test_trials_run_on_dask_worker_processes(pg: str) -> None:
    pruner = nbtrack.MedianPruner(warmup_steps=0, startup_trials=2)
    s = nbtrack.sweep(
        train,
        {"x": [0.9, 0.8, 0.1, 0.7], "steps": [20]},
        method="grid",
        metric="val_acc",
        executor="dask",
        parallel=2,
        prune=pruner,
    )
    assert sorted(t.number for t in s.trials) == [1, 2, 3, 4]
    runs = s.runs()
    assert len(runs) == 4 and set(runs["sweep"]) == {s.id}
    pids = {nbtrack.get_run(i).metrics["pid"]["last"] for i in runs["id"]}
    assert os.getpid() not in pids  # not this process: the cluster's workers
    assert s.best().params["x"] == 0.9
    statuses = {t.params["x"]: t.status for t in s.trials}
    # whether 0.1 is pruned depends on which trials finished first (2 at a time);
    # when it is, its run says so and stopped at once
    for t in s.trials:
        run = nbtrack.get_run(runs.set_index("trial").loc[t.number, "id"])
        assert run.status == t.status
        if t.status == "pruned":  # stopped at the step the pruner said so, not later
            at = int(re.search(r"at step (\d+)", run.error).group(1))
            assert run.metrics["val_acc"]["count"] == at + 1 < 20
    assert statuses[0.9] == "finished"


def test_sqlite_is_refused_for_a_remote_scheduler(project: Path) -> None:
    with pytest.raises(SweepError, match="PostgreSQL"):
        nbtrack.sweep(
            train,
            {"x": [0.1]},
            method="grid",
            metric="val_acc",
            executor="dask",
            scheduler="tcp://127.0.0.1:1",
        )
    assert len(nbtrack.runs()) == 0


@pytest.mark.postgres
def test_an_unreachable_scheduler_is_an_error_before_any_trial(pg: str) -> None:
    with pytest.raises(SweepError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:1"):
        nbtrack.sweep(
            train,
            {"x": [0.1]},
            method="grid",
            metric="val_acc",
            executor="dask",
            scheduler="tcp://127.0.0.1:1",
        )
    assert len(nbtrack.runs()) == 0
