"""A SQLite store's write path in the standard library's sqlite3, no SQLAlchemy.

A script that only logs (start a run, log points, end it) spends most of its cold
start importing SQLAlchemy (~0.6 s of 0.8 s). `SqliteStore` does every write of that
path itself — the schema check, the environment, the run row, points and
summaries, run updates, journal replays, checkpoints — with the same SQL that
SQLAlchemy compiles from `schema.py` (tests compare the rows both write), and the
same guarantees: BEGIN IMMEDIATE under the busy timeout, WAL, every transaction
inside the fork guard, driver errors turned into StoreErrors that say what to do.

A new store is created from `sqlite_ddl.DDL` (SQLAlchemy's DDL, compiled ahead of
time). Anything else (reads, edits, an old schema to upgrade) goes to a full
`Store` on the same URL, built, and SQLAlchemy imported, on first use.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import registry_runs
from .deferred_runs import DeferredRuns, DeferringStore
from .forkguard import guard as fork_guard
from .param_rows import param_rows
from .point_writes import PointWrites
from .sqlite_files import connect, error_for, prepare_sqlite_folder
from .urls import mask_url

if TYPE_CHECKING:
    from .store import Store

# migrations.SCHEMA_VERSION, the schema these statements are written for (a test
# checks they agree: a new migration step must bump this too). A store at another
# version is opened (created, upgraded or refused) by the full Store first.
WRITES_SCHEMA_VERSION = 17

RUN_JSON_FIELDS = ("params", "tags", "git")
# schema.runs' columns, in order (a test checks).
RUN_COLUMNS = (
    "id",
    "experiment",
    "notebook",
    "stem",
    "seq",
    "name",
    "status",
    "start_time",
    "end_time",
    "heartbeat",
    "host",
    "pid",
    "error",
    "cell_source",
    "params",
    "tags",
    "notes",
    "env_id",
    "git",
    "snapshot",
    "sweep",
    "trial",
    "user_name",
)
_RUN_COLUMN_SET = frozenset(RUN_COLUMNS)

_VERSION_SQL = "SELECT value FROM nbtrack_meta WHERE key = 'schema_version'"
_ENV_SQL = "INSERT INTO nbtrack_environments (id, data) VALUES (?, ?) ON CONFLICT (id) DO NOTHING"
_MAX_SEQ_SQL = "SELECT max(seq) FROM nbtrack_runs WHERE stem = ?"
_RUN_EXISTS_SQL = "SELECT id FROM nbtrack_runs WHERE id = ?"
_DELETE_PARAMS_SQL = "DELETE FROM nbtrack_params WHERE run_id = ?"
_INSERT_PARAMS_SQL = (
    "INSERT INTO nbtrack_params (run_id, key, kind, num, text) VALUES (?, ?, ?, ?, ?)"
)
_SUMMARIES_SQL = (
    "INSERT INTO nbtrack_summaries (run_id, key, last, last_step, min, max, count) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET "
    "last = excluded.last, last_step = excluded.last_step, min = excluded.min, "
    "max = excluded.max, count = excluded.count"
)
_BEAT_SQL = "UPDATE nbtrack_runs SET heartbeat = ? WHERE id IN ({})"
_REVIVE_SQL = (
    "UPDATE nbtrack_runs SET status = 'running', end_time = NULL "
    "WHERE id IN ({}) AND status = 'crashed'"
)
_IN_CHUNK = 500


class StaleWrites(Exception):
    """This module's statements are older than the store's schema: use `full`."""

    def __init__(self, full: Store) -> None:
        super().__init__("store/sqlite_writes.py is older than the schema")
        self.full = full


# Connections a forked child inherited: never closed there (the parent owns them).
_orphans: list[sqlite3.Connection] = []


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=True)


def _nan_to_none(value: float) -> float | None:
    return None if value != value else value


def run_values(values: dict[str, Any]) -> dict[str, Any]:
    """A run's values as its row holds them: JSON fields as text, known columns only."""
    unknown = values.keys() - _RUN_COLUMN_SET
    if unknown:
        raise ValueError(f"not columns of nbtrack_runs: {sorted(unknown)}")
    return {
        k: (_dumps(v) if k in RUN_JSON_FIELDS and v is not None else v) for k, v in values.items()
    }


def _insert_run(db: sqlite3.Connection, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    db.execute(f"INSERT INTO nbtrack_runs ({columns}) VALUES ({marks})", tuple(row.values()))


def _update_run(db: sqlite3.Connection, run_id: str, row: dict[str, Any]) -> None:
    if not row:
        return
    sets = ", ".join(f"{c} = ?" for c in row)
    db.execute(f"UPDATE nbtrack_runs SET {sets} WHERE id = ?", (*row.values(), run_id))
    if registry_runs.follows(row):
        registry_runs.refresh_run(db, run_id)


def _update_in(db: sqlite3.Connection, run_id: str, values: dict[str, Any]) -> None:
    _update_run(db, run_id, run_values(values))
    if "params" in values:
        _write_params(db, run_id, values["params"] or {})


def _write_params(db: sqlite3.Connection, run_id: str, params: dict[str, Any]) -> None:
    db.execute(_DELETE_PARAMS_SQL, (run_id,))
    rows = param_rows(run_id, params)
    if rows:
        fields = ("run_id", "key", "kind", "num", "text")
        db.executemany(_INSERT_PARAMS_SQL, [tuple(r[f] for f in fields) for r in rows])


class SqliteStore(DeferringStore):
    """A SQLite store whose writes go through sqlite3; everything else through a
    full Store built on first use. Thread-safe: one connection, one transaction at
    a time (SQLite has one writer per file anyway)."""

    dialect = "sqlite"

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._full: Store | None = None
        self._full_lock = threading.Lock()
        self._known_envs: set[str] = set()
        self._point_writes = PointWrites("sqlite")
        self._deferred = DeferredRuns()  # shared with the full Store
        prepare_sqlite_folder(path)
        self._open_schema()

    # -- what the full Store serves ---------------------------------------------------

    @property
    def full(self) -> Store:
        """The SQLAlchemy Store on this URL (reads, edits, migrations)."""
        with self._full_lock:
            if self._full is None:
                from .store import Store

                self._full = Store(self.url)
                self._full._deferred = self._deferred  # its edits write them first too
            return self._full

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_full", "_full_lock", "_db", "_lock"):
            raise AttributeError(name)
        return getattr(self.full, name)

    def _open_schema(self) -> None:
        version = self._version()
        if version == WRITES_SCHEMA_VERSION:
            return
        if version is None:
            self._create_if_empty()
            if self._version() == WRITES_SCHEMA_VERSION:
                return  # created here, or by another process meanwhile
        # Older or newer than these statements, or not nbtrack's: the full Store
        # upgrades, refuses or reports it, as always.
        if self._full is None:
            self.full  # noqa: B018
        else:
            self._full.reopen()
        if self._version() != WRITES_SCHEMA_VERSION:
            # Statements older than the schema (WRITES_SCHEMA_VERSION not bumped with
            # a new migration step; a test says so): every write goes through
            # SQLAlchemy, as before this module, rather than guess.
            raise StaleWrites(self.full)

    def _create_if_empty(self) -> None:
        """Create the current schema in an empty database file (sqlite_ddl.DDL, what
        `migrations.create` does); leave a file that holds anything alone."""
        from .sqlite_ddl import DDL, DDL_SCHEMA_VERSION

        with self._transaction() as db:
            if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                return  # another process created it first, or a foreign file
            for statement in DDL:
                db.execute(statement)
            db.execute(
                "INSERT INTO nbtrack_meta (key, value) VALUES ('schema_version', ?)",
                (str(DDL_SCHEMA_VERSION),),
            )

    def _version(self) -> int | None:
        with self._translated(), self._lock:
            db = self._connection()
            fork_guard.enter(id(db))  # a read holds a SQLite lock too
            try:
                row = db.execute(_VERSION_SQL).fetchone()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return None
                raise
            finally:
                fork_guard.leave(id(db))
        return int(row[0]) if row is not None else 0

    # -- connections and transactions -----------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = connect(self.path)
        return self._db

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise error_for(self.url, str(exc), isinstance(exc, sqlite3.OperationalError)) from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: two writers queue on the busy
        timeout), inside the fork guard from BEGIN until COMMIT or ROLLBACK ran."""
        # Deferred runs' rows go in first, under their lock taken before the file's
        # (the full Store's writes take it first too).
        deferred = self._deferred if self._deferred.waiting() else None
        held = deferred.lock if deferred is not None else contextlib.nullcontext()
        with held, self._translated(), self._lock:
            db = self._connection()
            key = id(db)
            fork_guard.enter(key)  # no fork while this process holds SQLite locks
            try:
                db.execute("BEGIN IMMEDIATE")
                made: dict[str, Any] = {}
                try:
                    if deferred is not None:
                        made = deferred.insert(lambda row: self._create_in(db, row))
                    yield db
                    db.execute("COMMIT")
                    if deferred is not None:
                        deferred.done(made, True)
                        deferred = None
                except BaseException:
                    if deferred is not None:
                        deferred.done(made, False)
                    if db.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            db.execute("ROLLBACK")
                    raise
            finally:
                if self._db is db and db.in_transaction:
                    # Neither COMMIT nor ROLLBACK ended it: closing releases the locks.
                    self._db = None
                    with contextlib.suppress(sqlite3.Error):
                        db.close()
                fork_guard.leave(key)

    def after_fork_in_child(self) -> None:
        """Drop the parent's connection (without closing it) and its lock."""
        self._lock = threading.Lock()
        self._full_lock = threading.Lock()
        if self._db is not None:
            _orphans.append(self._db)
            self._db = None
        if self._full is not None:
            self._full.after_fork_in_child()

    # -- the store file -------------------------------------------------------------

    @property
    def shown_url(self) -> str:
        return mask_url(self.url)

    @property
    def sqlite_file(self) -> str:
        return str(self.path)

    def file_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def reopen(self) -> None:
        with self._lock:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None
        self._known_envs.clear()
        self._point_writes.forget()
        prepare_sqlite_folder(self.path)
        self._open_schema()

    def _checkpoint(self, busy_ms: int | None) -> None:
        with contextlib.suppress(Exception), self._lock:
            db = self._connection()
            fork_guard.enter(id(db))
            try:
                if busy_ms is None:
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    return
                # Readers (an open Runs panel) come and go: wait for them briefly,
                # never for the minute a write would.
                db.execute(f"PRAGMA busy_timeout={busy_ms}")
                try:
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    from .sqlite_files import SQLITE_BUSY_TIMEOUT_S

                    db.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            finally:
                fork_guard.leave(id(db))

    def checkpoint(self) -> None:
        """Fold the WAL into the database file (a copy of `nbtrack.db` alone holds
        every finished run). Best effort."""
        self._checkpoint(2000)

    def release_disk_space(self) -> None:
        self._checkpoint(None)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None
        if self._full is not None:
            self._full.close()

    # -- runs -----------------------------------------------------------------------

    def ensure_environment(self, env_id: str, data: dict[str, Any]) -> None:
        if env_id in self._known_envs:
            return
        with self._transaction() as db:
            db.execute(_ENV_SQL, (env_id, _dumps(data)))
        self._known_envs.add(env_id)

    def create_run(self, values: dict[str, Any]) -> tuple[int, str]:
        """Insert a run, allocating the next sequence number of its stem."""
        with self._transaction() as db:
            return self._create_in(db, values)

    @staticmethod
    def _create_in(db: sqlite3.Connection, values: dict[str, Any]) -> tuple[int, str]:
        row = run_values(values)
        seq = (db.execute(_MAX_SEQ_SQL, (row["stem"],)).fetchone()[0] or 0) + 1
        name = row.get("name") or f"{row['stem']}#{seq}"
        _insert_run(db, {**row, "seq": seq, "name": name})
        _write_params(db, row["id"], values.get("params") or {})
        return seq, name

    def ensure_run_row(self, row: dict[str, Any]) -> None:
        values = run_values(row)
        with self._transaction() as db:
            if db.execute(_RUN_EXISTS_SQL, (values["id"],)).fetchone() is None:
                _insert_run(db, values)
                _write_params(db, row["id"], row.get("params") or {})
                registry_runs.refresh_run(db, row["id"])  # linked while it was away

    def update_run(self, run_id: str, **values: Any) -> None:
        with self._transaction() as db:
            _update_in(db, run_id, values)

    # -- metric points ----------------------------------------------------------------

    def write_batch(
        self,
        points: list[tuple[str, str, int, float, float]],
        summaries: dict[tuple[str, str], list[Any]],
        heartbeat: tuple[Sequence[str], float] | None = None,
        ends: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Append points, replace the given summaries, beat the hearts of live
        runs and record how the runs in `ends` ended: one transaction."""
        with self._transaction() as db:
            new_keys = self._write_in(db, points, summaries, heartbeat)
            for run_id, values in (ends or {}).items():
                _update_in(db, run_id, values)
        self._point_writes.learn(new_keys)

    def apply_journal(self, records: list[dict[str, Any]]) -> None:
        """Replay a journal file's batches and run updates in order, all or nothing."""
        new_keys: dict[str, int] = {}
        with self._transaction() as db:
            for record in records:
                if "points" in record:
                    points = [tuple(p) for p in record["points"]]
                    summaries = {(r, k): rest for r, k, *rest in record.get("summaries", ())}
                    new_keys.update(self._write_in(db, points, summaries, None))  # type: ignore[arg-type]
                elif "update" in record:
                    exists = db.execute(_RUN_EXISTS_SQL, (record["update"],)).fetchone()
                    if "create" in record and exists is None:
                        self._create_in(db, record["create"])
                    _update_in(db, record["update"], record["values"])
        self._point_writes.learn(new_keys)

    def _write_in(
        self,
        db: sqlite3.Connection,
        points: list[tuple[str, str, int, float, float]],
        summaries: dict[tuple[str, str], list[Any]],
        heartbeat: tuple[Sequence[str], float] | None,
    ) -> dict[str, int]:
        new_keys = self._point_writes.insert_sqlite3(db, points) if points else {}
        if summaries:
            db.executemany(
                _SUMMARIES_SQL,
                [
                    (run, key, _nan_to_none(last), step, _nan_to_none(lo), _nan_to_none(hi), n)
                    for (run, key), (last, step, lo, hi, n) in summaries.items()
                ],
            )
        if heartbeat and heartbeat[0]:
            ids, now = list(heartbeat[0]), heartbeat[1]
            for i in range(0, len(ids), _IN_CHUNK):
                chunk = ids[i : i + _IN_CHUNK]
                marks = ",".join("?" * len(chunk))
                db.execute(_BEAT_SQL.format(marks), (now, *chunk))
                # A run wrongly reported crashed (a stalled process) comes back to life.
                db.execute(_REVIVE_SQL.format(marks), chunk)
        return new_keys
