"""Every point of some runs as columns (numpy arrays), for `nbtrack.history()`.

One read of the chunks table per run (key id, first seq: no sort in the
database), its packed arrays joined by numpy (chunks.py), each key put in step
order where its chunks are not already, then the runs' keys put in key-name
order by moving whole series (a stable sort that is skipped when key ids
already follow the names). No Python work per point.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import schema
from .chunks import empty_points, read_points

if TYPE_CHECKING:
    from .store import Store

_IN_CHUNK = 500
COLUMNS = ("run", "key", "step", "value", "time")


def point_columns(
    store: Store, run_ids: Sequence[str], keys: Sequence[str] | None = None
) -> dict[str, Any]:
    """{run, key, step, value, time}: numpy arrays of every point of `run_ids` (of
    `keys` only, when given), ordered by run (as given), key name, step, then the
    order they were written. `value` holds NaN and ±inf as they were logged."""
    import numpy as np

    ids = list(dict.fromkeys(run_ids))
    rk = schema.run_keys
    parts = []
    with store.reading() as conn:
        run_keys: dict[str, int] = {}
        for i in range(0, len(ids), _IN_CHUNK):
            chunk = ids[i : i + _IN_CHUNK]
            query = sa.select(rk.c.run_id, rk.c.run_key).where(rk.c.run_id.in_(chunk))
            run_keys.update(conn.execute(query).all())  # type: ignore[arg-type]
        wanted = None if keys is None else list(dict.fromkeys(keys))
        for pos, run_id in enumerate(ids):
            if run_id in run_keys:
                points = read_points(conn, run_keys[run_id], keys=wanted, by_name=False)
                points = points.by_step()
                if len(points):
                    parts.append((pos, points))
        found = [p.key for _, p in parts]
        key_ids = np.unique(np.concatenate(found)).tolist() if found else []
        mk = schema.metric_keys
        names: dict[int, str] = {}
        for i in range(0, len(key_ids), _IN_CHUNK):
            query = sa.select(mk.c.id, mk.c.key).where(mk.c.id.in_(key_ids[i : i + _IN_CHUNK]))
            names.update(conn.execute(query).all())  # type: ignore[arg-type]
    if not parts:
        empty = empty_points()
        return {
            "run": np.array([], dtype=object),
            "key": empty.key,
            "step": empty.step,
            "value": empty.value,
            "time": empty.time,
        }
    sizes = [len(points) for _, points in parts]
    key_id = np.concatenate([points.key for _, points in parts]).astype(np.int64)
    by_id = np.array(sorted(names), dtype=np.int64)
    name_of = np.array([names[i] for i in by_id.tolist()], dtype=object)
    where = np.searchsorted(by_id, key_id)
    # Each key's rank among the names, so the frame comes in key-name order.
    rank_of = np.empty(len(by_id), dtype=np.int64)
    rank_of[np.argsort(name_of, kind="stable")] = np.arange(len(by_id))
    run_pos = np.repeat(np.array([pos for pos, _ in parts], dtype=np.int64), sizes)
    order_key = run_pos * len(by_id) + rank_of[where]
    out = {
        "run": np.array(ids, dtype=object)[run_pos],
        "key": name_of[where],
        "step": np.concatenate([points.step for _, points in parts]),
        "value": np.concatenate([points.value for _, points in parts]),
        "time": np.concatenate([points.time for _, points in parts]),
    }
    if len(order_key) > 1 and not bool(np.all(order_key[1:] >= order_key[:-1])):
        order = np.argsort(order_key, kind="stable")
        out = {name: column[order] for name, column in out.items()}
    return out
