"""Metric points in an archive: one JSON line per (run, metric) holding its
columns as base64 of little-endian 64-bit arrays (``step``, ``seq`` int64;
``value``, ``time`` float64) and the positions of NaN values (``null``: the
store kept NaN as NULL before chunks, and archives keep that form both ways).

Columnar and binary because points are nearly all of an archive: this is exact
bit for bit by construction, and encodes in a handful of C calls per run and
metric where JSON rows cost two Python calls per point.
"""

from __future__ import annotations

import base64
import sys
from array import array
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

COLUMNS = {"run_id", "key", "n", "step", "seq", "value", "time", "null"}
MEMBER = "nbtrack_points"  # the archive's table of point groups (not a store table)


def _pack(code: str, values: list[Any]) -> str:
    arr = array(code, values)
    if sys.byteorder == "big":
        arr.byteswap()
    return base64.b64encode(arr.tobytes()).decode()


def _unpack(code: str, text: str) -> list[Any]:
    arr = array(code)
    arr.frombytes(base64.b64decode(text))
    if sys.byteorder == "big":
        arr.byteswap()
    return arr.tolist()


def _b64(column: Any, dtype: str) -> str:
    return base64.b64encode(column.astype(dtype).tobytes()).decode()


def read_groups(conn: sa.Connection, run_ids: list[str]) -> Iterator[dict[str, Any]]:
    """The points of ``run_ids``, one group per (run, metric), each in step order.

    Read through the driver's own cursor, one run at a time, its chunks unpacked by
    numpy (store/chunks.py)."""
    import numpy as np

    from nbtrack.store import schema as sch
    from nbtrack.store.chunks import read_points

    from .tables import chunks

    rk = sch.run_keys
    for part in chunks(run_ids):
        query = sa.select(rk.c.run_key, rk.c.run_id).where(rk.c.run_id.in_(part))
        for run_key, run_id in sorted(conn.execute(query).all()):
            p = read_points(conn, run_key).by_step()
            if not len(p):
                continue
            starts = np.flatnonzero(np.concatenate(([True], p.key[1:] != p.key[:-1])))
            ends = np.append(starts[1:], len(p))
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
                value = p.value[a:b]
                null = np.isnan(value)
                yield {
                    "run_id": run_id,
                    "key": p.key[a],
                    "n": b - a,
                    "step": _b64(p.step[a:b], "<i8"),
                    "seq": _b64(p.seq[a:b], "<i8"),
                    "value": _b64(np.where(null, 0.0, value), "<f8"),
                    "null": np.flatnonzero(null).tolist(),
                    "time": _b64(p.time[a:b], "<f8"),
                }


def group_points(group: dict[str, Any]) -> int:
    return int(group["n"])


def unpack_group(group: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(step, seq, value, time) tuples of one group; NULL values where they were."""
    steps, seqs = _unpack("q", group["step"]), _unpack("q", group["seq"])
    values, times = _unpack("d", group["value"]), _unpack("d", group["time"])
    n = int(group["n"])
    if not (len(steps) == len(seqs) == len(values) == len(times) == n):
        raise ValueError(f"points of {group['run_id']}/{group['key']} are incomplete")
    for j in group["null"]:
        values[j] = None
    return list(zip(steps, seqs, values, times, strict=True))
