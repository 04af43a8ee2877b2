"""The lowest and highest point of each step bucket of one metric key, in SQL.

The SQL form of `nbtrack.series.downsample` for series too long to load: per
bucket `[lo, hi)`, the point with the lowest and the one with the highest value,
NULL (NaN) counting as neither (a bucket of only NULL gives its first point),
ties going to the earliest point (by step, then id). Each backend gets the
form that reads every point of the series once per extreme, and no more:

- SQLite: one aggregate per bucket and extreme, `UNION ALL`ed into a few
  statements. With a single min() in a query, SQLite takes the other columns
  from the row holding the minimum, the first such row of the scan; the scan
  follows the (run_id, key, step, value) index, rowid last, so that row is the
  earliest. The index covers the scan: only the winners' rows are read.
- PostgreSQL: one statement, grouping by `width_bucket` over the buckets' lower
  bounds and taking the least `ARRAY[value, step, id]` (NULL elements sort
  last, as NaN must).

`tests/server/test_metrics_api.py` checks both against the pure reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from . import schema

Bounds = Sequence[tuple[int, int]]
Row = tuple[int, int, float | None, float]

# Buckets per SQLite statement: two compound terms each, under SQLite's default
# limit of 500 terms (SQLITE_MAX_COMPOUND_SELECT).
SQLITE_BUCKETS_PER_STATEMENT = 100
# Steps and ids up to this size are exact as array elements of float8.
_FLOAT_EXACT = 2**53

_TABLE = schema.metrics.name


def sqlite_extremes(
    conn: sa.Connection, run_id: str, key: str, upto_id: int, bounds: Bounds
) -> list[Row]:
    """(id, step, value, time) of each bucket's lowest and highest point (`id <= upto_id`),
    each point once."""
    # The cursor bound costs a quarter of the scan; inside this read transaction no
    # point of the run past `upto_id` can appear once we have seen there is none.
    newest = conn.exec_driver_sql(
        f"SELECT max(id) FROM {_TABLE} WHERE run_id = ?", (run_id,)
    ).scalar()
    bounded = newest is not None and newest > upto_id
    head: list[object] = [run_id, key, upto_id] if bounded else [run_id, key]
    where = "run_id = ?1 AND key = ?2" + (" AND +id <= ?3" if bounded else "")
    rows: list[Row] = []
    for start in range(0, len(bounds), SQLITE_BUCKETS_PER_STATEMENT):
        chunk = bounds[start : start + SQLITE_BUCKETS_PER_STATEMENT]
        terms = []
        for i in range(len(chunk)):
            lo, hi = len(head) + 2 * i + 1, len(head) + 2 * i + 2
            # '' sorts after every number: NULL loses to any value, and a bucket of
            # only NULL keeps its first point.
            for picked in ("value", "-value"):
                terms.append(
                    f"SELECT id, min(coalesce({picked}, '')) AS v FROM {_TABLE} "
                    f"WHERE {where} AND step >= ?{lo} AND step < ?{hi}"
                )
        # The outer query reads `v` so no optimiser may drop the aggregate; empty
        # buckets (v NULL) drop out.
        sql = (
            f"SELECT id, step, value, time FROM {_TABLE} WHERE id IN "
            f"(SELECT id FROM ({' UNION ALL '.join(terms)}) WHERE v IS NOT NULL)"
        )
        args = head + [step for pair in chunk for step in pair]
        rows += conn.exec_driver_sql(sql, tuple(args)).all()
    return rows


def postgres_extremes(
    conn: sa.Connection, run_id: str, key: str, upto_id: int, bounds: Bounds
) -> list[Row]:
    """As `sqlite_extremes`, in one statement."""
    if not bounds:
        return []
    first, last = bounds[0][0], bounds[-1][1]
    if max(abs(first), abs(last), upto_id) < _FLOAT_EXACT:
        order, id_of = "step, id", "{a}[3]::bigint"
    else:  # split into 32-bit halves, each exact as a float8
        order = "step >> 32, step & 4294967295, id >> 32, id & 4294967295"
        id_of = "(({a}[4]::bigint << 32) | {a}[5]::bigint)"
    sql = (
        f"WITH picked AS (SELECT min(ARRAY[value, {order}]) AS low, "
        f"min(ARRAY[-value, {order}]) AS high FROM {_TABLE} "
        "WHERE run_id = %(run_id)s AND key = %(key)s AND +id <= %(upto)s "
        "AND step >= %(first)s AND step < %(last)s "
        "GROUP BY width_bucket(step, %(lows)s::bigint[])) "
        # `= ANY(ARRAY(...))`: the winners by primary key, whatever the planner guesses
        # of how many there are.
        f"SELECT id, step, value, time FROM {_TABLE} WHERE id = ANY(ARRAY("
        f"SELECT {id_of.format(a='low')} FROM picked "
        f"UNION SELECT {id_of.format(a='high')} FROM picked))"
    )
    args = {
        "run_id": run_id,
        "key": key,
        "upto": upto_id,
        "first": first,
        "last": last,
        "lows": [lo for lo, _ in bounds],
    }
    return list(conn.exec_driver_sql(sql, args).all())
