"""The runs list in SQL: one page of runs by conditions and a sort, its total, and
the keys of all params and metrics, each through an index rather than a read of
every run.

A run's params are also rows of `nbtrack_params` (`param_rows`), kept by the Store
when it writes runs; metric values come from the summaries (NULL stands for NaN).
Sorting by a param or a metric walks that table's (key, value, run_id) index and
stops at the page; the runs without the value follow, newest first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from . import schema
from .param_rows import NAN, NUMBER, OTHER, STRING, param_rows  # noqa: F401 (re-exported)

RUNS = schema.runs
SUMMARIES = schema.summaries
PARAMS = schema.params


def write_params(conn: sa.Connection, run_id: str, params: dict[str, Any]) -> None:
    """Replace the run's param rows (inside the caller's transaction)."""
    conn.execute(sa.delete(PARAMS).where(PARAMS.c.run_id == run_id))
    rows = param_rows(run_id, params)
    if rows:
        conn.execute(sa.insert(PARAMS), rows)


def _ordered(value: sa.ColumnElement[Any], descending: bool) -> sa.ColumnElement[Any]:
    return value.desc() if descending else value.asc()


@dataclass(frozen=True)
class KeyedSort:
    """Sort by a param or a metric: rows of `table` with this `key` that hold a value,
    in the order of `columns` (then run id), in either direction."""

    table: sa.Table
    key: str
    descending: bool

    def present(self) -> sa.ColumnElement[bool]:
        t = self.table
        if t is PARAMS:
            return t.c.kind != NAN
        return t.c.last.is_not(None)

    def order_by(self) -> list[sa.ColumnElement[Any]]:
        t = self.table
        columns = [t.c.kind, t.c.num, t.c.text] if t is PARAMS else [t.c.last]
        return [_ordered(c, self.descending) for c in [*columns, t.c.run_id]]


def param_sort(key: str, descending: bool) -> KeyedSort:
    """Numbers, then strings (case-insensitive), then other values; NaN and missing last."""
    return KeyedSort(PARAMS, key, descending)


def metric_sort(key: str, descending: bool) -> KeyedSort:
    """The last value; NaN and missing last."""
    return KeyedSort(SUMMARIES, key, descending)


def key_rows(table: sa.Table, key: str, *where: Any) -> sa.Select[Any]:
    """The run ids of `table`'s rows for `key` that meet `where`: one range of its
    (key, value, run_id) index."""
    return sa.select(table.c.run_id).where(table.c.key == key, *where)


def param_number_ids(key: str, test: Any) -> sa.Select[Any]:
    """`key_rows` of the runs whose param `key` is a number `n` with `test(n)` true."""
    return key_rows(PARAMS, key, PARAMS.c.kind == NUMBER, test(PARAMS.c.num))


def param_contains_ids(key: str, needle: str) -> sa.Select[Any]:
    """`key_rows` of the runs whose param `key`, as lowercase text, holds `needle`."""
    return key_rows(PARAMS, key, PARAMS.c.text.contains(needle, autoescape=True))


def runs_with(
    table: sa.Table, key: str, *where: Any, correlated: bool = False
) -> sa.ColumnElement[bool]:
    """Runs that have a row of `table` for `key` meeting `where`: an index range of
    the key's values, or, `correlated`, one primary-key look-up per run the rest of the
    query already chose (the form for a few runs, such as those changed since a poll)."""
    if correlated:
        return sa.exists().where(table.c.run_id == RUNS.c.id, table.c.key == key, *where)
    return RUNS.c.id.in_(key_rows(table, key, *where))


def param_number(key: str, test: Any, correlated: bool = False) -> sa.ColumnElement[bool]:
    """Runs whose param `key` is a number `n` with `test(n)` true."""
    return runs_with(
        PARAMS, key, PARAMS.c.kind == NUMBER, test(PARAMS.c.num), correlated=correlated
    )


def param_contains(key: str, needle: str, correlated: bool = False) -> sa.ColumnElement[bool]:
    """Runs whose param `key`, as lowercase text, holds `needle` (lowercase)."""
    return runs_with(
        PARAMS, key, PARAMS.c.text.contains(needle, autoescape=True), correlated=correlated
    )


def metric_number(key: str, test: Any, correlated: bool = False) -> sa.ColumnElement[bool]:
    """Runs whose metric `key` has a last value `v` (not NaN) with `test(v)` true."""
    return runs_with(SUMMARIES, key, test(SUMMARIES.c.last), correlated=correlated)


class RunListing:
    """Pages of runs by SQL conditions and sort keys. Mixed into `Store`."""

    engine: sa.Engine
    dialect: str
    reading: Any

    def count_runs(self, where: Sequence[sa.ColumnElement[Any]]) -> int:
        query = sa.select(sa.func.count()).select_from(RUNS).where(*where)
        with self.reading() as conn:
            return conn.execute(query).scalar() or 0

    def count_runs_split(
        self, where: Sequence[sa.ColumnElement[Any]], part: sa.ColumnElement[bool]
    ) -> tuple[int, int]:
        """The runs that meet `where`, and how many of them meet `part` too, counted
        in one statement (one snapshot of the store)."""
        inside = sa.func.coalesce(sa.func.sum(sa.case((part, 1), else_=0)), 0)
        query = sa.select(sa.func.count(), inside).select_from(RUNS).where(*where)
        with self.reading() as conn:
            total, counted = conn.execute(query).one()
        return int(total or 0), int(counted or 0)

    def count_ids_split(self, ids: Any, part: Any) -> tuple[int, int]:
        """`count_runs_split` for runs given as a SELECT of their ids (`ids`, one
        `run_id` column, no id twice) and `part` as a SELECT of ids too: counted from
        those ids alone, with no read of the runs table."""
        found = ids.subquery()
        inside = sa.func.coalesce(sa.func.sum(sa.case((found.c.run_id.in_(part), 1), else_=0)), 0)
        query = sa.select(sa.func.count(), inside).select_from(found)
        with self.reading() as conn:
            total, counted = conn.execute(query).one()
        return int(total or 0), int(counted or 0)

    def run_ids(self, where: Sequence[sa.ColumnElement[Any]]) -> list[str]:
        """The ids of the runs that meet `where`, in no particular order."""
        with self.reading() as conn:
            return [i for (i,) in conn.execute(sa.select(RUNS.c.id).where(*where))]

    def select_rows(self, query: Any, values: dict[str, Any] | None = None) -> list[Any]:
        """The rows of a prepared SELECT (bound `values`), for callers that build
        statements once and run them many times."""
        with self.reading() as conn:
            return list(conn.execute(query, values or {}))

    def page_runs(
        self,
        columns: Sequence[str],
        where: Sequence[sa.ColumnElement[Any]],
        order_by: Sequence[sa.ColumnElement[Any]] | KeyedSort,
        limit: int,
        offset: int,
    ) -> list[dict[str, Any]]:
        """Rows of the runs that meet `where`, ordered by `order_by` (then newest first),
        as dicts with params and tags decoded."""
        cols = [RUNS.c[name] for name in columns]
        newest = [RUNS.c.start_time.desc(), RUNS.c.id.desc()]
        with self.reading() as conn:
            if isinstance(order_by, KeyedSort):
                rows = self._keyed_page(conn, cols, where, order_by, limit, offset)
            else:
                query = sa.select(*cols).where(*where).order_by(*order_by, *newest)
                rows = list(conn.execute(query.limit(limit).offset(offset)))
        out = [dict(r._mapping) for r in rows]
        for row in out:
            for name in ("params", "tags"):
                if row.get(name) is not None:
                    row[name] = json.loads(row[name])
        return out

    def _keyed_page(
        self,
        conn: sa.Connection,
        cols: list[Any],
        where: Sequence[sa.ColumnElement[Any]],
        sort: KeyedSort,
        limit: int,
        offset: int,
    ) -> list[Any]:
        """The runs with the value, by the value (an index walk that stops at the page),
        then, past them, the runs without it, newest first."""
        t = sort.table
        joined = RUNS.join(t, sa.and_(t.c.run_id == RUNS.c.id, t.c.key == sort.key))
        present = [*where, sort.present()]
        query = sa.select(*cols).select_from(joined).where(*present).order_by(*sort.order_by())
        rows = list(conn.execute(query.limit(limit).offset(offset)))
        if len(rows) == limit:
            return rows
        having = (
            conn.execute(sa.select(sa.func.count()).select_from(joined).where(*present)).scalar()
            or 0
        )
        lacking = RUNS.c.id.not_in(sa.select(t.c.run_id).where(t.c.key == sort.key, sort.present()))
        rest = (
            sa.select(*cols)
            .where(*where, lacking)
            .order_by(RUNS.c.start_time.desc(), RUNS.c.id.desc())
            .limit(limit - len(rows))
            .offset(max(0, offset - having))
        )
        return rows + list(conn.execute(rest))

    def _keys(self, table: sa.Table) -> list[str]:
        """The distinct keys of `table`, by a skip scan of its key index (one seek per
        key), not a read of every row."""
        keys = _key_scan(table)
        query = sa.select(keys.c.key).where(keys.c.key.is_not(None))
        with self.reading() as conn:
            return sorted(k for (k,) in conn.execute(query))

    def metric_keys(self) -> list[str]:
        """Every metric key of every run, sorted."""
        return self._keys(SUMMARIES)

    def param_keys(self) -> list[str]:
        """Every param key of every run, sorted."""
        return self._keys(PARAMS)

    def all_keys(self) -> tuple[list[str], list[str]]:
        """(`param_keys()`, `metric_keys()`) in one statement (one round trip)."""
        with self.reading() as conn:
            rows = list(conn.execute(_BOTH_KEYS))
        params = sorted(k for which, k in rows if which == 0)
        return params, sorted(k for which, k in rows if which == 1)


def _key_scan(table: sa.Table) -> Any:
    """A recursive CTE of `table`'s distinct keys (then one NULL): a skip scan of its
    key index."""
    first = sa.select(sa.func.min(table.c.key).label("key")).cte(
        f"{table.name}_keys", recursive=True
    )
    nxt = sa.select(sa.func.min(table.c.key)).where(table.c.key > first.c.key)
    return first.union_all(sa.select(nxt.scalar_subquery()).where(first.c.key.is_not(None)))


def _both_keys() -> Any:
    scans = [(i, _key_scan(t)) for i, t in enumerate((PARAMS, SUMMARIES))]
    return sa.union_all(
        *(
            sa.select(sa.literal(i).label("which"), k.c.key).where(k.c.key.is_not(None))
            for i, k in scans
        )
    )


# Built once: SQLAlchemy's compiled cache then skips compiling it on every poll.
_BOTH_KEYS = _both_keys()
