"""Reads of metric points that the server extension polls: by cursor, one key by
step, a series' ends and its buckets' extremes. Each reads the chunks it needs
(chunks.py) — a seek into the chunks table (clustered by run, key, first seq) or
its (run_key, last_seq) index — and unpacks them with numpy, cheap enough to
repeat every few hundred milliseconds. Mixed into `Store`.

A point's id here is its `seq`: its number within its run, in commit order, so a
run's point count (`last_point_id`) is the cursor of what was written since.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from . import schema
from .chunks import Points, empty_points, read_points

RK = schema.run_keys
MK = schema.metric_keys


def none_to_nan(value: float | None) -> float:
    """A stored metric value: NULL stands for NaN (SQLite cannot store NaN)."""
    return math.nan if value is None else value


def run_key_of(run_id: str) -> sa.ScalarSelect[Any]:
    return sa.select(RK.c.run_key).where(RK.c.run_id == run_id).scalar_subquery()


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

    def _read(self, run_id: str, **where: Any) -> Points:
        """The run's points (chunks.read_points' `where`), key by key in seq order."""
        with self.reading() as conn:
            run_key = conn.execute(sa.select(RK.c.run_key).where(RK.c.run_id == run_id)).scalar()
            if run_key is None:
                return empty_points()
            return read_points(conn, run_key, **where)

    def points_since(
        self, run_id: str, after_id: int, upto_id: int, keys: Sequence[str] | None = None
    ) -> list[tuple[int, str, int, float, float]]:
        """(id, key, step, value, time) of the run's points with `after_id < id <= upto_id`,
        by id."""
        keys = None if keys is None else list(keys)
        p = self._read(run_id, keys=keys, after=after_id, upto=upto_id).by_seq()
        return p.tuples("seq", "key", "step", "value", "time")

    def key_series(self, run_id: str, key: str, upto_id: int) -> Points:
        """One key's points with `id <= upto_id` as numpy columns, by step then id:
        for reads that pick a few of many points (extremes.downsampled)."""
        return self._read(run_id, keys=[key], upto=upto_id).by_step()

    def key_points(
        self, run_id: str, key: str, upto_id: int
    ) -> list[tuple[int, int, float, float]]:
        """(id, step, value, time) of one key's points with `id <= upto_id`, by step then id."""
        return self.key_series(run_id, key, upto_id).rows()

    def run_points(
        self, run_id: str, upto_id: int, skip_keys: Sequence[str] = ()
    ) -> list[tuple[str, int, int, float, float]]:
        """(key, id, step, value, time) of every point of the run with `id <= upto_id`, but
        those of `skip_keys`: key by key (not in name order), each by step then id. One
        read of the run's range of the table, however many keys the run has."""
        p = self._read(run_id, skip_keys=list(skip_keys), upto=upto_id).by_step()
        return p.tuples("key", "seq", "step", "value", "time")

    def series_ends(
        self, run_id: str, key: str, upto_id: int
    ) -> list[tuple[int, int, float, float]]:
        """(id, step, value, time) of the key's first and last point by step (`id <= upto_id`);
        [] when it has none."""
        p = self.key_series(run_id, key, upto_id)
        return p.take([0, len(p) - 1]).rows() if len(p) else []
