"""The registry listing's reads: every registered version (of one name) with its
source run and, when asked, that run's last value of each metric, as columns.

Four set-based statements in one snapshot, whatever the number of models,
versions or metric keys: the registered names with their version counts, the
rows with their run, the linked runs' summaries as long (run, key, last) rows,
and the aliases. The summaries are pivoted into one column per key by arrays
(pandas' factorize and get_indexer), not joined once per key in SQL; every other
per-row value arrives in the rows' own order, so nothing is matched by name in
Python, and the run ref (`stem#seq`) is built by the database. What is left is
the driver making Python objects of the cells, which is what the listing costs
(benchmarks/bench_models.py).
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ..store import Store

# The per-row columns, in the rows' order (by model, then version); "run_id" is
# read only when asked (the DataFrame does not show it).
FIELDS = ("version", "source", "flavor", "run", "run_name", "linked", "user", "run_id")


class Listing(NamedTuple):
    names: list[str]  # the registered names, in order
    counts: list[int]  # how many rows (versions) each has
    columns: dict[str, Sequence[Any]]  # FIELDS, one value per row
    metrics: dict[str, Sequence[float]]  # key -> last value per row, NaN if none (sorted keys)
    aliases: dict[tuple[str, int], list[str]]  # (name, version) -> aliases, sorted

    def models(self) -> list[str]:
        """The model column: each name repeated over its rows."""
        return list(
            itertools.chain.from_iterable(
                itertools.repeat(n, c) for n, c in zip(self.names, self.counts, strict=True)
            )
        )

    def alias_lists(self) -> list[list[str]]:
        """Each row's aliases: a model's rows are one contiguous span of rows,
        sorted by version, so each alias is placed by a binary search in it."""
        out: list[list[str]] = [[] for _ in range(sum(self.counts))]
        if not self.aliases:
            return out
        spans, start = {}, 0
        for n, c in zip(self.names, self.counts, strict=True):
            spans[n] = (start, start + c)
            start += c
        version = self.columns["version"]
        for (n, v), held in self.aliases.items():
            if n in spans:
                lo, hi = spans[n]
                i = bisect.bisect_left(version, v, lo, hi)
                if i < hi and version[i] == v:
                    out[i] = held
        return out


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while tens of thousands of rows are made: the
    collector would otherwise run over all of them again and again (a third of the
    listing's time). Nothing made here is cyclic; reference counting frees it."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _row_key(sqlite: bool) -> Any:
    """What ties a summary to its listing row, an integer: SQLite's rowid of the
    registry row (read with the rows too), elsewhere the row's number in the
    listing's order (1, 2, ...: the same order and filter, one snapshot)."""
    import sqlalchemy as sa

    from ..store.registry_tables import registry_versions as RV

    if sqlite:
        return sa.literal_column(f"{RV.name}.rowid")
    return sa.func.row_number().over(order_by=(RV.c.name, RV.c.version))


def _summaries_q(name: str | None, key: Any) -> sa.Select[Any]:
    """The linked runs' last value of each key: long (row key, key, last) rows."""
    import sqlalchemy as sa

    from ..store.registry_tables import registry_versions as RV
    from ..store.schema import summaries as S

    rows = sa.select(RV.c.run_id, key.label("row_key"))
    rows = rows.where(RV.c.name == name) if name is not None else rows
    v = rows.subquery()
    return sa.select(v.c.row_key, S.c.key, S.c.last).select_from(
        v.join(S, S.c.run_id == v.c.run_id)
    )


def _pivot(row_keys: Sequence[int], summaries: list[Any]) -> dict[str, Sequence[float]]:
    """Each key's value per row (sorted keys; NaN where the row's run has no such
    key or is gone), from the long (row key, key, last) rows."""
    import numpy as np
    import pandas as pd

    if not summaries:
        return {}
    at, keys, last = _transpose(summaries, 3)
    rows = pd.Index(np.asarray(row_keys, dtype=np.int64)).get_indexer(np.array(at, np.int64))
    codes, names = pd.factorize(np.array(keys, dtype=object), sort=True)
    grid = np.full((len(row_keys), len(names)), np.nan)
    grid[rows, codes] = np.array(last, dtype="float64")  # None becomes NaN
    return {str(key): grid[:, i] for i, key in enumerate(names)}


def _transpose(rows: list[Any], width: int) -> list[tuple[Any, ...]]:
    return list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]


def read_listing(
    store: Store, name: str | None = None, metrics: bool = False, run_ids: bool = True
) -> Listing:
    """The listing of every registered version (of `name`); the source runs' last
    metric values when `metrics`; without the "run_id" column unless `run_ids`.
    All statements read one snapshot, so the columns line up."""
    import sqlalchemy as sa

    from ..store.registry_tables import registry_aliases as A
    from ..store.registry_tables import registry_versions as RV
    from ..store.schema import runs as R

    columns = [
        RV.c.version,
        RV.c.source,
        RV.c.flavor,
        R.c.stem + "#" + sa.cast(R.c.seq, sa.Text),  # NULL once the run is deleted
        R.c.name,
        RV.c.created,
        RV.c.user,
        R.c.id,
    ]
    read = list(FIELDS if run_ids else FIELDS[:-1])
    columns = columns[: len(read)]
    sqlite = store.dialect == "sqlite"
    key = _row_key(sqlite)
    if metrics and sqlite:
        read.append("row_key")
        columns.append(key)
    query = (
        sa.select(*columns)
        .select_from(RV.outerjoin(R, R.c.id == RV.c.run_id))
        .order_by(RV.c.name, RV.c.version)
    )
    names_q = sa.select(RV.c.name, sa.func.count()).group_by(RV.c.name).order_by(RV.c.name)
    aliases_q = sa.select(A.c.name, A.c.version, A.c.alias).order_by(A.c.alias)
    if name is not None:
        query = query.where(RV.c.name == name)
        names_q = names_q.where(RV.c.name == name)
        aliases_q = aliases_q.where(A.c.name == name)

    with store.reading() as conn, paused_gc():
        if conn.dialect.name == "postgresql":  # one snapshot for all the statements
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        counted = conn.execute(names_q).cursor.fetchall()
        rows = conn.execute(query).cursor.fetchall() if counted else []
        cells = dict(zip(read, _transpose(rows, len(read)), strict=True))
        del rows
        row_keys = cells.pop("row_key", None) or range(1, len(cells["version"]) + 1)
        values: dict[str, Sequence[float]] = {}
        if metrics and counted:
            values = _pivot(row_keys, conn.execute(_summaries_q(name, key)).cursor.fetchall())
        held: dict[tuple[str, int], list[str]] = {}
        for n, v, alias in conn.execute(aliases_q).cursor.fetchall():
            held.setdefault((n, v), []).append(alias)
    return Listing(
        names=[r[0] for r in counted],
        counts=[int(r[1]) for r in counted],
        columns=cells,
        metrics=values,
        aliases=held,
    )
