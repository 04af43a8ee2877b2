"""Metric points in chunks: packing a series' points into one row, and reading
them back as numpy columns.

A chunk is one row of `nbtrack_chunks` per (run, metric key, flush): the
flush's points of that series as packed little-endian arrays — steps and seqs
int64, values and times float64 (NaN and ±inf kept as they are). Packing is the
standard library's `array` (C, no numpy import on the writer's path), so a flush
of 100,000 points is a few rows, and the B-tree work per point is gone.

Within a chunk, seqs increase (the order the points were logged); `first_seq`
and `last_seq` are its lowest and highest, `seqs` is NULL when they are evenly
spaced (the usual case: a batch's series is every k-th point of its run). The
chunks of one series never overlap in seq (a run's seqs are handed out under a
lock, in commit order: point_writes.py), so the chunks read by `first_seq` hold
the series in seq order; a read in step order sorts them (stable, by step
then seq) only where steps are out of order or repeat across chunks.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Sequence
from typing import Any

CHUNKS_TABLE = "nbtrack_chunks"  # schema.chunks (a test checks); no SQLAlchemy import
CHUNK_COLUMNS = "run_key, key_id, first_seq, last_seq, n, seqs, steps, vals, times"
SEQ_INDEX = "ix_nbtrack_chunks_run_seq"
_READ_COLUMNS = "c.first_seq, c.last_seq, c.n, c.seqs, c.steps, c.vals, c.times"
_SWAP = sys.byteorder == "big"
MAX_CHUNK = 100_000  # points per chunk an upgrade or an import writes, at most

Chunk = tuple[int, int, int, int, int, bytes | None, bytes, bytes, bytes]


def _packed(code: str, items: Sequence[Any]) -> bytes:
    arr = array(code, items)
    if _SWAP:
        arr.byteswap()
    return arr.tobytes()


def _packed_values(values: Sequence[float | None]) -> bytes:
    try:
        return _packed("d", values)
    except TypeError:  # a None (a NaN as a journal or an archive may hold it)
        return _packed("d", [math.nan if v is None else v for v in values])


def chunk_row(
    run_key: int,
    key_id: int,
    seqs: Sequence[int],
    steps: Sequence[int],
    values: Sequence[float | None],
    times: Sequence[float],
) -> Chunk:
    """The row of one series' points (`seqs` increasing; a `range` is stored as its
    ends only)."""
    n = len(seqs)
    even = isinstance(seqs, range) or n <= 2
    stored = None if even else _packed("q", seqs)
    return (
        run_key,
        key_id,
        seqs[0],
        seqs[-1],
        n,
        stored,
        _packed("q", steps),
        _packed_values(values),
        _packed("d", times),
    )


def series_chunks(run_key: int, key_id: int, rows: Sequence[Sequence[Any]]) -> list[Chunk]:
    """The chunks of one series' `(seq, step, value, time)` rows (in seq order), at
    most MAX_CHUNK points each: for upgrades and imports, which hold whole series."""
    out = []
    for i in range(0, len(rows), MAX_CHUNK):
        seqs, steps, values, times = zip(*rows[i : i + MAX_CHUNK], strict=True)
        out.append(chunk_row(run_key, key_id, seqs, steps, values, times))
    return out


def insert_sql(paramstyle: str) -> str:
    """The INSERT of chunk rows in the driver's own parameter style."""
    mark = "?" if paramstyle == "qmark" else "%s"
    return f"INSERT INTO {CHUNKS_TABLE} ({CHUNK_COLUMNS}) VALUES ({', '.join([mark] * 9)})"


class Points:
    """Columns of points (numpy arrays): key (the key name, or id), seq, step,
    value (NaN kept), time. (A plain class, not a dataclass: this module is on
    the write path, and importing dataclasses loads inspect and ast.)"""

    def __init__(self, key: Any, seq: Any, step: Any, value: Any, time: Any) -> None:
        self.key, self.seq, self.step, self.value, self.time = key, seq, step, value, time

    def __len__(self) -> int:
        return len(self.seq)

    def take(self, index: Any) -> Points:
        return Points(
            self.key[index], self.seq[index], self.step[index], self.value[index], self.time[index]
        )

    def by_step(self) -> Points:
        """Key by key as read, each by step then seq (`self` holds each key's points
        in seq order, keys one after the other)."""
        import numpy as np

        key, step = self.key, self.step
        if len(step) < 2:
            return self
        same = key[1:] == key[:-1]
        if bool(np.all(~same | (step[1:] >= step[:-1]))):
            return self
        # Each key's run of rows keeps its place; within it, a stable sort by step.
        starts = np.flatnonzero(np.concatenate(([True], ~same)))
        group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(step))))
        return self.take(np.lexsort((step, group)))

    def by_seq(self) -> Points:
        import numpy as np

        return self.take(np.argsort(self.seq, kind="stable"))

    def tuples(self, *columns: str) -> list[tuple[Any, ...]]:
        """The points as tuples of the named columns, Python values."""
        return list(zip(*(getattr(self, c).tolist() for c in columns), strict=True))

    def rows(self) -> list[tuple[Any, ...]]:
        """(seq, step, value, time) tuples."""
        return self.tuples("seq", "step", "value", "time")


def empty_points() -> Points:
    import numpy as np

    i8, f8 = np.array([], dtype=np.int64), np.array([], dtype=np.float64)
    return Points(np.array([], dtype=object), i8, i8, f8, f8)


def unpack(rows: Sequence[Sequence[Any]]) -> Points:
    """Points of chunk rows (key, first_seq, last_seq, n, seqs, steps, vals, times),
    in the rows' order."""
    import numpy as np

    if not rows:
        return empty_points()
    keys, firsts, lasts, ns, seqs, steps, vals, times = zip(*rows, strict=True)
    n = np.array(ns, dtype=np.int64)
    first = np.array(firsts, dtype=np.int64)
    stride = np.where(n > 1, (np.array(lasts, dtype=np.int64) - first) // np.maximum(n - 1, 1), 0)
    starts = np.cumsum(n) - n
    within = np.arange(int(n.sum()), dtype=np.int64) - np.repeat(starts, n)
    seq = np.repeat(first, n) + within * np.repeat(stride, n)
    for i, packed in enumerate(seqs):
        if packed is not None:
            seq[starts[i] : starts[i] + n[i]] = np.frombuffer(packed, dtype="<i8")
    if isinstance(keys[0], int):
        key_array = np.array(keys, dtype=np.int64)
    else:
        key_array = np.empty(len(keys), dtype=object)
        key_array[:] = keys
    return Points(
        np.repeat(key_array, n),
        seq,
        _joined(steps, "<i8"),
        _joined(vals, "<f8"),
        _joined(times, "<f8"),
    )


def _joined(parts: Sequence[bytes], dtype: str) -> Any:
    import numpy as np

    return np.frombuffer(b"".join(parts), dtype=dtype).astype(dtype[1:], copy=False)


def read_points(
    conn: Any,
    run_key: int,
    *,
    keys: Sequence[str] | None = None,
    skip_keys: Sequence[str] = (),
    after: int = 0,
    upto: int | None = None,
    by_name: bool = True,
) -> Points:
    """The points of one run (of `keys` only, but `skip_keys`) with `after < seq <=
    upto`, key by key (by key id) in seq order; `key` holds names (`by_name`) or key
    ids. `conn` is an SQLAlchemy connection: a read is a few rows (chunks), so
    its Row objects cost nothing worth a driver cursor."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    where = [f"c.run_key = {mark}"]
    args: list[Any] = [run_key]
    # A poll (points since a cursor) seeks the (run_key, last_seq) index: `+` keeps
    # the key and first seq off the primary key, which would read the whole series.
    seek = "+" if after else ""
    if after:
        where.append(f"c.last_seq > {mark}")
        args.append(after)
    if upto is not None:
        where.append(f"{seek}c.first_seq <= {mark}")
        args.append(upto)
    if keys is not None:
        if not keys:
            return empty_points()
        where.append(f"k.key IN ({', '.join([mark] * len(keys))})")
        args += list(keys)
    if skip_keys:
        where.append(f"k.key NOT IN ({', '.join([mark] * len(skip_keys))})")
        args += list(skip_keys)
    key = "k.key" if by_name else "c.key_id"
    # SQLite without statistics prefers the primary key's (run_key) prefix: name the index.
    hint = f" INDEXED BY {SEQ_INDEX}" if after and mark == "?" else ""
    sql = (
        f"SELECT {key}, {_READ_COLUMNS} FROM {CHUNKS_TABLE} c{hint} "
        f"JOIN nbtrack_metric_keys k ON k.id = {seek}c.key_id "
        f"WHERE {' AND '.join(where)} ORDER BY c.key_id, c.first_seq"
    )
    points = unpack(conn.exec_driver_sql(sql, tuple(args)).all())
    if len(points) and (after or upto is not None):
        seq = points.seq
        keep = seq > after
        if upto is not None:
            keep &= seq <= upto
        if not bool(keep.all()):
            points = points.take(keep)
    return points
