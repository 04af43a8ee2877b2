"""The source runs' metrics in the registry listing (models/listing.py), read the
way each backend reads them cheapest, as one column of last values per key.

- SQLite: one LEFT JOIN of the summaries per key onto the listing's rows (wide
  rows; the first KEYS_PER_QUERY keys in the rows' own statement, then a
  statement per KEYS_PER_QUERY more), after a statement for the keys (a few
  index seeks a key). The stdlib driver costs about 0.5 us a row whatever its
  width, so wide rows are the cheap shape there: long rows cost 30-40% more at
  20 keys (benchmarks/bench_models.py).
- PostgreSQL: the versions' own copies of their runs' summaries, which the
  server keeps by triggers (store/registry_metrics.py): one statement, no join,
  a row per key with its versions' names, numbers and last values packed as
  binary arrays that numpy reads as they are (no Python object a value but the
  names; long (row, key, last) rows cost the driver 0.26 s at 20 keys x 20,000
  versions, and the pivot as much again). Joining the summaries instead cost
  the server 50-75 ms at 20,000 versions x 2 keys (the copies: ~20 ms), and it
  read every summary in the store, linked or not (0.5 s of server CPU at 20
  keys beside 20,000 other runs).
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


def copies_q(name: str | None) -> sa.TextClause:
    """The versions' copies of their runs' summaries (PostgreSQL,
    store/registry_metrics.py), one row per key: the key, then the versions
    holding it as their model names (one text, with each name's length in
    characters packed beside it) and their numbers and last values, each packed
    (int4send / float8send: big-endian, a NULL last as NaN). No join: the rows
    are placed by name and number (pivot). The aggregates of a group read its
    rows in one order, so the n-th name goes with the n-th number and value."""
    import sqlalchemy as sa

    where = "WHERE name = :name" if name is not None else ""
    query = sa.text(
        "SELECT key, string_agg(name, ''), string_agg(int4send(char_length(name)), ''::bytea), "
        "string_agg(int4send(version), ''::bytea), "
        "string_agg(float8send(coalesce(last, 'NaN'::float8)), ''::bytea) "
        f"FROM nbtrack_registry_metrics {where} GROUP BY key"
    )
    return query.bindparams(name=name) if name is not None else query


def _places(place: dict[str, int], joined: str, lengths: bytes) -> Any:
    """Each copy's model name's place in the listing (-1: not in it), from the
    names joined into one text and their lengths."""
    import numpy as np

    ends = np.cumsum(np.frombuffer(lengths, ">i4"))
    starts = (ends - np.frombuffer(lengths, ">i4")).tolist()
    return np.fromiter(
        (place.get(joined[a:b], -1) for a, b in zip(starts, ends.tolist(), strict=True)),
        np.int64,
        len(starts),
    )


def pivot(
    names: list[str], counts: list[int], versions: Sequence[int], packed: list[Any]
) -> dict[str, Sequence[float]]:
    """Each key's value for each row of the listing (at least one row; sorted keys;
    NaN where the row's run has no such key or is gone), from copies_q's rows.
    The listing's rows are in (name, version) order, so a row is found by a
    binary search of (its name's place, its version); numpy reads the packed
    arrays as they are. Keys held by the same versions in the same order (the
    usual case: every run logs every key) share one reading of the names."""
    import numpy as np

    count = sum(counts)
    place = {n: i for i, n in enumerate(names)}
    # One int64 per row, increasing with the rows: name place * 2**32 + version.
    rows = (np.repeat(np.arange(len(names), dtype=np.int64), counts) << 32) + np.asarray(
        versions, dtype=np.int64
    )
    read: dict[tuple[str, bytes], Any] = {}
    out = {}
    for key, joined, lengths, numbers, lasts in sorted(packed, key=lambda r: r[0]):
        where = read.get((joined, lengths))
        if where is None:
            where = read[(joined, lengths)] = _places(place, joined, lengths)
        column = np.full(count, np.nan)
        wanted = (where << 32) + np.frombuffer(numbers, ">i4").astype(np.int64)
        at = np.minimum(np.searchsorted(rows, wanted), count - 1)
        # A copy of a version outside this listing (none in one snapshot) is skipped.
        found = (where >= 0) & (rows[at] == wanted)
        column[at[found]] = np.frombuffer(lasts, ">f8")[found]
        out[key] = column
    return out
