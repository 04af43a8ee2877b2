"""A searched sweep's study in the store's journal table (`nbtrack_study_log`),
on SQLite and PostgreSQL: appends from several processes at once keep the log
gapless and in order, the driver's study costs a few statements a trial, and a
study made in Optuna's RDB tables by an earlier version continues."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

import nbtrack

APPENDER = textwrap.dedent(
    """
    import sys
    from nbtrack.sweeps.journal_backend import StoreJournalBackend
    backend = StoreJournalBackend(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()  # every appender starts at once
    for i in range(int(sys.argv[3])):
        backend.append_logs([{"who": sys.argv[2], "i": i}] * (1 + i % 3))
    """
)


def _log(url: str) -> list[tuple[int, dict]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT number, entry FROM nbtrack_study_log").all()
    engine.dispose()
    return sorted((n, json.loads(e)) for n, e in rows)


def test_processes_appending_at_once_keep_the_log_gapless_and_in_order(backend: str) -> None:
    """Three processes append at once (the sweep's drivers and its trials reporting
    to the pruner do): no entry lost, none twice, numbers 0..n-1 with no gap, and
    each process's entries in the order it appended them."""
    from nbtrack.store import open_store

    open_store(backend)
    count = 60
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, backend, who, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        for who in ("a", "b", "c")
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        p.stdin.close()
        assert p.wait(timeout=300) == 0
    log = _log(backend)
    per_process = sum(1 + i % 3 for i in range(count))
    assert [n for n, _ in log] == list(range(3 * per_process))
    for who in ("a", "b", "c"):
        seen = [e["i"] for _, e in log if e["who"] == who]
        assert seen == [i for i in range(count) for _ in range(1 + i % 3)]


def _study_statements() -> tuple[list[str], object]:
    """Statements on the study (Optuna's RDB tables or the journal), not on
    nbtrack's run tables: a list and the listener that fills it."""
    seen: list[str] = []

    def listen(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        text = statement.lower()
        if "nbtrack_" in text and "nbtrack_study_log" not in text:
            return  # a run's own rows
        if text.startswith(("begin", "pragma", "show ", "select pg_catalog", "select current_")):
            return  # SQLite's BEGIN (its transaction), a new connection's set-up
        seen.append(statement)

    return seen, listen


def test_the_driver_reads_and_writes_its_study_in_a_few_statements_a_trial(
    backend: str,
) -> None:
    """A TPE search run in the driver's own process: the study costs a few short
    statements a trial (in Optuna's RDB storage it took about 50, and TPE re-read
    every trial at each ask)."""
    seen, listen = _study_statements()
    nbtrack.sweep(lambda x: x, {"x": nbtrack.uniform(0, 1)}, method="tpe", metric="v", trials=3)
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", listen)
    try:
        s = nbtrack.sweep(
            lambda x: -((x - 0.3) ** 2),
            {"x": nbtrack.uniform(0, 1)},
            method="tpe",
            metric="v",
            trials=20,
            seed=1,
        )
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", listen)
    assert [t.status for t in s.trials] == ["finished"] * 20
    per_trial = len(seen) / 20
    print(f"{per_trial} study statements a trial")
    assert per_trial <= 20, (per_trial, seen[:40])


def _old_study(url: str, name: str, dead_pid: int) -> None:
    """A study as nbtrack 0.x kept it: Optuna's RDBStorage on the store's database
    (PostgreSQL: in the schema nbtrack_optuna), three finished trials and one a
    dead driver left running."""
    import optuna

    from nbtrack.sweeps.settle import _HOST
    from nbtrack.sweeps.space import canonical, check_space, optuna_distributions

    space = check_space({"x": nbtrack.uniform(0, 1)})
    kwargs: dict = {}
    if sa.make_url(url).get_backend_name() == "postgresql":
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS nbtrack_optuna")
        engine.dispose()
        kwargs = {"connect_args": {"options": "-csearch_path=nbtrack_optuna"}}
    storage = optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
    study = optuna.create_study(storage=storage, study_name=name, direction="maximize")
    study.set_user_attr(
        "nbtrack",
        {
            "target": "score",
            "kind": "function",
            "space": canonical(space),
            "metric": "v",
            "goal": "max",
            "method": "random",
        },
    )
    dists = optuna_distributions(space)
    for x in (0.1, 0.2, 0.3):
        study.add_trial(optuna.trial.create_trial(params={"x": x}, distributions=dists, value=x))
    running = study.ask(dists)
    running.set_user_attr("driver", f"{_HOST}:{dead_pid}")
    storage.engine.dispose()


def score(x: float) -> float:
    return x


def test_a_study_made_in_optunas_rdb_tables_continues(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sweep an earlier version kept in Optuna's RDB tables: listed and loaded
    where it is; continued with its id, its study moves into the journal once
    (said on stderr), its trial left running by a dead driver is tried again,
    and numbering continues after its trials."""
    import optuna

    from nbtrack.store import open_store
    from nbtrack.sweeps.rdb_studies import rdb_studies
    from nbtrack.sweeps.study import all_studies, forget_storages, load_study

    open_store(backend)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _old_study(backend, "sw-old", dead.pid)
    forget_storages()
    assert "sw-old" in all_studies(backend)
    assert len(load_study(backend, "sw-old").trials) == 4

    s = nbtrack.sweep(
        score,
        {"x": nbtrack.uniform(0, 1)},
        method="random",
        metric="v",
        trials=5,
        sweep_id="sw-old",
    )
    assert "moved from Optuna's RDB tables" in capsys.readouterr().err
    assert [t.number for t in s.trials] == [5, 6]  # the retried trial 4 and a new one
    assert all(t.status == "finished" for t in s.trials)
    states = [t.state for t in s.study.trials]
    assert states.count(optuna.trial.TrialState.COMPLETE) == 5
    assert [t.value for t in s.study.trials[:3]] == [0.1, 0.2, 0.3]
    assert "sw-old" not in rdb_studies(backend)
    forget_storages()
    assert (
        len(load_study(backend, "sw-old").trials) == 6
    )  # from the journal, in a new process's view


def test_a_read_right_after_a_read_costs_no_round_trip(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Optuna reads the journal before each of its reads (about ten times a TPE
    ask): a read soon after the last one, with nothing appended by this process
    since, sends no statement; an append of its own is seen at the next read
    with everything before it, in order; another process's append once the
    window (FRESH_S) has passed."""
    from nbtrack.store import open_store
    from nbtrack.sweeps import journal_backend

    open_store(backend)
    reader = journal_backend.StoreJournalBackend(backend)
    other = journal_backend.StoreJournalBackend(backend)
    other.append_logs([{"who": "first"}])
    monkeypatch.setattr(journal_backend, "FRESH_S", 3600.0)
    reads: list[str] = []

    def listen(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT ENTRY"):
            reads.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", listen)
    try:
        seen = [e["who"] for e in reader.read_logs(0)]
        assert seen == ["first"] and len(reads) == 1
        for _ in range(10):
            assert list(reader.read_logs(1)) == []
        assert len(reads) == 1
        other.append_logs([{"who": "other"}])
        assert list(reader.read_logs(1)) == []  # within the window: not asked yet
        reader.append_logs([{"who": "mine"}])
        assert [e["who"] for e in reader.read_logs(1)] == ["other", "mine"]
        assert len(reads) == 2
        monkeypatch.setattr(journal_backend, "FRESH_S", 0.0)  # the window passed
        late = journal_backend.StoreJournalBackend(backend)
        assert len(list(late.read_logs(0))) == 3
        other.append_logs([{"who": "later"}])
        assert [e["who"] for e in late.read_logs(3)] == ["later"]
        assert len(reads) == 4
        late.close()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", listen)
        reader.close()
        other.close()
