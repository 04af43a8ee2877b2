"""Search sweeps on a real Dask cluster (LocalCluster with worker processes)
writing to PostgreSQL; SQLite and an unreachable scheduler refused up front."""

from __future__ import annotations

import os
import re
import time
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


def meet(x: float, folder: str) -> float:
    """Each trial says it started, then waits (a minute at most) until two have:
    trials 1 and 2 meet only when both workers run one at once."""
    here = Path(folder)
    (here / f"{x}").touch()
    deadline = time.monotonic() + 60
    while len(list(here.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    nbtrack.log(met=float(len(list(here.iterdir())) >= 2))
    return x


@pytest.mark.postgres
def test_both_workers_busy_and_the_driver_never_reads_a_function_trial_back(
    pg: str, tmp_path: Path
) -> None:
    import optuna
    import sqlalchemy as sa

    from nbtrack.store import open_store

    reads: list[str] = []

    def listen(sweep: object) -> None:  # from the first trial on
        sa.event.listen(
            open_store(pg).engine,
            "before_cursor_execute",
            lambda conn, cursor, statement, *args: reads.append(statement),
        )

    folder = tmp_path / "met"
    folder.mkdir()
    s = nbtrack.sweep(
        meet,
        {"x": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], "folder": [str(folder)]},
        method="grid",
        metric="x",
        executor="dask",
        parallel=2,
        on_start=listen,
    )
    during = list(reads)
    assert [t.status for t in s.trials] == ["finished"] * 6
    runs = s.runs()
    assert all(nbtrack.get_run(i).metrics["met"]["last"] == 1.0 for i in runs["id"])
    assert {t.value for t in s.trials} == {0.1, 0.2, 0.3, 0.4, 0.5, 0.6}
    # the trial's process reported its run: no read of nbtrack's tables per trial
    assert during == []
    # asked and unfinished at once: at most two a worker (one running, one in hand)
    spans = [(t.datetime_start, t.datetime_complete) for t in s.study.trials]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in s.study.trials)
    most = max(sum(a <= start < b for a, b in spans) for start, _ in spans)
    assert most <= 4


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


def test_the_local_cluster_of_a_sweep_runs_no_profiler(project: Path) -> None:
    """The LocalCluster a sweep starts has no dashboard, and its workers do not
    sample their own stacks every 10 ms for one (Dask's profiler took the GIL
    from the trials: ~10 ms of a 0.1 s trial); what the user's Dask config says
    outside the sweep is left as it was."""
    import dask

    from nbtrack.sweeps.executors import DaskExecutor

    before = dask.config.get("distributed.worker.profile.enabled")
    ex = DaskExecutor(None, 1, f"sqlite:///{project / 'x.db'}")
    try:
        seen = ex.client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
    finally:
        ex.close()
    assert list(seen.values()) == [False]
    assert dask.config.get("distributed.worker.profile.enabled") == before
