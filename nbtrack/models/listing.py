"""The registry listing's reads: every registered version (of one name) with its
source run and, when asked, that run's last value of each metric, as columns.

A fixed number of set-based statements, whatever the number of models and
versions, in one snapshot: the registered names with their version counts, the
rows (the versions table alone: it holds copies of each run's ref and name,
store/registry_runs.py, so no run is looked up by its text id), the metrics
(listing_metrics.py: on SQLite more columns of the rows, a statement more per
KEYS_PER_QUERY keys; on PostgreSQL one statement over the versions' copies of
their runs' metrics, a row per key, whatever the number of keys), and the
aliases. Nothing is matched by run id: the rows and SQLite's metrics arrive in
the rows' own order, PostgreSQL's copies are placed by model name and version
in numpy. What is left is the driver making Python objects of the cells, and
SQLite's seeks of each row's metric summaries (benchmarks/bench_models.py).
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from . import listing_metrics as lm

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
    metrics: dict[str, Sequence[float | None]]  # key -> last value per row (sorted keys)
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


@contextlib.contextmanager
def binary_rows(conn: sa.Connection) -> Iterator[None]:
    """Rows read through `conn` inside the block come, on PostgreSQL, in psycopg's
    binary format: neither the server nor the driver formats and parses each
    value as text (a third of the driver's time for the listing)."""
    if conn.dialect.driver != "psycopg":
        yield
        return
    import sqlalchemy as sa
    from psycopg.pq import Format

    def binary(_conn: Any, cursor: Any, *_: Any) -> None:
        cursor.format = Format.BINARY

    sa.event.listen(conn, "before_cursor_execute", binary)
    try:
        yield
    finally:
        sa.event.remove(conn, "before_cursor_execute", binary)


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

    columns = [
        RV.c.version,
        RV.c.source,
        RV.c.flavor,
        RV.c.run_ref,  # the run's, copied (store/registry_runs.py): NULL once it is deleted
        RV.c.run_name,
        RV.c.created,
        RV.c.user,
        sa.case((RV.c.run_ref.is_(None), sa.null()), else_=RV.c.run_id),
    ]
    fields = FIELDS if run_ids else FIELDS[:-1]
    columns = columns[: len(fields)]
    base: sa.FromClause = RV
    names_q = sa.select(RV.c.name, sa.func.count()).group_by(RV.c.name).order_by(RV.c.name)
    aliases_q = sa.select(A.c.name, A.c.version, A.c.alias).order_by(A.c.alias)
    if name is not None:
        names_q = names_q.where(RV.c.name == name)
        aliases_q = aliases_q.where(A.c.name == name)

    def select(frm: sa.FromClause, cols: list[Any]) -> sa.Select[Any]:
        query = sa.select(*cols).select_from(frm).order_by(RV.c.name, RV.c.version)
        return query.where(RV.c.name == name) if name is not None else query

    with store.reading() as conn, paused_gc(), binary_rows(conn):
        sqlite = conn.dialect.name == "sqlite"
        if not sqlite:  # one snapshot for all the statements
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        counted = conn.execute(names_q).cursor.fetchall()
        # SQLite: the metrics as more columns of the rows (listing_metrics.py).
        keys = lm.metric_keys(conn, name) if metrics and sqlite and counted else []
        chunks = [keys[i : i + lm.KEYS_PER_QUERY] for i in range(0, len(keys), lm.KEYS_PER_QUERY)]
        first = chunks[0] if chunks else []
        rows = conn.execute(select(*lm.with_metrics(base, columns, first))).cursor.fetchall()
        cells = _transpose(rows, len(fields) + len(first))
        del rows
        values: dict[str, Sequence[float | None]] = dict(
            zip(first, cells[len(fields) :], strict=True)
        )
        for chunk in chunks[1:]:
            more = conn.execute(select(*lm.with_metrics(RV, [], chunk))).cursor.fetchall()
            values.update(zip(chunk, _transpose(more, len(chunk)), strict=True))
        if metrics and not sqlite and counted:  # the copies, placed by name and version
            copies = conn.execute(lm.copies_q(name)).cursor.fetchall()
            names = [r[0] for r in counted]
            values.update(lm.pivot(names, [int(r[1]) for r in counted], cells[0], copies))
        held: dict[tuple[str, int], list[str]] = {}
        for n, v, alias in conn.execute(aliases_q).cursor.fetchall():
            held.setdefault((n, v), []).append(alias)
    return Listing(
        names=[r[0] for r in counted],
        counts=[int(r[1]) for r in counted],
        columns=dict(zip(fields, cells, strict=False)),
        metrics=values,
        aliases=held,
    )
