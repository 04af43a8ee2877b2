"""The lowest and highest point of each step bucket of one metric key, in SQL.

The SQL form of `nbtrack.series.downsample` for series too long to load: per
bucket `[lo, hi)`, the point with the lowest and the one with the highest value,
NULL (NaN) counting as neither (a bucket of only NULL gives its first point),
ties going to the earliest point (by step, then id). Each backend gets the
form that reads every point of the series once per extreme, and no more:

- SQLite: one aggregate per bucket and extreme, `UNION ALL`ed into a few
  statements. With a single min() in a query, SQLite takes the other columns
  from the row holding the minimum, the first such row of the scan; the scan
  follows the points table's primary key (run_key, key_id, step, seq), so that
  row is the earliest. The table is clustered by that key: a bucket is one range
  of it, and only the winners are read again (by the (run_key, seq) index).
- PostgreSQL: one statement, grouping by `width_bucket` over the buckets' lower
  bounds and taking the least `ARRAY[value, step, id]` (NULL elements sort
  last, as NaN must).

A point's id is its seq (its number within the run).

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

_TABLE = schema.points.name
# The winners by their seq (else SQLite reads the whole run to find them).
_BY_SEQ = "ix_nbtrack_points_run_seq"


def _series(conn: sa.Connection, run_id: str, key: str, mark: str) -> tuple[int, int, int] | None:
    """(run_key, key_id, the run's newest seq) of a series; None when it has no point."""
    row = conn.exec_driver_sql(
        f"SELECT r.run_key, (SELECT k.id FROM {schema.metric_keys.name} k WHERE k.key = {mark}), "
        f"r.points FROM {schema.run_keys.name} r WHERE r.run_id = {mark}",
        (key, run_id),
    ).first()
    if row is None or row[1] is None:
        return None
    return row[0], row[1], row[2]


def sqlite_extremes(
    conn: sa.Connection, run_id: str, key: str, upto_id: int, bounds: Bounds
) -> list[Row]:
    """(id, step, value, time) of each bucket's lowest and highest point (`id <= upto_id`),
    each point once."""
    series = _series(conn, run_id, key, "?")
    if series is None:
        return []
    run_key, key_id, newest = series
    # The cursor bound costs a quarter of the scan; inside this read transaction no
    # point of the run past `upto_id` can appear once we have seen there is none.
    bounded = newest > upto_id
    head: list[object] = [run_key, key_id, upto_id] if bounded else [run_key, key_id]
    where = "run_key = ?1 AND key_id = ?2" + (" AND +seq <= ?3" if bounded else "")
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
                    f"SELECT seq, min(coalesce({picked}, '')) AS v FROM {_TABLE} "
                    f"WHERE {where} AND step >= ?{lo} AND step < ?{hi}"
                )
        # The outer query reads `v` so no optimiser may drop the aggregate; empty
        # buckets (v NULL) drop out.
        sql = (
            f"SELECT seq, step, value, time FROM {_TABLE} INDEXED BY {_BY_SEQ} "
            "WHERE run_key = ?1 AND seq IN "
            f"(SELECT seq FROM ({' UNION ALL '.join(terms)}) WHERE v IS NOT NULL)"
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
    series = _series(conn, run_id, key, "%s")
    if series is None:
        return []
    run_key, key_id, _ = series
    first, last = bounds[0][0], bounds[-1][1]
    if max(abs(first), abs(last), upto_id) < _FLOAT_EXACT:
        order, id_of = "step, seq", "{a}[3]::bigint"
    else:  # split into 32-bit halves, each exact as a float8
        order = "step >> 32, step & 4294967295, seq >> 32, seq & 4294967295"
        id_of = "(({a}[4]::bigint << 32) | {a}[5]::bigint)"
    sql = (
        f"WITH picked AS (SELECT min(ARRAY[value, {order}]) AS low, "
        f"min(ARRAY[-value, {order}]) AS high FROM {_TABLE} "
        "WHERE run_key = %(run_key)s AND key_id = %(key_id)s AND +seq <= %(upto)s "
        "AND step >= %(first)s AND step < %(last)s "
        "GROUP BY width_bucket(step, %(lows)s::bigint[])) "
        # `= ANY(ARRAY(...))`: the winners by the (run_key, seq) index, whatever the
        # planner guesses of how many there are.
        f"SELECT seq, step, value, time FROM {_TABLE} WHERE run_key = %(run_key)s "
        "AND seq = ANY(ARRAY("
        f"SELECT {id_of.format(a='low')} FROM picked "
        f"UNION SELECT {id_of.format(a='high')} FROM picked))"
    )
    args = {
        "run_key": run_key,
        "key_id": key_id,
        "upto": upto_id,
        "first": first,
        "last": last,
        "lows": [lo for lo, _ in bounds],
    }
    return list(conn.exec_driver_sql(sql, args).all())
