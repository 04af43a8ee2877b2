"""Metric points in an archive: one JSON line per (run, metric) holding its
columns as base64 of little-endian 64-bit arrays (``step``, ``seq`` int64;
``value``, ``time`` float64) and the positions of NULL values (NaN in the store).

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


def read_groups(conn: sa.Connection, run_ids: list[str]) -> Iterator[dict[str, Any]]:
    """The points of ``run_ids``, one group per (run, metric), in primary-key order.

    Read through the driver's own cursor, one run at a time by the primary key:
    SQLAlchemy's Row objects would cost more than the rest of the export."""
    from nbtrack.store import schema as sch

    from .tables import chunks

    keys = dict(conn.execute(sa.select(sch.metric_keys.c.id, sch.metric_keys.c.key)).all())
    rk = sch.run_keys
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        "SELECT key_id, step, seq, value, time FROM nbtrack_points "
        f"WHERE run_key = {mark} ORDER BY key_id, step, seq"
    )
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for part in chunks(run_ids):
            query = sa.select(rk.c.run_key, rk.c.run_id).where(rk.c.run_id.in_(part))
            for run_key, run_id in sorted(conn.execute(query).all()):
                cursor.execute(sql, (run_key,))
                rows = cursor.fetchall()
                start = 0
                for i in range(1, len(rows) + 1):
                    if i < len(rows) and rows[i][0] == rows[start][0]:
                        continue
                    yield _group(run_id, keys[rows[start][0]], rows[start:i])
                    start = i
    finally:
        cursor.close()


def _group(run_id: str, key: str, rows: list[Any]) -> dict[str, Any]:
    key_ids, steps, seqs, values, times = zip(*rows, strict=True)
    return {
        "run_id": run_id,
        "key": key,
        "n": len(rows),
        "step": _pack("q", list(steps)),
        "seq": _pack("q", list(seqs)),
        "value": _pack("d", [0.0 if v is None else v for v in values]),
        "null": [j for j, v in enumerate(values) if v is None],
        "time": _pack("d", list(times)),
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
