"""The command line's read path (sqlite3 alone) against the Store (SQLAlchemy), on the
same real SQLite stores: the same rows, hence the same RunViews."""

from __future__ import annotations

import hashlib
import math
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import nbtrack
from nbtrack import query
from nbtrack.errors import StoreError
from nbtrack.store import open_store
from nbtrack.store.sqlite_reads import READ_VERSION, SQLiteReader


@pytest.fixture
def url(project: Path) -> str:
    return f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"


@pytest.fixture
def reader(url: str, varied_runs: list[str]) -> Iterator[SQLiteReader]:
    found = SQLiteReader.open(url, fallback=False)  # a wrong query fails the test
    assert found is not None
    yield found
    found.close()


@pytest.fixture
def varied_runs(project: Path) -> list[str]:
    """Finished, failed and running runs; NaN and infinite metrics and params; tags,
    notes, git state, a sweep's trials; two notebooks."""
    ids = []
    for i, (name, tags) in enumerate([("a", ["x"]), (None, ["x", "y"]), ("a", [])]):
        with nbtrack.start_run(
            name=name,
            params={"lr": 10.0**-i, "odd": math.nan if i == 1 else [i, "s"], "n": i},
            tags=tags,
            notes="note" if i else None,
            notebook=project / ("train.ipynb" if i < 2 else "eval.ipynb"),
            experiment="e1" if i < 2 else "e2",
        ) as run:
            nbtrack.log(loss=1.0 / (i + 1), acc=math.nan, step=0)
            nbtrack.log(loss=math.inf if i == 2 else 0.5, step=1)
        ids.append(run.id)
    with pytest.raises(RuntimeError), nbtrack.start_run(name="boom") as failed:
        nbtrack.log(loss=2.0)
        raise RuntimeError("boom")
    ids.append(failed.id)
    store = open_store(f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}")
    for trial in (1, 2):
        store.update_run(ids[trial - 1], sweep="sw1", trial=trial)
    return ids


FILTERS = [
    {},
    {"limit": 2},
    {"experiment": "e1"},
    {"experiment": ["e1", "e2"], "status": "finished"},
    {"status": ["failed", "running"]},
    {"tags": "x"},
    {"tags": ["x", "y"], "limit": 1},
    {"sweep": "sw1"},
    {"metrics": False},
]


@pytest.mark.parametrize("filters", FILTERS, ids=[repr(f) for f in FILTERS])
def test_both_paths_list_the_same_runviews(
    url: str, reader: SQLiteReader, filters: dict[str, object]
) -> None:
    by_store = query.list_runs(open_store(url), **filters)  # type: ignore[arg-type]
    by_reader = query.list_runs(reader, **filters)  # type: ignore[arg-type]
    assert by_store and by_reader == by_store
    for a, b in zip(by_store, by_reader, strict=True):
        assert a.to_record().keys() == b.to_record().keys()
        assert [type(v) for v in a.to_record().values()] == [
            type(v) for v in b.to_record().values()
        ]


def test_both_paths_read_one_run_in_full_alike(
    url: str, reader: SQLiteReader, varied_runs: list[str]
) -> None:
    for ref in ("latest", "a", "a~1", "train#2", "boom", varied_runs[1][:20]):
        by_store = query.get_run(ref, store=open_store(url))
        by_reader = query.get_run(ref, store=reader)
        assert by_reader == by_store
        assert (by_reader.error, by_reader.cell_source, by_reader.git) == (
            by_store.error,
            by_store.cell_source,
            by_store.git,
        )
        assert by_reader.env == by_store.env and by_reader.env["python"]
    assert "RuntimeError: boom" in (query.get_run("boom", store=reader).error or "")


def test_both_paths_resolve_references_alike(
    url: str, reader: SQLiteReader, varied_runs: list[str]
) -> None:
    assert query._keys(reader) == query._keys(open_store(url))
    assert query.resolve_ref("latest~3", store=reader) == varied_runs[0]


def test_a_running_run_reads_alike_and_stays_running(url: str, reader: SQLiteReader) -> None:
    with nbtrack.start_run(name="live") as run:
        # No points: a flush between the two reads would make them differ.
        by_reader = query.get_run("live", store=reader)
        by_store = query.get_run("live", store=open_store(url))
        assert by_reader == by_store and by_reader.status == "running" and by_reader.end is None
    assert query.get_run(run.id, store=reader).status == "finished"


def test_a_run_whose_process_died_is_reported_crashed_through_the_store(
    url: str, reader: SQLiteReader
) -> None:
    # Left running by a process of this host that is gone (a pid above any pid_max).
    store = open_store(url)
    with store.writing() as conn:
        conn.exec_driver_sql(
            "UPDATE nbtrack_runs SET status='running', end_time=NULL, pid=?, host=? "
            "WHERE name='boom'",
            (2**22 + 12345, socket.gethostname()),
        )
    assert [v.status for v in query.list_runs(reader, status="running")] == []
    assert [v.status for v in query.list_runs(reader, status="crashed")] == ["crashed"]


def test_the_reader_writes_nothing_and_leaves_no_files(
    project: Path, url: str, varied_runs: list[str]
) -> None:
    source = Path(url[len("sqlite:///") :])
    # A copy nothing of this test process writes to, made by SQLite's backup API:
    # a consistent picture of every committed transaction, WAL included (a
    # checkpoint then a byte copy can miss the last ones while another connection
    # of this process holds a read transaction, which a loaded machine makes likely).
    db = project / "copy" / "nbtrack.db"
    db.parent.mkdir()
    src, dst = sqlite3.connect(source), sqlite3.connect(db)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    assert sorted(p.name for p in db.parent.iterdir()) == ["nbtrack.db"]
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    found = SQLiteReader.open(f"sqlite:///{db}", fallback=False)
    assert found is not None
    assert len(query.list_runs(found)) == 4
    query.get_run("latest", store=found)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        found._conn.execute("DELETE FROM nbtrack_runs")
    found.close()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert [p.name for p in db.parent.iterdir()] == ["nbtrack.db"]


def test_stores_the_reader_does_not_know_go_to_the_store(
    project: Path, url: str, varied_runs: list[str]
) -> None:
    assert SQLiteReader.open("postgresql+psycopg:///x") is None
    assert SQLiteReader.open(url + "?timeout=3") is None
    missing = f"sqlite:///{project / 'elsewhere' / 'nbtrack.db'}"
    assert SQLiteReader.open(missing) is None
    assert not (project / "elsewhere").exists()  # never creates a store
    db = Path(url[len("sqlite:///") :])
    other = sqlite3.connect(db)
    other.execute("UPDATE nbtrack_meta SET value = ? WHERE key = 'schema_version'", ("99",))
    other.commit()
    other.close()
    assert SQLiteReader.open(url) is None  # a newer store: the Store refuses it, saying why
    nbtrack.store.forget_stores()
    with pytest.raises(StoreError, match="newer than this nbtrack"):
        query.reader_for(url)


def test_an_sqlite_error_is_answered_by_the_store(url: str, varied_runs: list[str]) -> None:
    found = SQLiteReader.open(url)
    assert found is not None
    expected = query.list_runs(found)
    found._conn.close()  # every read now fails in sqlite3
    assert query.list_runs(found) == expected


def test_the_reader_reads_the_schema_of_this_nbtrack() -> None:
    from nbtrack.store.migrations import SCHEMA_VERSION

    assert READ_VERSION == SCHEMA_VERSION, (
        "a migration step was added: check the SQL of nbtrack/store/sqlite_reads.py against "
        "the new schema (tables nbtrack_runs, nbtrack_summaries, nbtrack_environments), then "
        "set READ_VERSION to the new version; until then the CLI reads through SQLAlchemy"
    )
