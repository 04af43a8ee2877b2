"""The SQLite write path through the standard library (store/sqlite_writes.py):
the rows it writes are the rows the SQLAlchemy Store writes, and a script that
only logs to an existing store never imports SQLAlchemy."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nbtrack.errors import StoreError
from nbtrack.store import schema
from nbtrack.store.chunks import CHUNKS_TABLE
from nbtrack.store.failures import is_transient
from nbtrack.store.migrations import SCHEMA_VERSION
from nbtrack.store.sqlite_writes import RUN_COLUMNS, WRITES_SCHEMA_VERSION, SqliteStore
from nbtrack.store.store import Store

NAN = float("nan")


def test_the_statements_are_written_for_the_current_schema() -> None:
    assert WRITES_SCHEMA_VERSION == SCHEMA_VERSION, (
        "a migration step was added: check store/sqlite_writes.py's SQL against it and "
        "bump WRITES_SCHEMA_VERSION"
    )
    assert RUN_COLUMNS == tuple(c.name for c in schema.runs.columns)
    assert CHUNKS_TABLE == schema.chunks.name


def _run(run_id: str, stem: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": run_id,
        "experiment": "exp",
        "notebook": "train.ipynb",
        "stem": stem,
        "status": "running",
        "start_time": 1000.0,
        "heartbeat": 1000.0,
        "host": "h",
        "pid": 7,
        "params": {"lr": 0.1, "name": "Adam", "layers": [1, 2], "bad": NAN},
        "tags": ["a"],
        "git": {"commit": "abc"},
        **extra,
    }


def _exercise(store: Any) -> list[Any]:
    """Every write of a logging script, a journal replay and a store coming back."""
    out: list[Any] = []
    store.ensure_environment("env1", {"python": "3.11", "packages": {"x": "1"}})
    store.ensure_environment("env1", {"python": "3.11", "packages": {"x": "1"}})
    out.append(store.create_run(_run("R1", "train", env_id="env1")))
    out.append(store.create_run(_run("R2", "train")))
    out.append(store.create_run(_run("R3", "other", name="custom")))
    points = [
        ("R1", "loss", 0, 1.0, 1001.0),
        ("R1", "acc", 0, NAN, 1001.0),
        ("R1", "loss", 1, 0.5, 1002.0),
        ("R2", "loss", 0, 2.0, 1001.5),
    ]
    summaries = {("R1", "loss"): [0.5, 1, 0.5, 1.0, 2], ("R1", "acc"): [NAN, 0, NAN, NAN, 1]}
    store.write_batch(points, summaries, (["R1", "R2"], 1003.0))
    store.update_run("R2", status="crashed", end_time=1004.0)
    store.write_batch([("R2", "loss", 1, 1.5, 1005.0)], {("R2", "loss"): [1.5, 1, 1.5, 2.0, 2]},
                      (["R2"], 1006.0))  # fmt: skip
    store.update_run("R1", status="finished", end_time=1010.0, params={"lr": 0.2}, notes="n")
    store.apply_journal(
        [
            {
                "points": [["R3", "loss", 5, 3.0, 1007.0], ["R3", "new", 5, -1e300, 1007.0]],
                "summaries": [["R3", "loss", 3.0, 5, 3.0, 3.0, 1]],
            },  # fmt: skip
            {"update": "R3", "values": {"status": "finished", "params": {"k": "v"}}},
        ]
    )
    store.ensure_run_row(_run("R1", "train", seq=1, name="train#1"))
    store.ensure_run_row(_run("R4", "gone", seq=3, name="gone#3"))
    return out


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    tables = ("environments", "runs", "params", "run_keys", "metric_keys", "chunks", "summaries")
    with sqlite3.connect(path) as db:
        return {
            t: sorted(db.execute(f"SELECT * FROM nbtrack_{t}").fetchall(), key=repr) for t in tables
        }


def test_the_standard_library_path_writes_the_rows_sqlalchemy_writes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    full = Store(f"sqlite:///{a}")
    lite = SqliteStore(f"sqlite:///{b}", b)
    try:
        assert _exercise(full) == _exercise(lite) == [(1, "train#1"), (2, "train#2"), (1, "custom")]
    finally:
        full.close()
        lite.close()
    got, want = _dump(b), _dump(a)
    assert got == want
    # A chunk per series and batch: R1 loss, R1 acc, R2 loss (twice), R3 loss, R3 new.
    assert len(got["chunks"]) == 6 and ("R2",) in {(r[0],) for r in got["runs"]}
    revived = {r[0]: r[6] for r in got["runs"]}
    assert revived["R2"] == "running"  # the crashed run's heartbeat revived it


def test_what_the_full_store_reads_matches_what_the_lite_store_wrote(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    lite = SqliteStore(f"sqlite:///{path}", path)
    try:
        _exercise(lite)
        (run,) = lite.select_runs(ids=["R1"])  # served by the full Store, on first use
        assert run["status"] == "finished" and lite._full is not None
        summaries = lite.summaries(["R1"])
        assert math.isnan(summaries["R1"]["acc"]["last"]) and summaries["R1"]["loss"]["count"] == 2
    finally:
        lite.close()


def _master(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


def test_a_new_store_gets_the_schema_sqlalchemy_creates(tmp_path: Path) -> None:
    from nbtrack.store.sqlite_ddl import DDL, DDL_SCHEMA_VERSION, compiled_ddl

    stale = "schema.py or migrations changed: run python -m nbtrack.store.sqlite_ddl"
    assert DDL == compiled_ddl() and DDL_SCHEMA_VERSION == SCHEMA_VERSION, stale
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    Store(f"sqlite:///{a}").close()
    lite = SqliteStore(f"sqlite:///{b}", b)
    lite.close()
    assert lite._full is None  # created without SQLAlchemy's Store
    assert _master(b) == _master(a) and len(_master(a)) > 30
    with sqlite3.connect(b) as db:
        assert db.execute("SELECT value FROM nbtrack_meta").fetchall() == [(str(SCHEMA_VERSION),)]
    Store(f"sqlite:///{b}").close()  # the full Store takes it as current


def test_statements_older_than_the_schema_leave_every_write_to_sqlalchemy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration step added without updating sqlite_writes.py (the test above
    fails then) must not break users: the full Store writes, as before."""
    from nbtrack.store import _new_store, sqlite_writes

    monkeypatch.setattr(sqlite_writes, "WRITES_SCHEMA_VERSION", SCHEMA_VERSION - 1)
    path = tmp_path / "s.db"
    for _new_then_existing in range(2):
        store = _new_store(f"sqlite:///{path}")
        try:
            assert isinstance(store, Store)
            assert store.schema_version() == SCHEMA_VERSION
            store.create_run(_run(f"R{_new_then_existing}", "train"))
        finally:
            store.close()


def test_a_file_that_is_not_nbtracks_is_refused_not_written(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE mine (x)")
    with pytest.raises(StoreError, match="an SQLite database that nbtrack did not create"):
        SqliteStore(f"sqlite:///{path}", path)
    assert [r[1] for r in _master(path)] == ["mine"]


def test_a_corrupted_store_file_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="corrupted or not an SQLite database.*move it aside"):
        SqliteStore(f"sqlite:///{path}", path)


def test_a_locked_store_is_an_outage_not_a_refusal(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    lite = SqliteStore(f"sqlite:///{path}", path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        lite._connection().execute("PRAGMA busy_timeout=50")
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="stayed locked by another process") as info:
            lite.write_batch([("R", "loss", 0, 1.0, 1.0)], {})
        assert is_transient(info.value)
        other.execute("ROLLBACK")
        lite.write_batch([("R", "loss", 0, 1.0, 1.0)], {})  # the connection still works
    finally:
        other.close()
        lite.close()
    assert [(r[0], r[1], r[2], r[4]) for r in _dump(path)["chunks"]] == [(1, 1, 1, 1)]


_SCRIPT = """
import sys
import nbtrack
from nbtrack import tracking
run = tracking.begin_run(name="train", params={"lr": 0.1})
for step in range(50):
    nbtrack.log(loss=1 / (step + 1), acc=step / 50)
tracking.end_run(run)
print("LOADED", "sqlalchemy" in sys.modules)
"""


@pytest.mark.slow
def test_a_script_that_only_logs_never_imports_sqlalchemy(backend: str, project: Path) -> None:
    """Cold start: SQLAlchemy's import is most of a logging script's start-up, and an
    existing SQLite store needs none of it (PostgreSQL does)."""
    expected = not backend.startswith("sqlite")
    for _new_then_existing in range(2):
        out = subprocess.run(
            [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[-1] == f"LOADED {expected}"
    store = Store(backend)
    try:
        runs = store.select_runs()
        assert sorted(r["seq"] for r in runs) == [1, 2]
        assert {r["status"] for r in runs} == {"finished"}
        summaries = store.summaries([r["id"] for r in runs])
        assert all(s["loss"]["count"] == 50 for s in summaries.values())
    finally:
        store.close()
