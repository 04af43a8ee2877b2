"""Reads of metric points that the server extension polls: by id cursor, one key
by step, a series' ends and its buckets' extremes. Each is an index seek, cheap
enough to repeat every few hundred milliseconds. Mixed into `Store`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from . import schema
from .extremes import SQLITE_BUCKETS_PER_STATEMENT, Bounds, postgres_extremes, sqlite_extremes

# A metric point's id in a condition that must not pick the (run_id, id) index:
# reads of one key go through (run_id, key, step, value), whatever the id bound.
_UNINDEXED_ID = sa.literal_column("+id", sa.BigInteger)
# From this many buckets on, SQLite reads a series' extremes in two threads.
_SPLIT_BUCKETS = 2 * SQLITE_BUCKETS_PER_STATEMENT


def none_to_nan(value: float | None) -> float:
    """A stored metric value: NULL stands for NaN (SQLite cannot store NaN)."""
    return math.nan if value is None else value


class PointReads:
    engine: sa.Engine
    dialect: str
    reading: Callable[[], contextlib.AbstractContextManager[sa.Connection]]

    def find_run_ids(
        self, *, stem: str | None = None, seq: int | None = None, name: str | None = None
    ) -> list[str]:
        """Ids of the runs with this stem and seq, or this name, newest first."""
        t = schema.runs
        query = sa.select(t.c.id).order_by(t.c.start_time.desc(), t.c.id.desc())
        if stem is not None:
            query = query.where(t.c.stem == stem)
        if seq is not None:
            query = query.where(t.c.seq == seq)
        if name is not None:
            query = query.where(t.c.name == name)
        with self.reading() as conn:
            return [r[0] for r in conn.execute(query)]

    def last_point_id(self, run_id: str) -> int:
        """The id of the run's newest metric point; 0 when it has none."""
        t = schema.metrics
        with self.reading() as conn:
            return (
                conn.execute(sa.select(sa.func.max(t.c.id)).where(t.c.run_id == run_id)).scalar()
                or 0
            )

    def points_since(
        self, run_id: str, after_id: int, upto_id: int, keys: Sequence[str] | None = None
    ) -> list[tuple[int, str, int, float, float]]:
        """(id, key, step, value, time) of the run's points with `after_id < id <= upto_id`,
        by id."""
        t = schema.metrics
        query = (
            sa.select(t.c.id, t.c.key, t.c.step, t.c.value, t.c.time)
            .where(t.c.run_id == run_id, t.c.id > after_id, t.c.id <= upto_id)
            .order_by(t.c.id)
        )
        if keys is not None:
            query = query.where(t.c.key.in_(list(keys)))
        with self.reading() as conn:
            return [(i, k, s, none_to_nan(v), w) for i, k, s, v, w in conn.execute(query)]

    def key_points(
        self, run_id: str, key: str, upto_id: int
    ) -> list[tuple[int, int, float, float]]:
        """(id, step, value, time) of one key's points with `id <= upto_id`, by step then id."""
        t = schema.metrics
        query = (
            sa.select(t.c.id, t.c.step, t.c.value, t.c.time)
            .where(t.c.run_id == run_id, t.c.key == key, _UNINDEXED_ID <= upto_id)
            .order_by(t.c.step, t.c.id)
        )
        with self.reading() as conn:
            return [(i, s, none_to_nan(v), w) for i, s, v, w in conn.execute(query)]

    def run_points(
        self, run_id: str, upto_id: int, skip_keys: Sequence[str] = ()
    ) -> list[tuple[str, int, int, float, float]]:
        """(key, id, step, value, time) of every point of the run with `id <= upto_id`, but
        those of `skip_keys`, by key then step then id: one read of the (run_id, key, step,
        value) index, however many keys the run has."""
        t = schema.metrics
        query = (
            sa.select(t.c.key, t.c.id, t.c.step, t.c.value, t.c.time)
            .where(t.c.run_id == run_id, _UNINDEXED_ID <= upto_id)
            .order_by(t.c.key, t.c.step, t.c.id)
        )
        if skip_keys:
            query = query.where(t.c.key.not_in(list(skip_keys)))
        with self.reading() as conn:
            return [(k, i, s, none_to_nan(v), w) for k, i, s, v, w in conn.execute(query)]

    def count_points(self, run_id: str, key: str, upto_id: int, cap: int) -> int:
        """How many points the key has with `id <= upto_id`, counting no further than `cap`."""
        t = schema.metrics
        inner = (
            sa.select(t.c.id)
            .where(t.c.run_id == run_id, t.c.key == key, _UNINDEXED_ID <= upto_id)
            .limit(cap)
            .subquery()
        )
        with self.reading() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(inner)).scalar() or 0

    def _points_sql(self, where: str, order: str, name: str) -> str:
        """One point of a key, picked by `order` through the (run_id, key, step, value) index
        (`+id`: see _UNINDEXED_ID; on SQLite a bare `id <= ?` would read the whole run)."""
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        return (
            f"SELECT * FROM (SELECT id, step, value, time FROM {schema.metrics.name} "
            f"WHERE {where.replace('?', mark)} ORDER BY {order} LIMIT 1) AS {name}"
        )

    def series_ends(
        self, run_id: str, key: str, upto_id: int
    ) -> list[tuple[int, int, float, float]]:
        """(id, step, value, time) of the key's first and last point by step (`id <= upto_id`);
        [] when it has none."""
        where = "run_id = ? AND key = ? AND +id <= ?"
        sql = (
            self._points_sql(where, "step, id", "first_point")
            + " UNION ALL "
            + self._points_sql(where, "step DESC, id DESC", "last_point")
        )
        args = (run_id, key, upto_id)
        with self.reading() as conn:
            rows = list(conn.exec_driver_sql(sql, args + args))
        return [(i, s, none_to_nan(v), w) for i, s, v, w in rows]

    def bucket_extremes(
        self, run_id: str, key: str, upto_id: int, bounds: Iterable[tuple[int, int]]
    ) -> list[tuple[int, int, float, float]]:
        """(id, step, value, time) of the lowest and the highest point of the key
        (`id <= upto_id`) in each step range `[lo, hi)` of `bounds`, each point once, in
        no particular order; NULL (NaN) counts as neither, ties go to the earliest point.
        The SQL form of `nbtrack.series.downsample`, for series too long to load: one
        read of the series per extreme (see `extremes`)."""
        ranges = list(bounds)
        if self.dialect != "sqlite":
            rows = self._extremes(postgres_extremes, run_id, key, upto_id, ranges)
        elif len(ranges) < _SPLIT_BUCKETS:
            rows = self._extremes(sqlite_extremes, run_id, key, upto_id, ranges)
        else:
            # SQLite reads on one core, and releases the GIL while it does: the second
            # half of the buckets goes to another thread and connection.
            half = len(ranges) // 2
            with concurrent.futures.ThreadPoolExecutor(1, "nbtrack-extremes") as pool:
                later = pool.submit(
                    self._extremes, sqlite_extremes, run_id, key, upto_id, ranges[half:]
                )
                rows = self._extremes(sqlite_extremes, run_id, key, upto_id, ranges[:half])
                rows += later.result()
        return [(i, s, none_to_nan(v), w) for i, s, v, w in rows]

    def _extremes(
        self, pick: Callable[..., list[Any]], run_id: str, key: str, upto_id: int, bounds: Bounds
    ) -> list[Any]:
        with self.reading() as conn:
            return pick(conn, run_id, key, upto_id, bounds)
