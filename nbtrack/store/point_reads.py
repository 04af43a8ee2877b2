"""Reads of metric points that the server extension polls: by cursor, one key by
step, a series' ends and its buckets' extremes. Each is a seek into the points
table (clustered by run, key, step) or its (run_key, seq) index, cheap enough to
repeat every few hundred milliseconds. Mixed into `Store`.

A point's id here is its `seq`: its number within its run, in commit order, so a
run's point count (`last_point_id`) is the cursor of what was written since.
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

P = schema.points
RK = schema.run_keys
MK = schema.metric_keys
# A point's seq in a condition that must not pick the (run_key, seq) index: reads of
# one key go through the primary key (run_key, key_id, step, seq), whatever the bound.
_UNINDEXED_SEQ = sa.literal_column("+seq", sa.BigInteger)
# From this many buckets on, SQLite reads a series' extremes in two threads.
_SPLIT_BUCKETS = 2 * SQLITE_BUCKETS_PER_STATEMENT


def none_to_nan(value: float | None) -> float:
    """A stored metric value: NULL stands for NaN (SQLite cannot store NaN)."""
    return math.nan if value is None else value


def run_key_of(run_id: str) -> sa.ScalarSelect[Any]:
    return sa.select(RK.c.run_key).where(RK.c.run_id == run_id).scalar_subquery()


def key_id_of(key: str) -> sa.ScalarSelect[Any]:
    return sa.select(MK.c.id).where(MK.c.key == key).scalar_subquery()


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
        """The id (seq) of the run's newest metric point; 0 when it has none."""
        with self.reading() as conn:
            return conn.execute(sa.select(RK.c.points).where(RK.c.run_id == run_id)).scalar() or 0

    def points_since(
        self, run_id: str, after_id: int, upto_id: int, keys: Sequence[str] | None = None
    ) -> list[tuple[int, str, int, float, float]]:
        """(id, key, step, value, time) of the run's points with `after_id < id <= upto_id`,
        by id."""
        query = (
            sa.select(P.c.seq, MK.c.key, P.c.step, P.c.value, P.c.time)
            .select_from(P.join(MK, MK.c.id == P.c.key_id))
            .where(P.c.run_key == run_key_of(run_id), P.c.seq > after_id, P.c.seq <= upto_id)
            .order_by(P.c.seq)
        )
        if keys is not None:
            query = query.where(MK.c.key.in_(list(keys)))
        with self.reading() as conn:
            return [(i, k, s, none_to_nan(v), w) for i, k, s, v, w in conn.execute(query)]

    def key_points(
        self, run_id: str, key: str, upto_id: int
    ) -> list[tuple[int, int, float, float]]:
        """(id, step, value, time) of one key's points with `id <= upto_id`, by step then id."""
        query = (
            sa.select(P.c.seq, P.c.step, P.c.value, P.c.time)
            .where(
                P.c.run_key == run_key_of(run_id),
                P.c.key_id == key_id_of(key),
                _UNINDEXED_SEQ <= upto_id,
            )
            .order_by(P.c.step, P.c.seq)
        )
        with self.reading() as conn:
            return [(i, s, none_to_nan(v), w) for i, s, v, w in conn.execute(query)]

    def run_points(
        self, run_id: str, upto_id: int, skip_keys: Sequence[str] = ()
    ) -> list[tuple[str, int, int, float, float]]:
        """(key, id, step, value, time) of every point of the run with `id <= upto_id`, but
        those of `skip_keys`: key by key (not in name order), each by step then id. One
        read of the run's range of the table, however many keys the run has."""
        query = (
            sa.select(MK.c.key, P.c.seq, P.c.step, P.c.value, P.c.time)
            .select_from(P.join(MK, MK.c.id == P.c.key_id))
            .where(P.c.run_key == run_key_of(run_id), _UNINDEXED_SEQ <= upto_id)
            .order_by(P.c.key_id, P.c.step, P.c.seq)
        )
        if skip_keys:
            query = query.where(MK.c.key.not_in(list(skip_keys)))
        with self.reading() as conn:
            rows = conn.execute(query).cursor.fetchall()
        return [(k, i, s, none_to_nan(v), w) for k, i, s, v, w in rows]

    def count_points(self, run_id: str, key: str, upto_id: int, cap: int) -> int:
        """How many points the key has with `id <= upto_id`, counting no further than `cap`."""
        inner = (
            sa.select(P.c.seq)
            .where(
                P.c.run_key == run_key_of(run_id),
                P.c.key_id == key_id_of(key),
                _UNINDEXED_SEQ <= upto_id,
            )
            .limit(cap)
            .subquery()
        )
        with self.reading() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(inner)).scalar() or 0

    def _points_sql(self, where: str, order: str, name: str) -> str:
        """One point of a key, picked by `order` through the primary key (`+seq`: see
        _UNINDEXED_SEQ)."""
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        return (
            f"SELECT * FROM (SELECT seq, step, value, time FROM {P.name} "
            f"WHERE {where.replace('?', mark)} ORDER BY {order} LIMIT 1) AS {name}"
        )

    def series_ends(
        self, run_id: str, key: str, upto_id: int
    ) -> list[tuple[int, int, float, float]]:
        """(id, step, value, time) of the key's first and last point by step (`id <= upto_id`);
        [] when it has none."""
        where = (
            f"run_key = (SELECT run_key FROM {RK.name} WHERE run_id = ?) "
            f"AND key_id = (SELECT id FROM {MK.name} WHERE key = ?) AND +seq <= ?"
        )
        sql = (
            self._points_sql(where, "step, seq", "first_point")
            + " UNION ALL "
            + self._points_sql(where, "step DESC, seq DESC", "last_point")
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
