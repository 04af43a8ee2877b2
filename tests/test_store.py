"""The store on SQLite and PostgreSQL: schema, migrations, points, summaries, errors."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

import nbtrack
from nbtrack.errors import StoreError
from nbtrack.store import Store, forget_stores, open_store
from nbtrack.store import schema as sch
from nbtrack.store.migrations import SCHEMA_VERSION, STEPS, VERSION_KEY


def _schema_diff(store: Store) -> list[object]:
    """How the store's tables differ from schema.py's, but for PostgreSQL's registry
    metric copies: a table of the server's triggers (store/registry_metrics.py),
    not of schema.py, which SQLite stores have not."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from nbtrack.store.registry_metrics import TABLE

    with store.engine.connect() as conn:
        diff = list(compare_metadata(MigrationContext.configure(conn), sch.metadata))
        tables = set(sa.inspect(conn).get_table_names())
    assert (TABLE in tables) == (store.dialect == "postgresql")
    return [d for d in diff if not (d[0] == "remove_table" and d[1].name == TABLE)]


def test_new_store_has_current_schema_matching_the_tables(backend: str) -> None:
    store = open_store(backend)
    assert store.schema_version() == SCHEMA_VERSION
    assert _schema_diff(store) == []


def test_default_sqlite_store_is_hidden_from_git(project: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q"], check=True)
    with nbtrack.start_run():
        nbtrack.log(loss=1.0)
    assert (project / ".nbtrack" / "nbtrack.db").is_file()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".nbtrack" not in status


def test_nan_and_infinities_round_trip(backend: str) -> None:
    with nbtrack.start_run() as run:
        nbtrack.log(loss=float("nan"))
        nbtrack.log(loss=float("inf"))
        nbtrack.log(loss=float("-inf"))
        nbtrack.log(loss=2.0)
    values = nbtrack.get_run(run.id).history("loss")["value"].tolist()
    assert math.isnan(values[0]) and values[1:] == [math.inf, -math.inf, 2.0]
    summary = nbtrack.get_run(run.id).metrics["loss"]
    assert summary == {"last": 2.0, "last_step": 3, "min": -math.inf, "max": math.inf, "count": 4}


def test_only_nan_gives_nan_summary(backend: str) -> None:
    with nbtrack.start_run() as run:
        nbtrack.log(loss=float("nan"))
    summary = nbtrack.get_run(run.id).metrics["loss"]
    assert math.isnan(summary["last"]) and math.isnan(summary["min"]) and summary["count"] == 1


def test_sequence_numbers_count_per_notebook_stem(backend: str, project: Path) -> None:
    """Two notebooks with one file name share a numbering, so `train#2` stays unique."""
    import subprocess

    subprocess.run(["git", "init", "-q"], check=True)  # the git top level is the project root
    (project / "a").mkdir()
    (project / "b").mkdir()
    for nb in ("a/train.ipynb", "b/train.ipynb", "eval.ipynb"):
        (project / nb).write_text("{}")
        with nbtrack.start_run(notebook=project / nb):
            pass
    df = nbtrack.runs()
    assert sorted(df["name"]) == ["eval#1", "train#1", "train#2"]
    assert set(df["notebook"]) == {"a/train.ipynb", "b/train.ipynb", "eval.ipynb"}


def test_delete_run_removes_points_and_summaries(backend: str) -> None:
    with nbtrack.start_run() as keep:
        nbtrack.log(x=1)
    with nbtrack.start_run() as gone:
        nbtrack.log(x=1)
    store = open_store(backend)
    store.delete_run(gone.id)
    assert list(nbtrack.runs()["id"]) == [keep.id]
    assert store.counts()["points"] == 1
    assert gone.id not in store.summaries()


def _build_v1_store(url: str) -> None:
    """A store exactly as schema version 1 of nbtrack made it, with data in it."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        sch.meta.create(conn)
        conn.execute(sa.insert(sch.meta).values(key=VERSION_KEY, value="1"))
        STEPS[0](Operations(MigrationContext.configure(conn)))
        conn.execute(
            sa.text(
                "INSERT INTO nbtrack_runs (id, experiment, notebook, stem, seq, name, status, "
                "start_time, end_time, params, tags) "
                "VALUES ('01old', 'exp', 'old.ipynb', 'old', 1, "
                "'legacy', 'finished', 1000.0, 1010.0, '{\"lr\": 0.1}', '[\"v1\"]')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO nbtrack_metrics (run_id, key, step, value, time) VALUES "
                "('01old', 'loss', 0, 0.5, 1001.0), ('01old', 'loss', 1, 0.25, 1002.0)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO nbtrack_summaries (run_id, key, last, last_step, min, max, count) "
                "VALUES ('01old', 'loss', 0.25, 1, 0.25, 0.5, 2)"
            )
        )
    engine.dispose()


def test_upgrades_a_version_1_store_without_losing_data(backend: str) -> None:
    _build_v1_store(backend)
    store = open_store(backend)
    assert store.schema_version() == SCHEMA_VERSION
    assert _schema_diff(store) == []  # old indexes replaced, not left beside the new
    run = nbtrack.get_run("legacy")
    assert (run.ref, run.params, run.tags, run.status) == ("old#1", {"lr": 0.1}, ["v1"], "finished")
    assert run.history("loss")["value"].tolist() == [0.5, 0.25]
    assert run.snapshot is None
    # v6 filled the params table from the runs' params: the runs list filters by them.
    assert store.param_keys() == ["lr"] and store.metric_keys() == ["loss"]
    with nbtrack.start_run(notebook=None) as new:  # and the upgraded store takes new runs
        nbtrack.log(loss=1.0)
    assert len(nbtrack.runs()) == 2 and nbtrack.get_run(new.id).metrics["loss"]["count"] == 1


def test_refuses_a_store_from_a_newer_nbtrack_and_writes_nothing(backend: str) -> None:
    open_store(backend)
    forget_stores()
    engine = sa.create_engine(backend)
    with engine.begin() as conn:
        conn.execute(sa.update(sch.meta).values(value=str(SCHEMA_VERSION + 5)))
    with pytest.raises(StoreError, match=r"newer than this nbtrack.*pip install -U nbtrack"):
        with nbtrack.start_run():
            pass
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sch.runs)).scalar() == 0
        assert conn.execute(sa.select(sch.meta.c.value)).scalar() == str(SCHEMA_VERSION + 5)
    engine.dispose()


def test_corrupted_sqlite_file_is_an_error_not_a_new_store(project: Path) -> None:
    db = project / ".nbtrack" / "nbtrack.db"
    db.parent.mkdir()
    garbage = b"this is not a database" * 100
    db.write_bytes(garbage)
    with pytest.raises(StoreError, match="corrupted or not an SQLite database.*move it aside"):
        nbtrack.runs()
    assert db.read_bytes() == garbage


def test_foreign_sqlite_database_is_refused(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = project / "app.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table users (id integer)")
    monkeypatch.setenv("NBTRACK_STORE", f"sqlite:///{other}")
    with pytest.raises(StoreError, match="did not create.*users"):
        nbtrack.runs()


def test_unsupported_or_malformed_url_is_a_clear_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", "not a url")
    with pytest.raises(StoreError, match="not a database URL"):
        nbtrack.runs()
    forget_stores()
    monkeypatch.setenv("NBTRACK_STORE", "mysql://localhost/db")
    with pytest.raises(StoreError, match="SQLite or PostgreSQL"):
        nbtrack.runs()


def test_unreachable_postgres_is_a_clear_error(project: Path) -> None:
    with pytest.raises(StoreError, match="cannot reach the store"):
        Store("postgresql+psycopg://nobody@127.0.0.1:1/nothing")


def test_a_deadlock_says_nothing_was_written_and_it_can_run_again() -> None:
    """PostgreSQL aborts one of two deadlocked transactions: its operation wrote
    nothing, and the store is reachable (the generic message said it was not)."""
    from nbtrack.store.sqlite_files import error_for

    text = "deadlock detected\nDETAIL:  Process 1 waits for ExclusiveLock on advisory lock"
    said = str(error_for("postgresql+psycopg://team:s3cret@db/nbtrack", text, operational=True))
    assert "deadlock" in said and "nothing of it was written; it can be run again" in said
    assert "cannot reach" not in said and "s3cret" not in said


def test_locked_store_keeps_points_and_says_what_to_do(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the write lock past the timeout: the flush fails with a
    clear message, the points stay queued, and the next flush writes them all."""
    import nbtrack.store.engine as engine_mod
    import nbtrack.store.sqlite_files as sqlite_files
    from nbtrack import tracking

    # The engine's connections and the writer's own (sqlite_files.connect) wait for
    # the lock this long: the store's 60 s would be spent here for nothing.
    for module in (engine_mod, sqlite_files):
        monkeypatch.setattr(module, "SQLITE_BUSY_TIMEOUT_S", 0.2)
    run = tracking.begin_run()
    nbtrack.log(loss=1.0)
    run.writer.flush()
    blocker = sqlite3.connect(project / ".nbtrack" / "nbtrack.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    run.writer.store.engine.dispose()  # new connections pick up the short timeout
    for i in range(100):
        nbtrack.log(loss=float(i))
    with pytest.raises(StoreError, match="locked by another process.*nothing was lost"):
        run.writer.flush()
    blocker.execute("ROLLBACK")
    blocker.close()
    tracking.end_run(run)
    assert nbtrack.get_run(run.id).metrics["loss"]["count"] == 101


def test_processes_starting_at_once_record_one_environment_without_errors(backend: str) -> None:
    """Kernels that start together insert the same environment row at the same time."""
    import threading

    stores = [Store(backend) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def start(store: Store) -> None:
        barrier.wait()
        try:
            for i in range(30):
                store.ensure_environment(f"env-{i}", {"python": "3.11", "i": i})
        except BaseException as exc:  # reported below: the test fails on any
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.close()
    assert errors == []
    assert Store(backend).environment("env-29") == {"python": "3.11", "i": 29}
