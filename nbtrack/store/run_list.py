"""The runs list in SQL: the expressions a filter or a sort needs (a param's number
or text, a metric's last value, a run's duration), one page of runs, its total, and
the keys of all params and metrics without reading every run.

Params are a JSON text column: SQLite reads it with `json_extract`/`json_type`,
PostgreSQL with `->>`/`jsonb_typeof` on a jsonb cast. Metric values come from
the summaries table (one row per run and key; NULL stands for NaN).
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from . import schema

RUNS = schema.runs
SUMMARIES = schema.summaries
# Scalar JSON types by backend: number, string.
_SQLITE_NUMBER = ("integer", "real")


def params_json() -> sa.ColumnElement[Any]:
    """The params column as JSON both backends' parsers accept: the NaN and ±Infinity
    that Python's json writes become null and ±9e999 (the same text inside a string
    value changes too, which only a substring filter on such a value could notice)."""
    text = sa.func.replace(RUNS.c.params, "Infinity", "9e999")
    return sa.func.replace(text, "NaN", "null")


class ParamSql:
    """A param's value in SQL, for one backend: its number, its string, its text.
    PostgreSQL numbers are NUMERIC (9e999 fits), so compare them with `as_number`."""

    def __init__(self, dialect: str, key: str) -> None:
        self.dialect = dialect
        self.key = key

    def _sqlite_path(self) -> sa.ColumnElement[Any] | None:
        if '"' in self.key or "\\" in self.key:
            return None  # not expressible as a JSON path: json_each finds it
        return sa.literal('$."' + self.key + '"', sa.Text)

    def _sqlite(self, func: str) -> sa.ColumnElement[Any]:
        path = self._sqlite_path()
        if path is not None:
            return getattr(sa.func, func)(params_json(), path)
        each = sa.func.json_each(params_json()).table_valued("key", "value", "type")
        column = each.c.type if func == "json_type" else each.c.value
        return sa.select(column).where(each.c.key == self.key).scalar_subquery()

    def _jsonb(self) -> sa.ColumnElement[Any]:
        from sqlalchemy.dialects.postgresql import JSONB

        return sa.cast(params_json(), JSONB)

    def json_type(self) -> sa.ColumnElement[Any]:
        if self.dialect == "sqlite":
            return self._sqlite("json_type")
        return sa.func.jsonb_typeof(self._jsonb().op("->")(sa.literal(self.key, sa.Text)))

    def _raw_text(self) -> sa.ColumnElement[Any]:
        if self.dialect == "sqlite":
            return sa.cast(self._sqlite("json_extract"), sa.Text)
        return self._jsonb().op("->>")(sa.literal(self.key, sa.Text))

    def number(self) -> sa.ColumnElement[Any]:
        """The value when it is a JSON number, else NULL."""
        if self.dialect == "sqlite":
            return sa.case(
                (self.json_type().in_(_SQLITE_NUMBER), self._sqlite("json_extract")), else_=None
            )
        return sa.case(
            (self.json_type() == "number", sa.cast(self._raw_text(), sa.Numeric)), else_=None
        )

    def as_number(self, value: float) -> sa.ColumnElement[Any]:
        """`value` as something `number()` compares with on this backend."""
        if self.dialect == "sqlite":
            return sa.literal(value, sa.Double)
        return sa.cast(sa.literal(value, sa.Double), sa.Numeric)

    def string(self) -> sa.ColumnElement[Any]:
        """The value when it is a JSON string, else NULL."""
        kind = "text" if self.dialect == "sqlite" else "string"
        return sa.case((self.json_type() == kind, self._raw_text()), else_=None)

    def text(self) -> sa.ColumnElement[Any]:
        """The value as text (JSON text for objects and arrays); NULL when missing."""
        return self._raw_text()

    def rank(self) -> sa.ColumnElement[Any]:
        """0 for numbers, 1 for strings, 2 for anything else, 3 when missing or null."""
        t = self.json_type()
        number = t.in_(_SQLITE_NUMBER) if self.dialect == "sqlite" else t == "number"
        string = t == ("text" if self.dialect == "sqlite" else "string")
        return sa.case((number, 0), (string, 1), (t.is_(None) | (t == "null"), 3), else_=2)


def metric_last(key: str) -> sa.ColumnElement[Any]:
    """The metric's last value (NULL when the run lacks it or it is NaN), as a scalar
    subquery on the summaries' primary key."""
    s = SUMMARIES
    return (
        sa.select(s.c.last).where(s.c.run_id == RUNS.c.id, s.c.key == key).scalar_subquery()
    )


def duration(now: float) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(RUNS.c.end_time, now) - RUNS.c.start_time


def ref_text() -> sa.ColumnElement[Any]:
    return RUNS.c.stem + "#" + sa.cast(RUNS.c.seq, sa.Text)


class RunListing:
    """Pages of runs by SQL conditions and sort keys. Mixed into `Store`."""

    engine: sa.Engine
    dialect: str
    reading: Any

    def count_runs(self, where: Sequence[sa.ColumnElement[Any]]) -> int:
        query = sa.select(sa.func.count()).select_from(RUNS).where(*where)
        with self.reading() as conn:
            return conn.execute(query).scalar() or 0

    def page_runs(
        self,
        columns: Sequence[str],
        where: Sequence[sa.ColumnElement[Any]],
        order_by: Sequence[sa.ColumnElement[Any]],
        limit: int,
        offset: int,
    ) -> list[dict[str, Any]]:
        """Rows of the runs that meet `where`, ordered by `order_by` then newest first,
        as dicts with params and tags decoded."""
        query = (
            sa.select(*(RUNS.c[name] for name in columns))
            .where(*where)
            .order_by(*order_by, RUNS.c.start_time.desc(), RUNS.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.reading() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            for name in ("params", "tags"):
                if row.get(name) is not None:
                    row[name] = json.loads(row[name])
        return rows

    def metric_keys(self) -> list[str]:
        """Every metric key of every run, sorted: a skip scan of the summaries' key index
        (one index seek per distinct key), not a read of every summary."""
        s = SUMMARIES
        first = sa.select(sa.func.min(s.c.key).label("key")).cte("metric_keys", recursive=True)
        nxt = sa.select(sa.func.min(s.c.key)).where(s.c.key > first.c.key).scalar_subquery()
        keys = first.union_all(sa.select(nxt).where(first.c.key.is_not(None)))
        query = sa.select(keys.c.key).where(keys.c.key.is_not(None))
        with self.reading() as conn:
            return sorted(k for (k,) in conn.execute(query))

    @functools.cached_property
    def _param_keys(self) -> ParamKeys:
        return ParamKeys()

    def param_keys(self) -> list[str]:
        """Every param key of every run, sorted (see ParamKeys)."""
        return self._param_keys.get(self)


class ParamKeys:
    """The param keys of all runs, cached against the runs table's (count, newest start):
    unchanged → no read; more runs → only the params of runs started since (less a
    margin for runs committed late); fewer → read again."""

    MARGIN_S = 600.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[str] = set()
        self._mark: tuple[int, float] | None = None

    def get(self, store: RunListing) -> list[str]:
        t = RUNS
        with self._lock, store.reading() as conn:
            count, newest = conn.execute(
                sa.select(sa.func.count(), sa.func.max(t.c.start_time)).select_from(t)
            ).one()
            mark = (count or 0, newest or 0.0)
            if mark != self._mark:
                query = sa.select(t.c.params)
                if self._mark is not None and mark[0] > self._mark[0]:
                    query = query.where(t.c.start_time >= self._mark[1] - self.MARGIN_S)
                else:
                    self._keys = set()
                for (params,) in conn.execute(query):
                    self._keys.update(json.loads(params))
                self._mark = mark
            return sorted(self._keys)
