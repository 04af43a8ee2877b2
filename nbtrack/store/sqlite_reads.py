"""Runs read from an SQLite store through the standard library's sqlite3 alone.

The command line lists and shows runs in a fresh process; importing SQLAlchemy
costs more than the answer. `SQLiteReader` reads the same tables with the same
SQL as `Store.select_runs`, `Store.summaries`, `Store.running_runs` and
`Store.environment`, and gives the same rows, so `query` builds the same
RunViews from either (tests/test_sqlite_reads.py compares them on real stores).

It reads only a store whose schema version is READ_VERSION, the schema its SQL
was written against; any other store (older: to be migrated; newer: to be
refused) goes through the Store. Anything it cannot answer (a write, a read it
does not have, an SQLite error) is answered by the Store, opened on first need.
Imports nothing but the standard library at module import.
"""

from __future__ import annotations

import atexit
import json
import math
import sqlite3
from collections import namedtuple
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .urls import mask_url

if TYPE_CHECKING:
    from .store import Store

# The schema version whose tables the SQL below reads. When a migration step changes
# nbtrack_runs, nbtrack_summaries or nbtrack_environments, check the SQL against
# it and raise this; until then stores of the new version are read by the Store.
# (Steps 10 to 13 — an index on verdicts, the media index, run aliases, the model
# registry — leave the SQL below unchanged; 14 adds the runs' user_name, read below;
# 15 moves metric points into chunks, which the SQL below does not read; 16 copies
# each registry version's run ref and name into nbtrack_registry_versions, not read;
# 17 adds PostgreSQL's registry metric copies, nothing on SQLite.)
READ_VERSION = 17
_VERSION_KEY = "schema_version"  # migrations.VERSION_KEY
_JSON_FIELDS = ("params", "tags", "git")  # store.RUN_JSON_FIELDS
_RUN_COLUMNS = frozenset(
    "id experiment notebook stem seq name status start_time end_time heartbeat host pid "
    "error cell_source params tags notes env_id git snapshot sweep trial user_name".split()
)
_IN_CHUNK = 500
_BUSY_TIMEOUT_S = 60.0  # engine.SQLITE_BUSY_TIMEOUT_S

RunningRow = namedtuple("RunningRow", "id host pid heartbeat")


def _database_path(url: str) -> Path | None:
    """The file of a plain `sqlite:///path` URL; None for any other URL (options,
    escapes, memory databases: the Store reads those)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or any(c in url for c in "?%#"):
        return None
    path = url[len(prefix) :]
    if not path or path == ":memory:":
        return None
    return Path(path)


class SQLiteReader:
    """Read-only access to the runs of one SQLite store file (one connection)."""

    def __init__(self, url: str, conn: sqlite3.Connection, *, fallback: bool = True) -> None:
        self.url = url
        self._conn = conn
        self._store: Store | None = None
        # Tests turn this off so that a wrong query fails instead of being answered
        # by the Store.
        self.fallback = fallback

    @classmethod
    def open(cls, url: str, *, fallback: bool = True) -> SQLiteReader | None:
        """A reader of the store at `url`, or None when it is not an existing SQLite
        file of schema READ_VERSION (then open the Store instead)."""
        path = _database_path(url)
        if path is None or not path.is_file():
            return None
        try:
            # mode=rw: never create the file. Only SELECTs are sent (query_only), and
            # a read-write connection, unlike a read-only one, removes the WAL and
            # shared-memory files when it is the last one to close.
            conn = sqlite3.connect(
                f"file:{quote(str(path))}?mode=rw",
                uri=True,
                timeout=_BUSY_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error:
            return None
        try:
            conn.execute("PRAGMA query_only=ON")
            found = conn.execute(
                "SELECT value FROM nbtrack_meta WHERE key = ?", (_VERSION_KEY,)
            ).fetchone()
        except sqlite3.Error:
            found = None
        if found is None or str(found[0]) != str(READ_VERSION):
            conn.close()
            return None
        reader = cls(url, conn, fallback=fallback)
        atexit.register(reader.close)
        return reader

    @property
    def shown_url(self) -> str:
        return mask_url(self.url)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SQLiteReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def store(self) -> Store:
        """The Store of the same URL, for what this reader does not do."""
        if self._store is None:
            from . import open_store

            self._store = open_store(self.url)
        return self._store

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._conn.execute(sql, params).fetchall()

    def _or_store(self, exc: sqlite3.Error, method: str, *args: Any, **kwargs: Any) -> Any:
        """The Store's answer to what this reader failed to read (its errors say what to do)."""
        if not self.fallback:
            raise exc
        return getattr(self.store(), method)(*args, **kwargs)

    # -- the reads of Store, same arguments, same results --------------------------

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
        """Runs newest first, as dicts with JSON fields decoded (`Store.select_runs`)."""
        args = dict(ids=ids, experiment=experiment, status=status, sweep=sweep, limit=limit)
        try:
            return self._select_runs(columns=columns, **args)  # type: ignore[arg-type]
        except sqlite3.Error as exc:
            return self._or_store(exc, "select_runs", columns=columns, **args)  # type: ignore[no-any-return]

    def _select_runs(
        self,
        *,
        ids: Sequence[str] | None,
        experiment: str | Sequence[str] | None,
        status: str | Sequence[str] | None,
        sweep: str | None,
        limit: int | None,
        columns: Sequence[str] | None,
    ) -> list[dict[str, Any]]:
        names = list(columns) if columns else sorted(_RUN_COLUMNS)
        unknown = set(names) - _RUN_COLUMNS
        if unknown:
            raise ValueError(f"no such run columns: {sorted(unknown)}")
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("experiment", experiment), ("status", status)):
            if value is not None:
                values = [value] if isinstance(value, str) else list(value)
                where.append(f"{column} IN ({', '.join('?' * len(values))})")
                params += values
        if sweep is not None:
            where.append("sweep = ?")
            params.append(sweep)
        sql = f"SELECT {', '.join(names)} FROM nbtrack_runs"
        order = " ORDER BY start_time DESC, id DESC"
        tail = "" if limit is None else f" LIMIT {int(limit)}"
        rows: list[tuple[Any, ...]] = []
        if ids is None:
            text = sql + (f" WHERE {' AND '.join(where)}" if where else "") + order + tail
            rows = self._rows(text, params)
            out = [dict(zip(names, r, strict=True)) for r in rows]
        else:
            ids = list(ids)
            out = []
            for i in range(0, len(ids), _IN_CHUNK):
                chunk = ids[i : i + _IN_CHUNK]
                cond = [*where, f"id IN ({', '.join('?' * len(chunk))})"]
                text = f"{sql} WHERE {' AND '.join(cond)}{order}{tail}"
                out += [dict(zip(names, r, strict=True)) for r in self._rows(text, params + chunk)]
            out.sort(key=lambda r: (r.get("start_time", 0), r.get("id", "")), reverse=True)
        for row in out:
            for name in _JSON_FIELDS:
                if row.get(name) is not None:
                    row[name] = json.loads(row[name])
        return out

    def summaries(
        self, run_ids: Sequence[str] | None = None
    ) -> dict[str, dict[str, dict[str, Any]]]:
        """{run_id: {key: {last, last_step, min, max, count}}} (`Store.summaries`)."""
        try:
            return self._summaries(run_ids)
        except sqlite3.Error as exc:
            return self._or_store(exc, "summaries", run_ids)  # type: ignore[no-any-return]

    def _summaries(self, run_ids: Sequence[str] | None) -> dict[str, dict[str, dict[str, Any]]]:
        sql = "SELECT run_id, key, last, last_step, min, max, count FROM nbtrack_summaries"
        if run_ids is None:
            batches: Iterable[list[Any]] = [self._rows(sql)]
        else:
            ids = list(run_ids)
            batches = (
                self._rows(f"{sql} WHERE run_id IN ({', '.join('?' * len(chunk))})", chunk)
                for chunk in (ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK))
            )
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for rows in batches:
            for run_id, key, last, last_step, lo, hi, count in rows:
                out.setdefault(run_id, {})[key] = {
                    "last": _nan(last),
                    "last_step": last_step,
                    "min": _nan(lo),
                    "max": _nan(hi),
                    "count": count,
                }
        return out

    def verifications(self, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """{run_id: {verdict, detail, checked_at, stale}} for runs `nbtrack verify`
        checked or flagged (`store.verdicts.read`)."""
        sql = "SELECT run_id, verdict, detail, checked_at, stale FROM nbtrack_verdicts"
        ids = list(run_ids)
        out: dict[str, dict[str, Any]] = {}
        try:
            for i in range(0, len(ids), _IN_CHUNK):
                chunk = ids[i : i + _IN_CHUNK]
                where = f" WHERE run_id IN ({', '.join('?' * len(chunk))})"
                for run_id, verdict, detail, checked_at, stale in self._rows(sql + where, chunk):
                    out[run_id] = {
                        "verdict": verdict,
                        "detail": json.loads(detail) if detail else None,
                        "checked_at": checked_at,
                        "stale": json.loads(stale) if stale else None,
                    }
        except sqlite3.Error:
            from .verdicts import read

            return read(self.store(), ids)
        return out

    def running_runs(self) -> list[RunningRow]:
        """(id, host, pid, heartbeat) of the runs marked running (`Store.running_runs`)."""
        sql = "SELECT id, host, pid, heartbeat FROM nbtrack_runs WHERE status = 'running'"
        try:
            return [RunningRow(*r) for r in self._rows(sql)]
        except sqlite3.Error as exc:
            return self._or_store(exc, "running_runs")  # type: ignore[no-any-return]

    def environment(self, env_id: str | None) -> dict[str, Any]:
        if env_id is None:
            return {}
        sql = "SELECT data FROM nbtrack_environments WHERE id = ?"
        try:
            found = self._rows(sql, (env_id,))
        except sqlite3.Error as exc:
            return self._or_store(exc, "environment", env_id)  # type: ignore[no-any-return]
        return json.loads(found[0][0]) if found and found[0][0] else {}

    def has_edges(self, run_id: str, direction: str) -> bool:
        """Did the run use ("in") or make ("out") any artifact version? Most runs
        did not: then `Run.inputs` is empty without opening the Store (and importing
        SQLAlchemy) in a cold `nbtrack diff`. True when this reader cannot tell."""
        sql = "SELECT 1 FROM nbtrack_artifact_edges WHERE run_id = ? AND direction = ? LIMIT 1"
        try:
            return bool(self._rows(sql, (run_id, direction)))
        except sqlite3.Error:
            if not self.fallback:
                raise
            return True  # the Store reads them (and says what is wrong)

    def has_media(self, run_ids: Iterable[str]) -> bool:
        """Did any of the runs log media (nbtrack.media)? Most did not: then a cold
        `nbtrack diff` has no media part to read, without opening the Store. True
        when this reader cannot tell."""
        ids = list(run_ids)
        sql = (
            "SELECT 1 FROM nbtrack_media WHERE run_id IN ("
            + ", ".join("?" * len(ids))
            + ") LIMIT 1"
        )
        try:
            return bool(self._rows(sql, tuple(ids)))
        except sqlite3.Error:
            if not self.fallback:
                raise
            return True

    # -- writes go to the Store ----------------------------------------------------

    def mark_crashed(self, stale_before: float, dead_here: Iterable[str]) -> list[str]:
        return self.store().mark_crashed(stale_before, dead_here)


def _nan(value: float | None) -> float:
    """A stored metric value: NULL stands for NaN (SQLite cannot store NaN)."""
    return math.nan if value is None else value
