"""The media index in the store: write a batch of rows, read a run's rows."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..store.media_tables import media as M

if TYPE_CHECKING:
    from ..store import Store

COLUMNS = ["name", "kind", "step", "idx", "caption", "hash", "mime", "size", "meta", "time"]


def insert(store: Store, rows: list[dict[str, Any]]) -> None:
    """Write rows (dicts with run_id and COLUMNS; meta a dict) in one transaction."""
    if not rows:
        return
    values = [{**r, "meta": json.dumps(r["meta"], sort_keys=True)} for r in rows]
    with store.writing() as conn:
        for i in range(0, len(values), 1000):
            conn.execute(sa.insert(M), values[i : i + 1000])


def select(
    store: Store,
    run_id: str,
    name: str | None = None,
    kind: str | None = None,
    step: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """A run's media rows in (name, step, idx) order; meta decoded."""
    query = sa.select(*[M.c[c] for c in COLUMNS]).where(M.c.run_id == run_id)
    if name is not None:
        query = query.where(M.c.name == name)
    if kind is not None:
        query = query.where(M.c.kind == kind)
    if step is not None:
        query = query.where(M.c.step == step)
    query = query.order_by(M.c.name, M.c.step, M.c.idx, M.c.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with store.reading() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for r in rows:
        r["meta"] = json.loads(r["meta"])
    return rows


def count(store: Store, run_id: str, name: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(M).where(M.c.run_id == run_id)
    if name is not None:
        query = query.where(M.c.name == name)
    with store.reading() as conn:
        return int(conn.execute(query).scalar() or 0)


def hashes_of(row: dict[str, Any]) -> list[str]:
    """Every blob a row names: its main blob and its renders / display copy."""
    meta = row["meta"]
    return [row["hash"]] + [meta[k] for k in ("display", "svg", "png", "html") if meta.get(k)]


def live_hashes(store: Store) -> set[str]:
    """The blobs the media of existing runs hold (for the artifact gc)."""
    from ..store import schema

    R = schema.runs
    out: set[str] = set()
    query = sa.select(M.c.hash, M.c.meta).where(M.c.run_id.in_(sa.select(R.c.id)))
    with store.reading() as conn:
        for h, meta in conn.execute(query):
            out.update(hashes_of({"hash": h, "meta": json.loads(meta)}))
    return out
