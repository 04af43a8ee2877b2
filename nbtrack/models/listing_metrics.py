"""The source runs' metrics in the registry listing (models/listing.py), read the
way each backend reads them cheapest, as one column of last values per key.

- SQLite: one LEFT JOIN of the summaries per key onto the listing's rows (wide
  rows; the first KEYS_PER_QUERY keys in the rows' own statement, then a
  statement per KEYS_PER_QUERY more), after a statement for the keys (a few
  index seeks a key). The stdlib driver costs about 0.5 us a row whatever its
  width, so wide rows are the cheap shape there: long rows cost 30-40% more at
  20 keys (benchmarks/bench_models.py).
- PostgreSQL: the linked runs' summaries once, a row per key with its rows and
  last values packed as binary arrays that numpy reads as they are (no Python
  object a value; long (row, key, last) rows cost the driver 0.26 s at 20 keys
  x 20,000 versions, and the pivot as much again). One join whatever the number
  of keys, where a join per key made the server hash every summary of that key
  in the store (1.6 s of server CPU at 20 keys beside 20,000 other runs; 0.5 s
  this way).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa

# SQLite joins at most 64 tables: the registry, the runs and this many summaries.
KEYS_PER_QUERY = 48


# Versions whose runs are looked at first for a key (see metric_keys).
QUICK_VERSIONS = 64

# SQLite's plan spelled out (CROSS JOIN keeps the versions outside, INDEXED BY
# reads the key's summaries): the store's distinct keys by a skip scan of the
# summaries' key index, each kept when a linked run has it.
_KEYS_SQL = """
WITH RECURSIVE k(key) AS (
    SELECT (SELECT min(key) FROM nbtrack_summaries)
    UNION ALL
    SELECT (SELECT min(s.key) FROM nbtrack_summaries AS s WHERE s.key > k.key)
    FROM k WHERE k.key IS NOT NULL
)
SELECT key FROM k WHERE key IS NOT NULL AND (
    EXISTS (
        SELECT 1 FROM (
            SELECT run_id FROM nbtrack_registry_versions {where} LIMIT {quick}
        ) AS v
        CROSS JOIN nbtrack_summaries AS s ON s.run_id = v.run_id AND s.key = k.key
    )
    OR EXISTS (
        SELECT 1 FROM nbtrack_summaries AS s INDEXED BY ix_nbtrack_summaries_key_last
        WHERE s.key = k.key
        AND s.run_id IN (SELECT run_id FROM nbtrack_registry_versions {where})
    )
)
"""


def metric_keys(conn: sa.Connection, name: str | None) -> list[str]:
    """The keys any linked run has a summary of, sorted (SQLite).

    A key is looked for first among the first QUICK_VERSIONS versions' runs (a
    seek each: where a key is found in practice), else among that key's
    summaries, each looked up in the linked runs: a few seeks a key, where
    reading every linked run's summaries cost 0.1-0.15 s at 20,000 versions x
    20 keys (benchmarks/bench_models.py)."""
    import sqlalchemy as sa

    where = "WHERE name = :name" if name is not None else ""
    query = sa.text(_KEYS_SQL.format(where=where, quick=QUICK_VERSIONS))
    return sorted(r[0] for r in conn.execute(query, {"name": name} if name is not None else {}))


def with_metrics(
    base: sa.FromClause, columns: list[Any], keys: list[str]
) -> tuple[sa.FromClause, list[Any]]:
    """`base` joined to each key's summary row of the version's run, and the
    columns with each key's last value added."""
    import sqlalchemy as sa

    from ..store.registry_tables import registry_versions as RV
    from ..store.schema import summaries as S

    joined, out = base, list(columns)
    for i, key in enumerate(keys):
        s = S.alias(f"m{i}")
        joined = joined.outerjoin(s, sa.and_(s.c.run_id == RV.c.run_id, s.c.key == key))
        out.append(s.c.last)
    return joined, out


def summaries_q(name: str | None) -> sa.Select[Any]:
    """The linked runs' summaries, one row per key (PostgreSQL): the key, then the
    rows holding it and their last values, each packed as one big-endian array
    (int8send / float8send: 8 bytes a value; a NULL last as NaN). `row` is the
    version's number in the listing's order (1, 2, ...: the same order and name
    filter as the rows' statement, in the same snapshot). Both aggregates read
    the group's rows in one order, so the n-th row goes with the n-th value."""
    import sqlalchemy as sa

    from ..store.registry_tables import registry_versions as RV
    from ..store.schema import summaries as S

    number = sa.func.row_number().over(order_by=(RV.c.name, RV.c.version))
    rows = sa.select(RV.c.run_id, number.label("row"))
    v = (rows.where(RV.c.name == name) if name is not None else rows).subquery()
    nan = sa.func.float8send(sa.cast(sa.literal("NaN"), sa.Float(53)))
    last = sa.func.coalesce(sa.func.float8send(S.c.last), nan)
    empty = sa.cast(sa.literal(b""), sa.LargeBinary)
    return (
        sa.select(
            S.c.key,
            sa.func.string_agg(sa.func.int8send(v.c.row), empty),
            sa.func.string_agg(last, empty),
        )
        .select_from(v.join(S, S.c.run_id == v.c.run_id))
        .group_by(S.c.key)
    )


def pivot(count: int, packed: list[Any]) -> dict[str, Sequence[float]]:
    """Each key's value for each of `count` rows (sorted keys; NaN where the row's
    run has no such key or is gone), from summaries_q's rows: numpy reads the
    packed arrays as they are, no Python object a value."""
    import numpy as np

    out = {}
    for key, rows, lasts in sorted(packed, key=lambda r: r[0]):
        column = np.full(count, np.nan)
        column[np.frombuffer(rows, ">i8") - 1] = np.frombuffer(lasts, ">f8")
        out[key] = column
    return out
