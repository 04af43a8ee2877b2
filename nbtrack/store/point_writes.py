"""Writing metric points into the compact points table (schema.points).

A batch of points `(run_id, key, step, value, time)` becomes rows
`(run_key, key_id, step, seq, value, time)`:
- a run's key and its points' `seq` come from one statement per run and batch on
  `nbtrack_run_keys` (`points = points + n ... RETURNING`), which also locks the
  run's counter until commit: two writers of one run (forked workers) take turns,
  and seqs grow in commit order, so "seq above the cursor" is exactly what was
  written since;
- metric names get an id once per store (`nbtrack_metric_keys`, kept in a cache
  that only learns ids whose transaction committed).

SQLite takes the rows in multi-row INSERTs of up to a thousand rows each: one
call into SQLite per statement, which runs without the GIL, instead of one per
row (the user's training loop holds the GIL the rest of the time). PostgreSQL
takes them through COPY.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain, count
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from . import schema

Point = tuple[str, str, int, float, float]
Row = tuple[int, int, int, int, float | None, float]

_COLUMNS = "run_key, key_id, step, seq, value, time"
# Rows per multi-row INSERT, at most: SQLite before 3.32 binds at most 999 variables.
# A batch goes in statements of power-of-two sizes, so a dozen statements, each
# compiled once per connection, serve every batch size.
_MAX_ROWS_PER_INSERT = 1024 if sqlite3.sqlite_version_info >= (3, 32) else 128
_IN_CHUNK = 500
flatten = chain.from_iterable  # C speed: the writer thread holds the GIL less


class PointWrites:
    """The points half of a Store's writes. One per Store; thread-safe."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self._key_ids: dict[str, int] = {}
        self._lock = threading.Lock()
        self._statements: dict[int, str] = {}

    def forget(self) -> None:
        """Drop what this process knows of the store (it was replaced or reopened)."""
        with self._lock:
            self._key_ids = {}

    def learn(self, key_ids: dict[str, int]) -> None:
        """Key ids of a committed transaction, for later batches."""
        if key_ids:
            with self._lock:
                self._key_ids = {**self._key_ids, **key_ids}

    def insert(self, conn: sa.Connection, points: Sequence[Point]) -> dict[str, int]:
        """Insert `points` inside the caller's transaction. Returns the key ids it had
        to look up: `learn` them once the transaction has committed."""
        runs = Counter(map(itemgetter(0), points))
        first = {run_id: self._take_seqs(conn, run_id, n) for run_id, n in runs.items()}
        known = self._key_ids
        new_ids = self._key_ids_of(conn, set(map(itemgetter(1), points)) - known.keys())
        ids = {**known, **new_ids} if new_ids else known
        if len(first) == 1:
            ((run_key, start),) = first.values()
            rows: list[Row] = [
                (run_key, ids[k], s, q, v if v == v else None, w)
                for (_, k, s, v, w), q in zip(points, count(start))
            ]
        else:
            rows = []
            nxt = {run_id: list(pair) for run_id, pair in first.items()}
            for r, k, s, v, w in points:
                slot = nxt[r]
                rows.append((slot[0], ids[k], s, slot[1], v if v == v else None, w))
                slot[1] += 1
        if self.dialect == "sqlite":
            self._insert_sqlite(conn, rows, len(first) == 1)
        else:
            self._copy_postgres(conn, rows)
        return new_ids

    def _take_seqs(self, conn: sa.Connection, run_id: str, n: int) -> tuple[int, int]:
        """(run_key, first seq) for `n` new points of the run; the run's counter
        stays locked until the transaction ends."""
        bump, add = self._seq_statements
        args = {"run": run_id, "n": n}
        for _ in range(3):
            row = conn.execute(bump, args).first()
            if row is not None:
                return row[0], row[1] - n + 1
            added = conn.execute(add, args).first()
            if added is not None:
                return added[0], 1
            # Another writer added the run between the two statements: count on it.
        raise AssertionError(f"no run key for {run_id}")

    @functools.cached_property
    def _seq_statements(self) -> tuple[Any, Any]:
        """The two statements of `_take_seqs`, built once: SQLAlchemy then finds
        their compiled form in its cache instead of building a new one per batch
        (a millisecond of the run's end)."""
        t = schema.run_keys
        bump = (
            sa.update(t)
            .where(t.c.run_id == sa.bindparam("run"))
            .values(points=t.c.points + sa.bindparam("n"))
            .returning(t.c.run_key, t.c.points)
        )
        add = (
            self._insert_ignoring(t, ["run_id"])
            .values(run_id=sa.bindparam("run"), points=sa.bindparam("n"))
            .returning(t.c.run_key)
        )
        return bump, add

    def _key_ids_of(self, conn: sa.Connection, keys: Iterable[str]) -> dict[str, int]:
        """Ids of metric names, adding the new ones (concurrent writers may add the same
        name at once: the first wins, the others read its id)."""
        names = sorted(keys)
        if not names:
            return {}
        t = schema.metric_keys
        conn.execute(self._insert_ignoring(t, ["key"]), [{"key": k} for k in names])
        out: dict[str, int] = {}
        for i in range(0, len(names), _IN_CHUNK):
            chunk = names[i : i + _IN_CHUNK]
            query = sa.select(t.c.key, t.c.id).where(t.c.key.in_(chunk))
            out.update(conn.execute(query).all())  # type: ignore[arg-type]
        return out

    def _insert_ignoring(self, table: sa.Table, unique: list[str]) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table).on_conflict_do_nothing(index_elements=unique)

    def _statement(self, n: int) -> str:
        sql = self._statements.get(n)
        if sql is None:
            values = ",".join(["(?,?,?,?,?,?)"] * n)
            sql = self._statements[n] = (
                f"INSERT INTO {schema.points.name} ({_COLUMNS}) VALUES {values}"
            )
        return sql

    def _insert_sqlite(self, conn: sa.Connection, rows: list[Row], one_run: bool) -> None:
        # Series by series (a stable sort keeps each in the order it was logged): each
        # grows at one place of the table.
        rows.sort(key=itemgetter(1) if one_run else itemgetter(0, 1))
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            i, n = 0, len(rows)
            while i < n:
                size = min(_MAX_ROWS_PER_INSERT, 1 << ((n - i).bit_length() - 1))
                chunk = rows[i : i + size]
                cursor.execute(self._statement(size), list(flatten(chunk)))
                i += size
        finally:
            cursor.close()

    def _copy_postgres(self, conn: sa.Connection, rows: list[Row]) -> None:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {schema.points.name} ({_COLUMNS}) FROM STDIN") as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
