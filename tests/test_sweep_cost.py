"""What a sweep's function trial costs where it runs, counted (never timed): its
run's writes, pings, `git` runs, and what the worker and the driver keep from
one trial (and one sweep) to the next."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

import nbtrack
from nbtrack.capture import gitstate
from nbtrack.capture.sweep import SweepContext
from nbtrack.store import open_store
from nbtrack.sweeps.trials import TrialTask, pack_function, run_task, worker_store


def scored(x: float) -> float:
    nbtrack.log(loss=1 - x, step=0)
    nbtrack.log(loss=0.5 - x, step=1)
    return x


def broken(x: float) -> float:
    nbtrack.log(loss=x, step=0)
    raise ValueError("bad x")


def _git_repo(folder: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    (folder / "a.txt").write_text("a")
    subprocess.run(["git", "add", "a.txt"], cwd=folder, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a"],
        cwd=folder,
        check=True,
    )
    (folder / "a.txt").write_text("b")  # dirty: the diff is part of the record


def _task(fn, number: int, url: str, git: object) -> dict:  # type: ignore[no-untyped-def]
    ctx = SweepContext("cost", number, {"x": 0.25}, None)
    return TrialTask(
        "function", number, {"x": 0.25}, ctx.to_env(), url, "score", pack_function(fn), "f", git=git
    ).to_json()


def _count_git(monkeypatch: pytest.MonkeyPatch) -> Counter:
    calls: Counter = Counter()
    real = gitstate._git

    def counted(args, cwd):  # type: ignore[no-untyped-def]
        calls[args[0]] += 1
        return real(args, cwd)

    monkeypatch.setattr(gitstate, "_git", counted)
    return calls


def test_function_trials_run_no_git_and_record_the_sweeps_git_state(
    backend: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git_repo(project)
    with nbtrack.start_run(name="plain"):
        pass
    plain = nbtrack.get_run(nbtrack.runs()["id"].iloc[0]).git
    assert plain and plain["dirty"] and plain["diff"]
    calls = _count_git(monkeypatch)
    s = nbtrack.sweep(
        scored, {"x": [0.1, 0.2, 0.3, 0.4]}, method="grid", metric="score", parallel=1
    )
    assert [t.status for t in s.trials] == ["finished"] * 4
    assert calls["status"] == 1  # the driver's, once for the sweep; none per trial
    for run_id in s.runs()["id"]:
        assert nbtrack.get_run(run_id).git == plain


def _counters(url: str) -> tuple[Counter, sa.Engine]:
    store = worker_store(url)
    counts: Counter = Counter()
    engine = store.engine
    sa.event.listen(engine, "commit", lambda conn: counts.update(["commit"]))
    dialect = engine.dialect
    real_ping = dialect.do_ping

    def ping(dbapi_conn):  # type: ignore[no-untyped-def]
        counts["ping"] += 1
        return real_ping(dbapi_conn)

    dialect.do_ping = ping  # type: ignore[method-assign]
    return counts, engine


@pytest.mark.postgres
def test_a_function_trial_in_a_worker_writes_once_and_never_pings(
    postgres_store: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short trial's run: its row, params, points, summaries and how it ended
    in one transaction; no connection tested first."""
    from nbtrack import tracking

    # "Short" is shorter than DEFER_S (0.5 s), which a busy machine can stretch a
    # no-op trial past: the transactions are counted, so no clock may decide them.
    monkeypatch.setattr(tracking, "DEFER_S", 600.0)
    url = postgres_store
    counts, engine = _counters(url)
    run_task(_task(scored, 1, url, None))  # the first: the environment's row too
    counts.clear()
    outcomes = [run_task(_task(scored, n, url, None)) for n in (2, 3, 4)]
    assert counts == Counter(commit=3)  # one a trial, no ping
    assert worker_store(url).engine is engine  # one engine for every trial
    for outcome in outcomes:
        run = nbtrack.get_run(outcome["runs"][0], store=url)
        assert run.status == "finished" and run.metrics["loss"]["count"] == 2
        assert run.metrics["score"]["last"] == 0.25
        assert run.end is not None

    counts.clear()
    failed = run_task(_task(broken, 5, url, None))
    assert counts == Counter(commit=1)
    run = nbtrack.get_run(failed["runs"][0], store=url)
    assert run.status == "failed" and "bad x" in run.error
    assert run.metrics["loss"]["count"] == 1  # its points with its end


def test_a_trials_run_ends_with_its_points_and_the_given_git_on_both_backends(
    backend: str,
) -> None:
    """The end written with the last points (stdlib SQLite too): status, error,
    points, summaries and the git state the driver passed."""
    url = backend
    ok = run_task(_task(scored, 1, url, {"commit": "c0ffee", "branch": "main"}))
    bad = run_task(_task(broken, 2, url, False))
    run = nbtrack.get_run(ok["runs"][0], store=url)
    assert run.status == "finished" and run.metrics["loss"]["last"] == 0.25
    assert run.git["commit"] == "c0ffee"
    run = nbtrack.get_run(bad["runs"][0], store=url)
    assert run.status == "failed" and run.metrics["loss"]["count"] == 1
    assert "ValueError: bad x" in run.error


def tagged(x: float) -> float:
    nbtrack.set_tags(["seen"])
    nbtrack.log_params(extra=1)
    return x


def waits_to_be_seen(x: float) -> float:
    """A trial running longer than its row may wait: it sees its own run in the
    store while it runs (a minute at most)."""
    nbtrack.log(loss=x, step=0)
    run_id = nbtrack.active_run().id
    store = open_store(os.environ["NBTRACK_STORE"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if store.select_runs(ids=[run_id], columns=["id"]):
            nbtrack.log(seen=1.0)
            break
        time.sleep(0.05)
    return x


def test_a_deferred_trials_row_goes_first_in_any_write_on_both_backends(
    backend: str,
) -> None:
    """Tags and params a trial sets while its row waits are written after it, in
    the same transaction; a trial that runs long is seen running."""
    url = backend
    run = nbtrack.get_run(run_task(_task(tagged, 1, url, None))["runs"][0], store=url)
    assert run.status == "finished" and "seen" in run.tags and run.params["extra"] == 1
    assert run.ref.endswith("#1")
    outcome = run_task(_task(waits_to_be_seen, 2, url, None))
    run = nbtrack.get_run(outcome["runs"][0], store=url)
    assert run.metrics["seen"]["last"] == 1.0 and run.ref.endswith("#2")


@pytest.mark.postgres
def test_a_worker_whose_connection_was_dropped_takes_another(
    postgres_store: str, project: Path
) -> None:
    """No pre-ping: a connection the server dropped between two trials fails the
    first statement of the next, which is tried again on a new connection."""
    url = postgres_store
    run_task(_task(scored, 1, url, None))
    with worker_store(url).engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    killer = sa.create_engine(url)
    with killer.begin() as conn:
        conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
    killer.dispose()
    outcome = run_task(_task(scored, 2, url, None))
    assert outcome["ok"], outcome
    assert nbtrack.get_run(outcome["runs"][0], store=url).status == "finished"


def engine_of(x: float) -> float:
    """A trial that says which process ran it and with which store engine."""
    nbtrack.log(pid=os.getpid(), engine=id(open_store(os.environ["NBTRACK_STORE"]).engine))
    return x


@pytest.mark.slow
@pytest.mark.postgres
def test_a_second_sweep_reuses_the_local_cluster_and_its_workers_engines(
    postgres_store: str,
) -> None:
    pytest.importorskip("distributed")
    from nbtrack.sweeps import dask_cluster

    def sweep() -> object:
        return nbtrack.sweep(
            engine_of,
            {"x": [0.1, 0.2, 0.3, 0.4]},
            method="grid",
            metric="score",
            executor="dask",
            parallel=2,
        )

    first = sweep()
    client = dask_cluster.kept_client()
    second = sweep()
    assert dask_cluster.kept_client() is client  # not started again
    seen: dict[float, set[float]] = {}
    for s in (first, second):
        for run_id in s.runs()["id"]:
            metrics = nbtrack.get_run(run_id).metrics
            seen.setdefault(metrics["pid"]["last"], set()).add(metrics["engine"]["last"])
    assert os.getpid() not in seen and 1 <= len(seen) <= 2
    assert all(len(engines) == 1 for engines in seen.values())  # one engine a worker


def _store_open(url: str) -> bool:
    from nbtrack.store import _stores

    return url in _stores


@pytest.mark.slow
@pytest.mark.postgres
def test_the_workers_open_the_store_before_their_first_trial(postgres_store: str) -> None:
    """While the driver prepares the sweep, each worker imports what a trial needs
    and opens the store: its first trial does not pay for it."""
    pytest.importorskip("distributed")
    from nbtrack.sweeps.executors import DaskExecutor

    ex = DaskExecutor(None, 2, postgres_store, notebooks=False)
    try:
        deadline = time.monotonic() + 600  # a hang guard only: warming is never timed
        seen: dict = {}
        while time.monotonic() < deadline:
            seen = ex.client.run(_store_open, postgres_store)
            if len(seen) == 2 and all(seen.values()):
                break
            time.sleep(0.1)
    finally:
        ex.close()
    assert len(seen) == 2 and all(seen.values())  # and no trial was run
