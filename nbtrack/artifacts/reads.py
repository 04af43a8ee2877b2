"""Reads of the artifact layer: the artifacts DataFrame, a run's inputs and
outputs, and the runs that used a version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .records import Version, resolve, versions

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store

COLUMNS = [
    "name",
    "type",
    "version",
    "hash",
    "size",
    "files",
    "aliases",
    "made_by",
    "created",
    "kind",
    "stored",
    "id",
]


def _store(store: Any) -> Store:
    from ..query import store_for

    return store_for(store)


def run_refs(store: Store, run_ids: list[str]) -> dict[str, str]:
    """{run id: `stem#seq`} for the runs that still exist."""
    return {rid: ref for rid, (ref, _name) in run_labels(store, run_ids).items()}


def run_labels(store: Store, run_ids: list[str]) -> dict[str, tuple[str, str]]:
    """{run id: (`stem#seq`, name)} for the runs that still exist: one indexed read."""
    import sqlalchemy as sa

    from ..store import schema

    R = schema.runs
    ids = [r for r in set(run_ids) if r]
    out: dict[str, tuple[str, str]] = {}
    with store.reading() as conn:
        for i in range(0, len(ids), 500):
            query = sa.select(R.c.id, R.c.stem, R.c.seq, R.c.name).where(
                R.c.id.in_(ids[i : i + 500])
            )
            for rid, stem, seq, name in conn.execute(query):
                out[rid] = (f"{stem}#{seq}", name)
    return out


def artifacts(name: str | None = None, store: str | Store | None = None) -> pd.DataFrame:
    """Every artifact version (of `name`), one row each: name, type, version, hash,
    size, files, aliases, made_by (the run), created (UTC), kind, stored, id."""
    import pandas as pd

    st = _store(store)
    found = versions(st, name=name)
    made = run_refs(st, [v.run_id for v in found if v.run_id])
    df = pd.DataFrame.from_records(
        [
            {
                "name": v.name,
                "type": v.type,
                "version": v.version,
                "hash": v.hash,
                "size": v.size,
                "files": v.files,
                "aliases": v.aliases,
                "made_by": made.get(v.run_id or ""),
                "created": v.created,
                "kind": v.kind,
                "stored": v.stored,
                "id": v.id,
            }
            for v in found
        ],
        columns=COLUMNS,
    )
    df["created"] = pd.to_datetime(df["created"], unit="s", utc=True)
    return df


def run_edges(store: Store, run_id: str, direction: str) -> list[Version]:
    """The versions a run used ("in") or made ("out")."""
    ids = [vid for rid, vid, d, _cell in edges_of_run(store, run_id) if d == direction]
    return versions(store, ids=ids) if ids else []


def edges_of_run(store: Store, run_id: str) -> list[tuple[str, str, str, str | None]]:
    import sqlalchemy as sa

    from ..store.artifact_tables import artifact_edges as E

    with store.reading() as conn:
        query = sa.select(E.c.run_id, E.c.version_id, E.c.direction, E.c.cell).where(
            E.c.run_id == run_id
        )
        return [(r[0], r[1], r[2], r[3]) for r in conn.execute(query)]


def runs_using(ref: str, store: str | Store | None = None) -> list[str]:
    """Ids of the runs that used the version `ref` names."""
    import sqlalchemy as sa

    from ..store.artifact_tables import artifact_edges as E

    st = _store(store)
    version = resolve(st, ref)
    with st.reading() as conn:
        query = sa.select(E.c.run_id).where(E.c.version_id == version.id, E.c.direction == "in")
        return [r[0] for r in conn.execute(query)]
