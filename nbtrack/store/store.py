"""The Store: every read and write of runs, metric points and summaries.

One code path for SQLite and PostgreSQL (SQLAlchemy Core). The metric insert,
the only hot write, goes straight to the driver (point_writes.py).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import StoreError
from . import registry_runs, schema
from .deferred_runs import DeferredRuns, DeferringStore
from .engine import create_engine, is_dropped, translate_errors, write_engine
from .migrations import SCHEMA_VERSION, check_not_newer, read_version, upgrade
from .point_reads import PointReads, none_to_nan
from .point_writes import PointWrites
from .run_list import RunListing, write_params
from .urls import mask_url

RUN_JSON_FIELDS = ("params", "tags", "git")
_IN_CHUNK = 500
_PG_MIGRATION_LOCK = 7_242_001
# Two PostgreSQL writers numbering runs of one stem take turns (a deferred run's
# row goes in with its points: a clash would cost the whole transaction).
_SEQ_LOCK = sa.text("SELECT pg_advisory_xact_lock(7242002, hashtext(:stem))")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=True)


def _nan_to_none(value: float) -> float | None:
    return None if value != value else value


def _chunks(items: Sequence[str], size: int = _IN_CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Store(PointReads, RunListing, DeferringStore):
    """A run store at one SQLAlchemy URL. Thread-safe; one per URL per process."""

    def __init__(self, url: str, pre_ping: bool = True) -> None:
        self.url = url
        self.engine = create_engine(url, pre_ping)
        self.dialect = self.engine.dialect.name
        self._writer_engine = write_engine(self.engine)
        self._known_envs: set[str] = set()
        self._point_writes = PointWrites(self.dialect)
        self._held = threading.local()  # one_reader's connection, per thread
        self._deferred = DeferredRuns()
        self._ensure_schema()

    @property
    def shown_url(self) -> str:
        """The URL as it may be shown: no password."""
        return mask_url(self.url)

    @property
    def sqlite_file(self) -> str | None:
        database = self.engine.url.database
        if self.dialect != "sqlite" or not database or database == ":memory:":
            return None
        return database

    def file_identity(self) -> tuple[int, int] | None:
        """(device, inode) of a SQLite store's file, None when it is missing or
        the store is not a file; a change means the file was deleted or replaced."""
        path = self.sqlite_file
        if path is None:
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def reopen(self) -> None:
        """Drop every connection and open the store again (a new file, its schema
        created, when the old one was deleted)."""
        self.engine.dispose()
        self._writer_engine.dispose()
        self._known_envs.clear()
        self._point_writes.forget()
        path = self.sqlite_file
        if path is not None:
            from .engine import prepare_sqlite_folder

            prepare_sqlite_folder(Path(path))
        self._ensure_schema()

    def after_fork_in_child(self) -> None:
        """Drop the parent's connections from the pools, without closing them."""
        self.engine.dispose(close=False)
        self._writer_engine.dispose(close=False)

    def checkpoint(self) -> None:
        """Move a SQLite store's WAL into the database file and empty it, so that
        `nbtrack.db` alone holds every finished run (a copy of it, a backup).
        Best effort: a reader holding the WAL makes it partial, never fail."""
        if self.dialect != "sqlite":
            return
        from .engine import SQLITE_BUSY_TIMEOUT_S

        with contextlib.suppress(Exception):
            with self.engine.connect() as conn:
                # Readers (an open Runs panel) come and go: wait for them briefly,
                # never for the minute a write would.
                conn.exec_driver_sql("PRAGMA busy_timeout=2000")
                try:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")

    def release_disk_space(self) -> None:
        """After a disk-full error: give the WAL's pages back to the file system,
        so freed space is not refilled by a WAL that only grows. Best effort."""
        if self.dialect != "sqlite":
            return
        with contextlib.suppress(Exception):
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def ensure_run_row(self, row: dict[str, Any]) -> None:
        """Insert a run with its id, seq and name as they are, if it is not there."""
        t = schema.runs
        values = {
            k: (_dumps(v) if k in RUN_JSON_FIELDS and v is not None else v) for k, v in row.items()
        }
        with self.writing() as conn:
            if conn.execute(sa.select(t.c.id).where(t.c.id == values["id"])).first() is None:
                conn.execute(sa.insert(t).values(**values))
                write_params(conn, row["id"], row.get("params") or {})
                registry_runs.refresh_run(conn, row["id"])  # linked while it was away

    # -- transactions -------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """One write transaction; deferred runs' rows go in first (deferred_runs.py)."""
        deferred = self._deferred
        if not deferred.waiting():
            with translate_errors(self.url), self._writer_engine.begin() as conn:
                yield conn
            return
        with deferred.lock:
            made: dict[str, Any] = {}
            committed = False
            try:
                with translate_errors(self.url), self._writer_engine.begin() as conn:
                    made = deferred.insert(lambda row: self._create_in(conn, row))
                    yield conn
                committed = True
            finally:
                deferred.done(made, committed)

    @contextlib.contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        held = getattr(self._held, "conn", None)
        if held is not None:
            with translate_errors(self.url):
                yield held
            return
        with translate_errors(self.url), self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def one_reader(self) -> Iterator[sa.Connection]:
        """Every read of this thread inside the block goes through one connection: one
        pool checkout (a ping on PostgreSQL) and one rollback for all of them, not one
        each (the runs panel's poll reads seven times). The reads share a transaction:
        on SQLite one snapshot; `rollback()` the yielded connection to see writes made
        since through other connections. Nested blocks share the outer one's."""
        held = getattr(self._held, "conn", None)
        if held is not None:
            yield held
            return
        with translate_errors(self.url), self.engine.connect() as conn:
            self._held.conn = conn
            try:
                yield conn
            finally:
                self._held.conn = None

    def _ensure_schema(self) -> None:
        with self.reading() as conn:
            version = read_version(conn)
        check_not_newer(version, self.url)
        if version == SCHEMA_VERSION:
            return
        with self.writing() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
            upgrade(conn, self.url)

    def size_on_disk(self) -> int:
        """Bytes the store takes: every file of it (SQLite), its tables (PostgreSQL)."""
        from .compact import store_bytes

        return store_bytes(self)

    def compact(self) -> Any:
        """VACUUM: give back the space of deleted runs and replaced tables. Returns
        `Compacted(before, after)` in bytes; raises RunsLiveError while runs record."""
        from .compact import compact

        return compact(self)

    def schema_version(self) -> int:
        with self.reading() as conn:
            return read_version(conn) or 0

    def close(self) -> None:
        self.engine.dispose()

    # -- runs ---------------------------------------------------------------------

    def ensure_environment(self, env_id: str, data: dict[str, Any]) -> None:
        if env_id in self._known_envs:
            return
        # Content-addressed: kernels starting at once insert the same row; the
        # first wins and the others do nothing (no check-then-insert race).
        with self.writing() as conn:
            conn.execute(
                self._dialect_insert(schema.environments)
                .values(id=env_id, data=_dumps(data))
                .on_conflict_do_nothing(index_elements=["id"])
            )
        self._known_envs.add(env_id)

    def create_run(self, values: dict[str, Any]) -> tuple[int, str]:
        """Insert a run, allocating the next sequence number of its stem. Returns (seq, name)."""
        for attempt in range(20):
            try:
                with self.writing() as conn:
                    return self._create_in(conn, values)
            except StoreError as exc:
                # Two PostgreSQL writers took the same number: take the next one.
                # A connection the server dropped (no pre-ping): take another.
                taken = "uq_nbtrack_runs_stem_seq" in str(exc.__cause__)
                if not (taken or is_dropped(exc)) or attempt == 19:
                    raise
        raise AssertionError("unreachable")

    def _create_in(self, conn: sa.Connection, values: dict[str, Any]) -> tuple[int, str]:
        t = schema.runs
        row = {
            k: (_dumps(v) if k in RUN_JSON_FIELDS and v is not None else v)
            for k, v in values.items()
        }
        if self.dialect == "postgresql":
            conn.execute(_SEQ_LOCK, {"stem": row["stem"]})
        seq = (
            conn.execute(sa.select(sa.func.max(t.c.seq)).where(t.c.stem == row["stem"])).scalar()
            or 0
        ) + 1
        name = row.get("name") or f"{row['stem']}#{seq}"
        conn.execute(sa.insert(t).values(**{**row, "seq": seq, "name": name}))
        write_params(conn, row["id"], values.get("params") or {})
        return seq, name

    @staticmethod
    def _run_exists(conn: sa.Connection, run_id: str) -> bool:
        t = schema.runs
        return conn.execute(sa.select(t.c.id).where(t.c.id == run_id)).first() is not None

    def update_run(self, run_id: str, **values: Any) -> None:
        with self.writing() as conn:
            _update_in(conn, run_id, values)

    def delete_run(self, run_id: str) -> None:
        keys = schema.run_keys
        run_key = sa.select(keys.c.run_key).where(keys.c.run_id == run_id).scalar_subquery()
        with self.writing() as conn:
            conn.execute(sa.delete(schema.chunks).where(schema.chunks.c.run_key == run_key))
            for table in (keys, schema.summaries, schema.params):
                conn.execute(sa.delete(table).where(table.c.run_id == run_id))
            conn.execute(sa.delete(schema.runs).where(schema.runs.c.id == run_id))
            registry_runs.refresh_run(conn, run_id)

    def mark_crashed(self, stale_before: float, dead_here: Iterable[str]) -> list[str]:
        """Mark running runs whose heartbeat is older than `stale_before`, or whose
        process is known dead, as crashed. Returns their ids."""
        t = schema.runs
        dead = list(dead_here)
        cond = t.c.heartbeat < stale_before
        if dead:
            cond = sa.or_(cond, t.c.id.in_(dead))
        with self.writing() as conn:
            ids = [
                r[0] for r in conn.execute(sa.select(t.c.id).where(t.c.status == "running", cond))
            ]
            if ids:
                conn.execute(
                    sa.update(t)
                    .where(t.c.id.in_(ids), t.c.status == "running")
                    .values(status="crashed", end_time=t.c.heartbeat)
                )
        return ids

    def running_runs(self) -> list[sa.Row]:
        t = schema.runs
        with self.reading() as conn:
            return list(
                conn.execute(
                    sa.select(t.c.id, t.c.host, t.c.pid, t.c.heartbeat).where(
                        t.c.status == "running"
                    )
                )
            )

    # -- metric points ------------------------------------------------------------

    def _dialect_insert(self, table: sa.Table) -> Any:
        """INSERT with ON CONFLICT clauses (SQLite and PostgreSQL both have them)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    @functools.cached_property
    def _upsert_summaries(self) -> Any:
        t = schema.summaries
        stmt = self._dialect_insert(t)
        replaced = ("last", "last_step", "min", "max", "count")
        return stmt.on_conflict_do_update(
            index_elements=[t.c.run_id, t.c.key], set_={c: stmt.excluded[c] for c in replaced}
        )

    def write_batch(
        self,
        points: list[tuple[str, str, int, float, float]],
        summaries: dict[tuple[str, str], list[Any]],
        heartbeat: tuple[Sequence[str], float] | None = None,
        ends: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Append points, replace the given summaries, beat the hearts of live runs
        and record how the runs in `ends` ended ({run id: update_run's values}, after
        their last points): one transaction."""
        with self.writing() as conn:
            new_keys = self._write_in(conn, points, summaries, heartbeat)
            for run_id, values in (ends or {}).items():
                _update_in(conn, run_id, values)
        self._point_writes.learn(new_keys)

    def apply_journal(self, records: list[dict[str, Any]]) -> None:
        """Replay a journal file (writer.py): its batches and run updates in order,
        in one transaction, so a replay is all or nothing."""
        new_keys: dict[str, int] = {}
        with self.writing() as conn:
            for record in records:
                if "points" in record:
                    points = [tuple(p) for p in record["points"]]
                    summaries = {(r, k): rest for r, k, *rest in record.get("summaries", ())}
                    new_keys.update(self._write_in(conn, points, summaries, None))  # type: ignore[arg-type]
                elif "update" in record:
                    if "create" in record and not self._run_exists(conn, record["update"]):
                        self._create_in(conn, record["create"])
                    _update_in(conn, record["update"], record["values"])
        self._point_writes.learn(new_keys)

    def _write_in(
        self,
        conn: sa.Connection,
        points: list[tuple[str, str, int, float, float]],
        summaries: dict[tuple[str, str], list[Any]],
        heartbeat: tuple[Sequence[str], float] | None,
    ) -> dict[str, int]:
        """Write inside `conn`'s transaction; returns the metric key ids it looked up."""
        new_keys = self._point_writes.insert(conn, points) if points else {}
        if summaries:
            # One upsert: concurrent writers of a new key (forked workers on
            # PostgreSQL) must not collide on the primary key.
            conn.execute(
                self._upsert_summaries,
                [
                    {
                        "run_id": run_id,
                        "key": key,
                        "last": _nan_to_none(last),
                        "last_step": last_step,
                        "min": _nan_to_none(lo),
                        "max": _nan_to_none(hi),
                        "count": count,
                    }
                    for (run_id, key), (last, last_step, lo, hi, count) in summaries.items()
                ],
            )
        if heartbeat and heartbeat[0]:
            ids, now = heartbeat
            r = schema.runs
            conn.execute(sa.update(r).where(r.c.id.in_(list(ids))).values(heartbeat=now))
            # A run wrongly reported crashed (a stalled process) comes back to life.
            conn.execute(
                sa.update(r)
                .where(r.c.id.in_(list(ids)), r.c.status == "crashed")
                .values(status="running", end_time=None)
            )
        return new_keys

    # -- reads --------------------------------------------------------------------

    def select_runs(
        self,
        *,
        ids: Sequence[str] | None = None,
        experiment: str | Sequence[str] | None = None,
        status: str | Sequence[str] | None = None,
        sweep: str | None = None,
        limit: int | None = None,
        columns: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Runs newest first, as dicts with JSON fields decoded."""
        t = schema.runs
        cols = [t.c[name] for name in columns] if columns else list(t.c)
        query = sa.select(*cols).order_by(t.c.start_time.desc(), t.c.id.desc())
        if experiment is not None:
            query = query.where(
                t.c.experiment.in_(
                    [experiment] if isinstance(experiment, str) else list(experiment)
                )
            )
        if status is not None:
            query = query.where(
                t.c.status.in_([status] if isinstance(status, str) else list(status))
            )
        if sweep is not None:
            query = query.where(t.c.sweep == sweep)
        if limit is not None:
            query = query.limit(limit)
        rows: list[dict[str, Any]] = []
        with self.reading() as conn:
            if ids is None:
                rows = [dict(r._mapping) for r in conn.execute(query)]
            else:
                for chunk in _chunks(list(ids)):
                    rows += [dict(r._mapping) for r in conn.execute(query.where(t.c.id.in_(chunk)))]
                rows.sort(key=lambda r: (r.get("start_time", 0), r.get("id", "")), reverse=True)
        for row in rows:
            for name in RUN_JSON_FIELDS:
                if row.get(name) is not None:
                    row[name] = json.loads(row[name])
        return rows

    def summaries(
        self, run_ids: Sequence[str] | None = None
    ) -> dict[str, dict[str, dict[str, Any]]]:
        """{run_id: {key: {last, last_step, min, max, count}}}."""
        t = schema.summaries
        query = sa.select(t.c.run_id, t.c.key, t.c.last, t.c.last_step, t.c.min, t.c.max, t.c.count)
        out: dict[str, dict[str, dict[str, Any]]] = {}
        with self.reading() as conn:
            batches = (
                [conn.execute(query)]
                if run_ids is None
                else (conn.execute(query.where(t.c.run_id.in_(c))) for c in _chunks(list(run_ids)))
            )
            for result in batches:
                for run_id, key, last, last_step, lo, hi, count in result:
                    out.setdefault(run_id, {})[key] = {
                        "last": none_to_nan(last),
                        "last_step": last_step,
                        "min": none_to_nan(lo),
                        "max": none_to_nan(hi),
                        "count": count,
                    }
        return out

    def points(
        self, run_ids: Sequence[str], keys: Sequence[str] | None = None
    ) -> list[tuple[str, str, int, float, float]]:
        """(run_id, key, step, value, time) ordered by run (as given), key, step."""
        cols = self.point_columns(run_ids, keys)
        return list(
            zip(
                cols["run"].tolist(),
                cols["key"].tolist(),
                cols["step"].tolist(),
                cols["value"].tolist(),
                cols["time"].tolist(),
                strict=True,
            )
        )

    def point_columns(
        self, run_ids: Sequence[str], keys: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Every point of the runs as numpy columns run, key, step, value, time, ordered
        by run (as given), key, step (see history_reads.py)."""
        from .history_reads import point_columns

        return point_columns(self, run_ids, keys)

    def environment(self, env_id: str | None) -> dict[str, Any]:
        if env_id is None:
            return {}
        t = schema.environments
        with self.reading() as conn:
            data = conn.execute(sa.select(t.c.data).where(t.c.id == env_id)).scalar()
        return json.loads(data) if data else {}

    def counts(self) -> dict[str, int]:
        with self.reading() as conn:
            runs = conn.execute(sa.select(sa.func.count()).select_from(schema.runs)).scalar() or 0
            # Each run's counter of points: no count over the points themselves.
            total = sa.select(sa.func.sum(schema.run_keys.c.points))
            points = int(conn.execute(total).scalar() or 0)
            by_status = dict(
                conn.execute(
                    sa.select(schema.runs.c.status, sa.func.count()).group_by(schema.runs.c.status)
                ).all()
            )
        return {"runs": runs, "points": points, **{f"runs_{k}": v for k, v in by_status.items()}}


def _update_in(conn: sa.Connection, run_id: str, values: dict[str, Any]) -> None:
    row = {
        k: (_dumps(v) if k in RUN_JSON_FIELDS and v is not None else v) for k, v in values.items()
    }
    conn.execute(_update_run_statement(tuple(row)), {**row, "_run_id": run_id})
    if "params" in values:
        write_params(conn, run_id, values["params"] or {})
    if registry_runs.follows(row):
        registry_runs.refresh_run(conn, run_id)


@functools.lru_cache(maxsize=64)
def _update_run_statement(columns: tuple[str, ...]) -> Any:
    """UPDATE of a run's `columns`, built once per set of columns: SQLAlchemy then
    finds its compiled form in its cache (building one costs a millisecond of the
    run's end)."""
    t = schema.runs
    return (
        sa.update(t)
        .where(t.c.id == sa.bindparam("_run_id"))
        .values({c: sa.bindparam(c) for c in columns})
    )
