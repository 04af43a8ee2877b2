"""Writing metric points into the chunks table (schema.chunks, chunks.py).

A batch of points `(run_id, key, step, value, time)` becomes one chunk row per
series (run, key): `(run_key, key_id, first_seq, last_seq, n, seqs, steps, vals,
times)`, its columns packed in C:
- a run's key and its points' `seq` come from one statement per run and batch on
  `nbtrack_run_keys` (`points = points + n ... RETURNING`), which also locks the
  run's counter until commit: two writers of one run (forked workers) take turns,
  and seqs grow in commit order, so "seq above the cursor" is exactly what was
  written since;
- metric names get an id once per store (`nbtrack_metric_keys`, kept in a cache
  that only learns ids whose transaction committed).

A flush of 100,000 points of two keys is two rows: the cost per point is the
batch's split into series (batch_series.py) and the packing, both C, with no
B-tree insert per point (issue 19: log() within 1.5x of a raw unindexed insert).
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from .batch_series import columns, series, take
from .chunks import Chunk, chunk_row, insert_sql

if TYPE_CHECKING:
    import sqlalchemy as sa

Point = tuple[str, str, int, float, float]
_INSERT_SQL = insert_sql("qmark")
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
_IN_CHUNK = 500


class PointWrites:
    """The points half of a Store's writes. One per Store; thread-safe."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self._key_ids: dict[str, int] = {}
        self._lock = threading.Lock()

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
        runs, keys = runs_and_keys(points)
        first = {run_id: self._take_seqs(conn, run_id, n) for run_id, n in runs.items()}
        known = self._key_ids
        new_ids = self._key_ids_of(conn, keys - known.keys())
        rows = chunk_rows(points, first, {**known, **new_ids} if new_ids else known)
        raw = conn.connection.driver_connection
        if self.dialect == "sqlite":
            raw.executemany(_INSERT_SQL, rows)  # type: ignore[union-attr]
        else:
            with raw.cursor() as cursor:  # type: ignore[union-attr]
                cursor.executemany(insert_sql("format"), rows)
        return new_ids

    def insert_sqlite3(self, db: sqlite3.Connection, points: Sequence[Point]) -> dict[str, int]:
        """`insert` through the standard library's sqlite3, inside `db`'s open
        transaction (no SQLAlchemy: a script that only logs never imports it)."""
        runs, keys = runs_and_keys(points)
        first = {run_id: _take_seqs_sqlite3(db, run_id, n) for run_id, n in runs.items()}
        known = self._key_ids
        new_ids = _key_ids_sqlite3(db, keys - known.keys())
        ids = {**known, **new_ids} if new_ids else known
        db.executemany(_INSERT_SQL, chunk_rows(points, first, ids))
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


def runs_and_keys(points: Sequence[Point]) -> tuple[dict[str, int], set[str]]:
    """The points a batch holds of each run (in the order the runs first appear) and
    its metric names, from its series (batch_series.py): no pass over the points."""
    runs: dict[str, int] = {}
    keys: set[str] = set()
    for run_id, key, pos, _ in series(points):
        runs[run_id] = runs.get(run_id, 0) + len(pos)
        keys.add(key)
    return runs, keys


def chunk_rows(
    points: Sequence[Point], first: dict[str, tuple[int, int]], ids: dict[str, int]
) -> list[Chunk]:
    """One chunk row per series of `points` (chunks.py), each run's seqs counted up
    from `first[run_id]` in the order the points were logged. Built in C
    (batch_series.py, array): the writer thread holds the GIL less."""
    _, _, steps, values, times = columns(points)
    out = []
    for run_id, key, pos, ranks in series(points):
        run_key, start = first[run_id]
        if isinstance(ranks, range):
            seqs: Sequence[int] = range(start + ranks.start, start + ranks.stop, ranks.step)
        else:
            seqs = list(map(start.__add__, ranks))
        out.append(
            chunk_row(
                run_key, ids[key], seqs, take(steps, pos), take(values, pos), take(times, pos)
            )
        )
    out.sort(key=itemgetter(0, 1))
    return out


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
