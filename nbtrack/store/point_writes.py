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
row (the user's training loop holds the GIL the rest of the time; each
statement's return waits for it, up to the interpreter's 5 ms switch interval).
`executemany` of one prepared statement measured twice the CPU per row here, and
takes the GIL back after every row. PostgreSQL takes them through COPY. The rows
are built series by series from the batch's columns (batch_series.py).
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from .batch_series import columns, nan_as_none, series, take

if TYPE_CHECKING:
    import sqlalchemy as sa

Point = tuple[str, str, int, float, float]
Row = tuple[int, int, int, int, float | None, float]

POINTS_TABLE = "nbtrack_points"  # schema.points (a test checks); no SQLAlchemy import
_COLUMNS = "run_key, key_id, step, seq, value, time"
_COLUMN_COUNT = 6
# The standard library's SQL for a SQLite store's writes (sqlite_writes.py), the
# same statements SQLAlchemy compiles from `_seq_statements` and `_key_ids_of`.
_BUMP_SQL = (
    "UPDATE nbtrack_run_keys SET points=(nbtrack_run_keys.points + ?) "
    "WHERE nbtrack_run_keys.run_id = ? RETURNING nbtrack_run_keys.run_key, nbtrack_run_keys.points"
)
_ADD_SQL = (
    "INSERT INTO nbtrack_run_keys (run_id, points) VALUES (?, ?) "
    "ON CONFLICT (run_id) DO NOTHING RETURNING nbtrack_run_keys.run_key"
)
_ADD_KEY_SQL = "INSERT INTO nbtrack_metric_keys (key) VALUES (?) ON CONFLICT (key) DO NOTHING"
_KEY_IDS_SQL = "SELECT key, id FROM nbtrack_metric_keys WHERE key IN ({})"
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
        rows = _rows(points, first, {**known, **new_ids} if new_ids else known)
        if self.dialect == "sqlite":
            self._insert_sqlite(conn.connection.dbapi_connection, rows)  # type: ignore[arg-type]
        else:
            self._copy_postgres(conn, rows)
        return new_ids

    def insert_sqlite3(self, db: sqlite3.Connection, points: Sequence[Point]) -> dict[str, int]:
        """`insert` through the standard library's sqlite3, inside `db`'s open
        transaction (no SQLAlchemy: a script that only logs never imports it)."""
        runs = Counter(map(itemgetter(0), points))
        first = {run_id: _take_seqs_sqlite3(db, run_id, n) for run_id, n in runs.items()}
        known = self._key_ids
        new_ids = _key_ids_sqlite3(db, set(map(itemgetter(1), points)) - known.keys())
        rows = _rows(points, first, {**known, **new_ids} if new_ids else known)
        self._insert_sqlite(db, rows)
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
        import sqlalchemy as sa

        from . import schema

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
        import sqlalchemy as sa

        from . import schema

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
            sql = self._statements[n] = f"INSERT INTO {POINTS_TABLE} ({_COLUMNS}) VALUES {values}"
        return sql

    def _insert_sqlite(self, db: sqlite3.Connection, rows: Iterable[Row]) -> None:
        params = list(flatten(rows))
        n = len(params) // _COLUMN_COUNT
        cursor = db.cursor()
        try:
            i = 0
            while i < n:
                size = min(_MAX_ROWS_PER_INSERT, 1 << ((n - i).bit_length() - 1))
                chunk = params[i * _COLUMN_COUNT : (i + size) * _COLUMN_COUNT]
                cursor.execute(self._statement(size), chunk)
                i += size
        finally:
            cursor.close()

    def _copy_postgres(self, conn: sa.Connection, rows: Iterable[Row]) -> None:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {POINTS_TABLE} ({_COLUMNS}) FROM STDIN") as copy:
                write = copy.write_row
                for row in rows:
                    write(row)


def _rows(
    points: Sequence[Point], first: dict[str, tuple[int, int]], ids: dict[str, int]
) -> Iterator[Row]:
    """The table rows of `points`, series by series (run key, then key id; each in
    the order it was logged: it grows at one place of the table), each run's seqs
    counted up from `first[run_id]` in the order the points were logged. Built in
    C (batch_series.py): the writer thread holds the GIL less."""
    _, _, steps, values, times = columns(points)
    values = nan_as_none(values)
    parts = []
    for run_id, key, pos, ranks in series(points):
        run_key, start = first[run_id]
        if isinstance(ranks, range):
            seqs: Iterable[int] = range(start + ranks.start, start + ranks.stop, ranks.step)
        else:
            seqs = map(start.__add__, ranks)
        n = len(pos)
        rows = zip(
            repeat(run_key, n),
            repeat(ids[key], n),
            take(steps, pos),
            seqs,
            take(values, pos),
            take(times, pos),
            strict=True,
        )
        parts.append((run_key, ids[key], rows))
    parts.sort(key=itemgetter(0, 1))
    return flatten(map(itemgetter(2), parts))


def _take_seqs_sqlite3(db: sqlite3.Connection, run_id: str, n: int) -> tuple[int, int]:
    """`PointWrites._take_seqs` in the standard library's sqlite3 (one writer at a
    time holds SQLite's write lock, so the insert never races)."""
    row = db.execute(_BUMP_SQL, (n, run_id)).fetchone()
    if row is not None:
        return row[0], row[1] - n + 1
    added = db.execute(_ADD_SQL, (run_id, n)).fetchone()
    if added is None:
        raise AssertionError(f"no run key for {run_id}")
    return added[0], 1


def _key_ids_sqlite3(db: sqlite3.Connection, keys: Iterable[str]) -> dict[str, int]:
    names = sorted(keys)
    if not names:
        return {}
    db.executemany(_ADD_KEY_SQL, [(k,) for k in names])
    out: dict[str, int] = {}
    for i in range(0, len(names), _IN_CHUNK):
        chunk = names[i : i + _IN_CHUNK]
        sql = _KEY_IDS_SQL.format(",".join("?" * len(chunk)))
        out.update(db.execute(sql, chunk).fetchall())
    return out
