"""The source runs' metrics in the registry listing (models/listing.py), read the
way each backend reads them cheapest, as one column of last values per key.

- SQLite: one LEFT JOIN of the summaries per key onto the listing's rows (wide
  rows; the first KEYS_PER_QUERY keys in the rows' own statement, then a
  statement per KEYS_PER_QUERY more), after a statement for the keys. The stdlib
  driver costs about 0.5 us a row whatever its width, so wide rows are the cheap
  shape there: long rows cost 30-40% more at 20 keys (benchmarks/bench_models.py).
- PostgreSQL: the linked runs' summaries once, as long (row number, key, last)
  rows, pivoted by arrays. One join whatever the number of keys, where a join
  per key made the server hash every summary of that key in the store (1.6 s of
  server CPU at 20 keys beside 20,000 other runs; 0.5 s this way).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa

# SQLite joins at most 64 tables: the registry, the runs and this many summaries.
KEYS_PER_QUERY = 48


def metric_keys(conn: sa.Connection, name: str | None) -> list[str]:
    """The keys any linked run has a summary of, sorted."""
    import sqlalchemy as sa

    from ..store.registry_tables import registry_versions as RV
    from ..store.schema import summaries as S

    linked = sa.select(RV.c.run_id)
    if name is not None:
        linked = linked.where(RV.c.name == name)
    query = sa.select(S.c.key).distinct().where(S.c.run_id.in_(linked))
    return sorted(r[0] for r in conn.execute(query))


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
    """The linked runs' summaries as long (row, key, last) rows: `row` is the
    version's number in the listing's order (1, 2, ...: the same order and name
    filter as the rows' statement, in the same snapshot)."""
    import sqlalchemy as sa

    from ..store.registry_tables import registry_versions as RV
    from ..store.schema import summaries as S

    number = sa.func.row_number().over(order_by=(RV.c.name, RV.c.version))
    rows = sa.select(RV.c.run_id, number.label("row"))
    v = (rows.where(RV.c.name == name) if name is not None else rows).subquery()
    return sa.select(v.c.row, S.c.key, S.c.last).select_from(v.join(S, S.c.run_id == v.c.run_id))


def pivot(count: int, summaries: list[Any]) -> dict[str, Sequence[float]]:
    """Each key's value for each of `count` rows (sorted keys; NaN where the row's
    run has no such key or is gone), from summaries_q's rows. Each column is taken
    out of the rows on its own (one zip(*rows) over many rows costs several times
    more), the keys coded through a dict of the few distinct ones."""
    import numpy as np

    if not summaries:
        return {}
    n = len(summaries)
    rows = np.fromiter(map(operator.itemgetter(0), summaries), np.intp, n) - 1
    keys = list(map(operator.itemgetter(1), summaries))
    names = sorted(set(keys))
    code = {key: i for i, key in enumerate(names)}
    codes = np.fromiter(map(code.__getitem__, keys), np.intp, n)
    grid = np.full((count, len(names)), np.nan)
    # None (a NaN stored as NULL) becomes NaN.
    grid[rows, codes] = np.array(list(map(operator.itemgetter(2), summaries)), dtype="float64")
    return {key: grid[:, i] for i, key in enumerate(names)}
