"""Artifact metadata (and, when asked, blobs) in an archive.

What travels with the exported runs: every artifact version they made or used
(one hop: a version's made-by and used-by edges to exported runs; edges to runs
not exported are left out, so export those runs too — or ``--all`` — for their
part of the lineage), the blobs rows of those versions, their aliases and alias
history, and the model registry's links to them (registered models, registry
versions, registry aliases and their history).

On import, a version whose (name, hash) the target already holds IS that version:
nothing new is written and edges point at the target's row. A new version keeps
its number when the target has no version of that number for its name, else gets
the next free number; it always keeps its id and hash, so ``name:<hash prefix>``
references resolve in both stores. The target's aliases are never moved: an
alias the target already has for a name stays where it is (the archive's move is
kept in the alias history). Registry versions follow the same rule as versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from nbtrack.store.registry_runs import refresh_runs

from .tables import chunks

BLOB_PREFIX = "blobs/"


def _tables() -> dict[str, sa.Table]:
    from nbtrack.store import artifact_tables as at
    from nbtrack.store import registry_tables as rt

    return {t.name: t for t in (*at.TABLES, *rt.TABLES)}


def _select_in(conn: sa.Connection, table: sa.Table, column: Any, keys: list[Any]) -> list[dict]:
    out: list[dict[str, Any]] = []
    order = list(table.primary_key.columns)
    for part in chunks(sorted(set(keys))):
        query = sa.select(table).where(column.in_(part)).order_by(*order)
        out.extend(dict(r._mapping) for r in conn.execute(query))
    return out


def export_rows(conn: sa.Connection, run_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The artifact and registry rows that travel with ``run_ids`` (module doc)."""
    t = _tables()
    V, B = t["nbtrack_artifact_versions"], t["nbtrack_artifact_blobs"]
    E = t["nbtrack_artifact_edges"]
    A, H = t["nbtrack_artifact_aliases"], t["nbtrack_artifact_alias_history"]
    RM, RV = t["nbtrack_registered_models"], t["nbtrack_registry_versions"]
    RA, RH = t["nbtrack_registry_aliases"], t["nbtrack_registry_alias_history"]
    edges = _select_in(conn, E, E.c.run_id, run_ids)
    made = _select_in(conn, V, V.c.run_id, run_ids)
    vids = sorted({e["version_id"] for e in edges} | {v["id"] for v in made})
    versions = _select_in(conn, V, V.c.id, vids)
    links = _select_in(conn, RV, RV.c.artifact_version_id, vids)
    names = sorted({r["name"] for r in links})
    numbers = {(r["name"], r["version"]) for r in links}
    reg_aliases = [
        r for r in _select_in(conn, RA, RA.c.name, names) if (r["name"], r["version"]) in numbers
    ]
    reg_history = [
        r
        for r in _select_in(conn, RH, RH.c.name, names)
        if (r["name"], r["to_version"]) in numbers or (r["name"], r["from_version"]) in numbers
    ]
    return {
        V.name: versions,
        B.name: _select_in(conn, B, B.c.version_id, vids),
        E.name: edges,
        A.name: _select_in(conn, A, A.c.version_id, vids),
        H.name: _select_in(conn, H, H.c.version_id, vids),
        RM.name: _select_in(conn, RM, RM.c.name, names),
        RV.name: links,
        RA.name: reg_aliases,
        RH.name: reg_history,
    }


def blob_member(digest: str) -> str:
    return f"{BLOB_PREFIX}{digest}"


def blob_hashes(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every blob the stored versions among ``rows`` hold (files and manifests)."""
    stored = {v["id"] for v in rows.get("nbtrack_artifact_versions", []) if v["stored"]}
    return sorted({b["hash"] for b in rows.get("nbtrack_artifact_blobs", [])
                   if b["version_id"] in stored})  # fmt: skip


@dataclass
class ArtifactsImported:
    versions: int = 0  # new versions written
    same: int = 0  # versions the target already held (same name and hash)
    renumbered: dict[str, str] = field(default_factory=dict)  # name:vN -> name:vM
    edges: int = 0
    aliases_kept: list[str] = field(default_factory=list)  # name:alias left where it was
    blobs: int = 0  # blobs written into the target's storage
    missing: int = 0  # stored versions whose content is not in the target's storage
    unchecked: bool = False  # no storage to check against (import without a project)


def load_rows(
    conn: sa.Connection, store: Any, data: dict[str, list[dict[str, Any]]]
) -> tuple[ArtifactsImported, list[str]]:
    """Write the archive's artifact rows (one transaction: the caller's); returns what
    was done and the hashes of the versions now in the target from the archive."""
    t = _tables()
    V, B = t["nbtrack_artifact_versions"], t["nbtrack_artifact_blobs"]
    E = t["nbtrack_artifact_edges"]
    done = ArtifactsImported()
    rows = sorted(data.get(V.name, []), key=lambda r: (r["name"], r["version"]))
    if not rows:
        return done, []
    id_map: dict[str, str] = {}
    number_map: dict[tuple[str, int], int] = {}
    numbers: dict[str, set[int]] = {}
    for name in sorted({r["name"] for r in rows}):
        query = sa.select(V.c.version).where(V.c.name == name)
        numbers[name] = {n for (n,) in conn.execute(query)}
    fresh = []
    for r in rows:
        query = sa.select(V.c.id, V.c.version, V.c.stored).where(
            V.c.name == r["name"], V.c.hash == r["hash"]
        )
        have = conn.execute(query).first()
        if have is not None:
            id_map[r["id"]] = have.id
            number_map[(r["name"], r["version"])] = have.version
            done.same += 1
            if r["stored"] and not have.stored:
                conn.execute(sa.update(V).where(V.c.id == have.id).values(stored=True))
                fresh.append(r["id"])
            continue
        taken = numbers[r["name"]]
        number = r["version"] if r["version"] not in taken else max(taken) + 1
        taken.add(number)
        if number != r["version"]:
            done.renumbered[f"{r['name']}:v{r['version']}"] = f"{r['name']}:v{number}"
        conn.execute(sa.insert(V).values(**{**r, "version": number}))
        id_map[r["id"]] = r["id"]
        number_map[(r["name"], r["version"])] = number
        fresh.append(r["id"])
        done.versions += 1
    blob_rows = [
        {**b, "version_id": id_map[b["version_id"]]}
        for b in data.get(B.name, [])
        if b["version_id"] in fresh
    ]
    for part in range(0, len(blob_rows), 5000):
        insert = store._dialect_insert(B).on_conflict_do_nothing()
        conn.execute(insert, blob_rows[part : part + 5000])
    edges = [
        {**e, "version_id": id_map[e["version_id"]]}
        for e in data.get(E.name, [])
        if e["version_id"] in id_map
    ]
    if edges:
        before = _count(conn, E)
        conn.execute(store._dialect_insert(E).on_conflict_do_nothing(), edges)
        done.edges = _count(conn, E) - before
    _load_aliases(conn, store, data, id_map, done)
    _load_registry(conn, store, data, id_map, number_map)
    hashes = [r["hash"] for r in rows if r["stored"]]
    return done, hashes


def _count(conn: sa.Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)


def _load_aliases(
    conn: sa.Connection,
    store: Any,
    data: dict[str, list[dict[str, Any]]],
    id_map: dict[str, str],
    done: ArtifactsImported,
) -> None:
    t = _tables()
    A, H = t["nbtrack_artifact_aliases"], t["nbtrack_artifact_alias_history"]
    for a in data.get(A.name, []):
        if a["version_id"] not in id_map:
            continue
        query = sa.select(A.c.version_id).where(A.c.name == a["name"], A.c.alias == a["alias"])
        current = conn.execute(query).scalar()
        if current is None:
            conn.execute(sa.insert(A).values(**{**a, "version_id": id_map[a["version_id"]]}))
        elif current != id_map[a["version_id"]]:
            done.aliases_kept.append(f"{a['name']}:{a['alias']}")
    for h in data.get(H.name, []):
        if h["version_id"] not in id_map:
            continue
        row = {k: v for k, v in h.items() if k != "id"}
        row["version_id"] = id_map[h["version_id"]]
        same = sa.select(H.c.id).where(
            H.c.name == row["name"], H.c.alias == row["alias"],
            H.c.version_id == row["version_id"], H.c.time == row["time"],
        )  # fmt: skip
        if conn.execute(same).first() is None:
            conn.execute(sa.insert(H).values(**row))


def _load_registry(
    conn: sa.Connection,
    store: Any,
    data: dict[str, list[dict[str, Any]]],
    id_map: dict[str, str],
    number_map: dict[tuple[str, int], int],
) -> None:
    """Registry links to imported versions: a link the target has is kept; a new one
    keeps its number when free, else gets the next one."""
    t = _tables()
    RM, RV = t["nbtrack_registered_models"], t["nbtrack_registry_versions"]
    RA, RH = t["nbtrack_registry_aliases"], t["nbtrack_registry_alias_history"]
    models = data.get(RM.name, [])
    if models:
        conn.execute(store._dialect_insert(RM).on_conflict_do_nothing(), models)
    reg_map: dict[tuple[str, int], int] = {}
    linked: list[str | None] = []
    for link in sorted(data.get(RV.name, []), key=lambda r: (r["name"], r["version"])):
        vid = id_map.get(link["artifact_version_id"])
        if vid is None:
            continue
        name = link["name"]
        have = conn.execute(
            sa.select(RV.c.version).where(RV.c.name == name, RV.c.artifact_version_id == vid)
        ).scalar()
        if have is not None:
            reg_map[(name, link["version"])] = have
            continue
        taken = {n for (n,) in conn.execute(sa.select(RV.c.version).where(RV.c.name == name))}
        number = link["version"] if link["version"] not in taken else max(taken) + 1
        source = link["source"]
        art, _, old = source.rpartition(":v")
        if art and old.isdigit() and (art, int(old)) in number_map:
            source = f"{art}:v{number_map[(art, int(old))]}"
        values = {**link, "version": number, "artifact_version_id": vid, "source": source}
        conn.execute(sa.insert(RV).values(**values))
        reg_map[(name, link["version"])] = number
        linked.append(link["run_id"])
    # The run's ref and name as this store has them (runs may be renumbered here).
    refresh_runs(conn, [r for r in linked if r is not None])
    for a in data.get(RA.name, []):
        number = reg_map.get((a["name"], a["version"]))
        if number is None:
            continue
        query = sa.select(RA.c.version).where(RA.c.name == a["name"], RA.c.alias == a["alias"])
        if conn.execute(query).first() is None:
            conn.execute(sa.insert(RA).values(**{**a, "version": number}))
    for h in data.get(RH.name, []):
        row = {k: v for k, v in h.items() if k != "id"}
        for col in ("from_version", "to_version"):
            if row[col] is not None:
                row[col] = reg_map.get((row["name"], row[col]), row[col])
        same = sa.select(RH.c.id).where(
            RH.c.name == row["name"], RH.c.alias == row["alias"], RH.c.time == row["time"]
        )
        if conn.execute(same).first() is None:
            conn.execute(sa.insert(RH).values(**row))


def storage_for(project_root: Any) -> Any:
    """The blob storage of the project at ``project_root`` (its settings and
    NBTRACK_ARTIFACTS), through the artifacts blob API."""
    from pathlib import Path

    from nbtrack.artifacts.blobstore import open_blobs
    from nbtrack.config import read_project_settings

    root = Path(project_root)
    return open_blobs(root, read_project_settings(root))


def write_blobs(storage: Any, path: Any, manifest: dict[str, Any]) -> int:
    """Put the archive's blobs into ``storage`` (those it lacks), streamed through a
    temporary file and checked on the way; returns how many were written."""
    import tempfile
    from pathlib import Path

    from .archive import DamagedArchiveError, extract_member

    written = 0
    with tempfile.TemporaryDirectory(prefix="nbtrack-import-") as tmp:
        for name, info in manifest["members"].items():
            if not name.startswith(BLOB_PREFIX):
                continue
            digest = name[len(BLOB_PREFIX) :]
            if storage.has(digest):
                continue
            local = Path(tmp) / "blob"
            extract_member(Path(path), name, info, local)
            got, _st = storage.put_file(local, None)
            local.unlink()
            if got != digest:
                raise DamagedArchiveError(
                    f"the archive's blob {digest[:12]} does not hold the bytes its name "
                    "says; nothing was imported. Export it again"
                )
            written += 1
    return written
