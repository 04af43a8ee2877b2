"""Artifact metadata in the store (SQLite or PostgreSQL): versions, blobs,
made/used edges and aliases. Every write is one transaction."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import StoreError
from ..ids import new_id
from ..store.artifact_tables import (
    artifact_alias_history,
    artifact_aliases,
    artifact_blobs,
    artifact_edges,
    artifact_versions,
)
from .errors import ArtifactNotFoundError
from .names import ArtifactRef, check_alias, parse_ref

if TYPE_CHECKING:
    from ..store import Store

V = artifact_versions


@dataclass
class Version:
    """One immutable artifact version."""

    id: str
    name: str
    type: str
    version: int
    hash: str
    kind: str
    size: int
    files: int
    stored: bool
    meta: dict[str, Any]
    created: float
    run_id: str | None
    cell: dict[str, Any] | None
    aliases: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.name}:v{self.version}"

    def __str__(self) -> str:
        return self.ref


_COLUMNS = [c.name for c in V.c]


def _version(row: Any, aliases: list[str] | None = None) -> Version:
    m = dict(zip(_COLUMNS, tuple(row), strict=True))
    return Version(
        id=m["id"],
        name=m["name"],
        type=m["type"],
        version=m["version"],
        hash=m["hash"],
        kind=m["kind"],
        size=m["size"],
        files=m["files"],
        stored=bool(m["stored"]),
        meta=json.loads(m["meta"]),
        created=m["created"],
        run_id=m["run_id"],
        cell=json.loads(m["cell"]) if m["cell"] else None,
        aliases=aliases or [],
    )


def _insert(store: Store, table: sa.Table) -> Any:
    return store._dialect_insert(table)


def record_version(
    store: Store,
    *,
    name: str,
    type: str,
    hash: str,
    kind: str,
    size: int,
    files: int,
    stored: bool,
    meta: dict[str, Any],
    blobs: dict[str, int],
    run_id: str | None,
    cell: dict[str, Any] | None,
) -> tuple[Version, bool]:
    """The version of `name` with content `hash`: the existing one, or a new one
    numbered after the newest. Returns (version, created)."""
    for attempt in range(20):
        try:
            with store.writing() as conn:
                row = conn.execute(sa.select(V).where(V.c.name == name, V.c.hash == hash)).first()
                if row is not None:
                    if stored and not row._mapping["stored"]:
                        # Recorded as a plain input before; now its bytes are stored too.
                        conn.execute(sa.update(V).where(V.c.id == row.id).values(stored=True))
                        _insert_blobs(store, conn, row.id, blobs)
                    return _version(row), False
                number = (
                    conn.execute(
                        sa.select(sa.func.max(V.c.version)).where(V.c.name == name)
                    ).scalar()
                    or 0
                ) + 1
                values = {
                    "id": new_id(),
                    "name": name,
                    "type": type,
                    "version": number,
                    "hash": hash,
                    "kind": kind,
                    "size": size,
                    "files": files,
                    "stored": stored,
                    "meta": json.dumps(meta, sort_keys=True, default=str),
                    "created": time.time(),
                    "run_id": run_id,
                    "cell": json.dumps(cell) if cell else None,
                }
                conn.execute(sa.insert(V).values(**values))
                if stored:
                    _insert_blobs(store, conn, values["id"], blobs)
                row = conn.execute(sa.select(V).where(V.c.id == values["id"])).one()
                return _version(row), True
        except StoreError as exc:
            # Two PostgreSQL writers took the same number or hash: look again.
            if "uq_nbtrack_artifact_versions" not in str(exc.__cause__) or attempt == 19:
                raise
    raise AssertionError("unreachable")


def _insert_blobs(
    store: Store, conn: sa.Connection, version_id: str, blobs: dict[str, int]
) -> None:
    rows = [{"version_id": version_id, "hash": h, "size": s} for h, s in blobs.items()]
    for i in range(0, len(rows), 5000):
        conn.execute(_insert(store, artifact_blobs).on_conflict_do_nothing(), rows[i : i + 5000])


def add_edge(
    store: Store, run_id: str, version_id: str, direction: str, cell: dict[str, Any] | None
) -> None:
    """Record that run `run_id` made ("out") or used ("in") a version."""
    with store.writing() as conn:
        conn.execute(
            _insert(store, artifact_edges)
            .values(
                run_id=run_id,
                version_id=version_id,
                direction=direction,
                cell=json.dumps(cell) if cell else None,
                time=time.time(),
            )
            .on_conflict_do_nothing()
        )


def set_alias(store: Store, version: Version, alias: str, run_id: str | None = None) -> None:
    """Point `alias` of the version's name at it (moving it from any other
    version); the move is kept in the alias history."""
    check_alias(alias)
    now = time.time()
    A = artifact_aliases
    with store.writing() as conn:
        stmt = _insert(store, A).values(
            name=version.name, alias=alias, version_id=version.id, time=now
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[A.c.name, A.c.alias],
                set_={"version_id": stmt.excluded.version_id, "time": stmt.excluded.time},
            )
        )
        conn.execute(
            sa.insert(artifact_alias_history).values(
                name=version.name, alias=alias, version_id=version.id, time=now, run_id=run_id
            )
        )


def alias_history(store: Store, name: str, alias: str | None = None) -> list[dict[str, Any]]:
    H = artifact_alias_history
    query = (
        sa.select(H.c.alias, H.c.version_id, H.c.time, H.c.run_id, V.c.version)
        .join(V, V.c.id == H.c.version_id)
        .where(H.c.name == name)
    )
    if alias is not None:
        query = query.where(H.c.alias == alias)
    with store.reading() as conn:
        return [dict(r._mapping) for r in conn.execute(query.order_by(H.c.id))]


def aliases_of(conn: sa.Connection, version_ids: list[str]) -> dict[str, list[str]]:
    A = artifact_aliases
    out: dict[str, list[str]] = {}
    for i in range(0, len(version_ids), 500):
        chunk = version_ids[i : i + 500]
        for vid, alias in conn.execute(
            sa.select(A.c.version_id, A.c.alias).where(A.c.version_id.in_(chunk))
        ):
            out.setdefault(vid, []).append(alias)
    return {k: sorted(v) for k, v in out.items()}


def versions(store: Store, name: str | None = None, ids: list[str] | None = None) -> list[Version]:
    """Versions (of `name`, or with these ids), by name then version number; each
    with its aliases, `latest` included for each name's newest."""
    query = sa.select(V).order_by(V.c.name, V.c.version)
    if name is not None:
        query = query.where(V.c.name == name)
    with store.reading() as conn:
        if ids is not None:
            rows = []
            for i in range(0, len(ids), 500):
                rows += list(conn.execute(query.where(V.c.id.in_(ids[i : i + 500]))))
        else:
            rows = list(conn.execute(query))
        aliases = aliases_of(conn, [r.id for r in rows])
        newest = dict(
            conn.execute(sa.select(V.c.name, sa.func.max(V.c.version)).group_by(V.c.name)).all()
        )
    out = []
    for r in rows:
        names = list(aliases.get(r.id, []))
        if newest.get(r.name) == r.version:
            names.insert(0, "latest")
        out.append(_version(r, names))
    return out


def resolve(store: Store, ref: str | ArtifactRef) -> Version:
    """The version a reference names, or ArtifactNotFoundError saying what exists."""
    parsed = parse_ref(ref) if isinstance(ref, str) else ref
    name, sel = parsed.name, parsed.selector
    with store.reading() as conn:
        query = sa.select(V).where(V.c.name == name)
        row = None
        if sel is None or sel == "latest":
            row = conn.execute(query.order_by(V.c.version.desc()).limit(1)).first()
        elif parsed.version is not None:
            row = conn.execute(query.where(V.c.version == parsed.version)).first()
        if row is None and sel not in (None, "latest") and parsed.version is None:
            A = artifact_aliases
            vid = conn.execute(
                sa.select(A.c.version_id).where(A.c.name == name, A.c.alias == sel)
            ).scalar()
            if vid is not None:
                row = conn.execute(sa.select(V).where(V.c.id == vid)).first()
            elif parsed.hash_prefix:
                found = list(
                    conn.execute(query.where(V.c.hash.like(parsed.hash_prefix + "%")).limit(2))
                )
                if len(found) > 1:
                    raise ArtifactNotFoundError(
                        f"{parsed} matches several versions of {name!r}: give more digits"
                    )
                row = found[0] if found else None
        if row is None:
            count = conn.execute(
                sa.select(sa.func.count()).select_from(V).where(V.c.name == name)
            ).scalar()
    if row is None:
        if not count:
            raise ArtifactNotFoundError(
                f"no artifact named {name!r}: log it first (nbtrack.log_artifact / "
                "log_dataset), or list what exists with nbtrack.artifacts() or `nbtrack artifacts`"
            )
        raise ArtifactNotFoundError(
            f"{name!r} has no version {sel!r}: it has v1..v{count}; use name:vN, "
            "name:latest, an alias or a hash prefix (nbtrack artifacts NAME lists them)"
        )
    return versions(store, ids=[row.id])[0]


def version_blobs(store: Store, version_ids: list[str]) -> dict[str, dict[str, int]]:
    B = artifact_blobs
    out: dict[str, dict[str, int]] = {}
    with store.reading() as conn:
        for i in range(0, len(version_ids), 500):
            for vid, h, s in conn.execute(
                sa.select(B.c.version_id, B.c.hash, B.c.size).where(
                    B.c.version_id.in_(version_ids[i : i + 500])
                )
            ):
                out.setdefault(vid, {})[h] = s
    return out


def edges(store: Store) -> list[tuple[str, str, str, str | None]]:
    """Every (run_id, version_id, direction, cell JSON)."""
    E = artifact_edges
    with store.reading() as conn:
        query = sa.select(E.c.run_id, E.c.version_id, E.c.direction, E.c.cell)
        return [(r[0], r[1], r[2], r[3]) for r in conn.execute(query)]
