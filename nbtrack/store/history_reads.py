"""Every point of some runs as columns (numpy arrays), for `nbtrack.history()`.

One read per run, in the order of the points table (key id, step, seq: no sort
in the database), fetched in bulk through the driver, turned into columns with
numpy, and put in key-name order by moving whole series (a stable sort that is
skipped when key ids already follow the names). No Row object, no Python work
per point but one `zip`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import schema

if TYPE_CHECKING:
    from .store import Store

_IN_CHUNK = 500
COLUMNS = ("run", "key", "step", "value", "time")


def _marks(store: Store, n: int) -> str:
    mark = "?" if store.engine.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * n)


def point_columns(
    store: Store, run_ids: Sequence[str], keys: Sequence[str] | None = None
) -> dict[str, Any]:
    """{run, key, step, value, time}: numpy arrays of every point of `run_ids` (of
    `keys` only, when given), ordered by run (as given), key name, step, then the
    order they were written. `value` holds NaN where the store has NULL."""
    import numpy as np

    ids = list(dict.fromkeys(run_ids))
    rk, mk = schema.run_keys, schema.metric_keys
    mark = "?" if store.engine.dialect.paramstyle == "qmark" else "%s"
    parts: list[tuple[int, list[Any]]] = []
    names: dict[int, str] = {}
    with store.reading() as conn:
        run_keys: dict[str, int] = {}
        for i in range(0, len(ids), _IN_CHUNK):
            chunk = ids[i : i + _IN_CHUNK]
            query = sa.select(rk.c.run_id, rk.c.run_key).where(rk.c.run_id.in_(chunk))
            run_keys.update(conn.execute(query).all())  # type: ignore[arg-type]
        where_keys = ""
        key_args: list[int] = []
        if keys is not None:
            wanted = list(dict.fromkeys(keys))
            for i in range(0, len(wanted), _IN_CHUNK):
                query = sa.select(mk.c.id, mk.c.key).where(mk.c.key.in_(wanted[i : i + _IN_CHUNK]))
                names.update(conn.execute(query).all())  # type: ignore[arg-type]
            if not names:
                run_keys = {}
            key_args = sorted(names)
            where_keys = f" AND key_id IN ({_marks(store, len(key_args))})"
        sql = (
            f"SELECT key_id, step, value, time FROM {schema.points.name} "
            f"WHERE run_key = {mark}{where_keys} ORDER BY key_id, step, seq"
        )
        raw = conn.connection.driver_connection
        cursor = raw.cursor()  # type: ignore[union-attr]
        try:
            for pos, run_id in enumerate(ids):
                if run_id in run_keys:
                    cursor.execute(sql, (run_keys[run_id], *key_args))
                    rows = cursor.fetchall()
                    if rows:
                        parts.append((pos, rows))
        finally:
            cursor.close()
        if parts:
            all_rows = parts[0][1] if len(parts) == 1 else [r for _, rows in parts for r in rows]
            key_ids, steps, values, times = zip(*all_rows, strict=True)
            key_id = np.array(key_ids, dtype=np.int64)
        if keys is None and parts:
            missing = np.unique(key_id).tolist()
            for i in range(0, len(missing), _IN_CHUNK):
                query = sa.select(mk.c.id, mk.c.key).where(mk.c.id.in_(missing[i : i + _IN_CHUNK]))
                names.update(conn.execute(query).all())  # type: ignore[arg-type]
    if not parts:
        return {
            "run": np.array([], dtype=object),
            "key": np.array([], dtype=object),
            "step": np.array([], dtype=np.int64),
            "value": np.array([], dtype=np.float64),
            "time": np.array([], dtype=np.float64),
        }
    sizes = [len(rows) for _, rows in parts]
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
        "step": np.array(steps, dtype=np.int64),
        "value": np.array(values, dtype=np.float64),
        "time": np.array(times, dtype=np.float64),
    }
    if len(order_key) > 1 and not bool(np.all(order_key[1:] >= order_key[:-1])):
        order = np.argsort(order_key, kind="stable")
        out = {name: column[order] for name, column in out.items()}
    return out
