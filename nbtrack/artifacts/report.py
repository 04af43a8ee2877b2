"""What `artifact show` and the REST API say about one version: its blobs'
unique and shared bytes, who made and used it, its aliases and their history."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..store.artifact_tables import artifact_blobs, artifact_edges
from .reads import run_refs
from .records import Version, alias_history

if TYPE_CHECKING:
    from ..store import Store


def format_bytes(n: int | float | None) -> str:
    """`0 B`, `512 B`, `1.5 KB`, `3.2 GB` (powers of 1024). Pure."""
    if n is None:
        return ""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def shared_bytes(store: Store, version: Version) -> tuple[int, int]:
    """(unique, shared) bytes of a version's blobs: shared ones are also held by
    another version, so deleting this one would not free them."""
    B = artifact_blobs
    with store.reading() as conn:
        mine = dict(
            conn.execute(sa.select(B.c.hash, B.c.size).where(B.c.version_id == version.id)).all()
        )
        shared: set[str] = set()
        hashes = list(mine)
        for i in range(0, len(hashes), 500):
            shared |= {
                r[0]
                for r in conn.execute(
                    sa.select(B.c.hash)
                    .where(B.c.hash.in_(hashes[i : i + 500]), B.c.version_id != version.id)
                    .distinct()
                )
            }
    unique = sum(s for h, s in mine.items() if h not in shared)
    return unique, sum(s for h, s in mine.items() if h in shared)


def alias_moves(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alias history (oldest first) as moves: each entry gains `from_version`,
    the version its alias pointed at before (None for the alias's first use). Pure."""
    last: dict[str, int] = {}
    moves = []
    for h in history:
        moves.append({**h, "from_version": last.get(h["alias"])})
        last[h["alias"]] = h["version"]
    return moves


def run_users(store: Store, run_ids: list[str]) -> dict[str, str | None]:
    """{run id: who ran it} for the runs that still exist."""
    from ..store import schema

    R = schema.runs
    ids = [r for r in set(run_ids) if r]
    out: dict[str, str | None] = {}
    with store.reading() as conn:
        for i in range(0, len(ids), 500):
            query = sa.select(R.c.id, R.c.user_name).where(R.c.id.in_(ids[i : i + 500]))
            out.update({rid: user for rid, user in conn.execute(query)})
    return out


def alias_report(store: Store, name: str) -> list[dict[str, Any]]:
    """Who moved which alias of `name` from which version to which, and when: the
    run that moved it (its ref; None outside a run or once the run is deleted) and
    the user who ran that run."""
    moves = alias_moves(alias_history(store, name))
    run_ids = [m["run_id"] or "" for m in moves]
    refs, users = run_refs(store, run_ids), run_users(store, run_ids)
    return [
        {
            "alias": m["alias"],
            "from_version": m["from_version"],
            "version": m["version"],
            "time": m["time"],
            "run": refs.get(m["run_id"] or ""),
            "user": users.get(m["run_id"] or ""),
        }
        for m in moves
    ]


def version_report(store: Store, version: Version) -> dict[str, Any]:
    E = artifact_edges
    with store.reading() as conn:
        rows = list(
            conn.execute(
                sa.select(E.c.run_id, E.c.direction, E.c.cell).where(E.c.version_id == version.id)
            )
        )
    refs = run_refs(store, [r[0] for r in rows] + [version.run_id or ""])
    unique, shared = shared_bytes(store, version) if version.stored else (0, 0)

    def runs(direction: str) -> list[dict[str, Any]]:
        return [
            {"run": refs[r[0]], "run_id": r[0], "cell": json.loads(r[2]) if r[2] else None}
            for r in rows
            if r[1] == direction and r[0] in refs
        ]

    return {
        "ref": version.ref,
        "id": version.id,
        "name": version.name,
        "type": version.type,
        "version": version.version,
        "kind": version.kind,
        "hash": version.hash,
        "size": version.size,
        "files": version.files,
        "stored": version.stored,
        "unique_bytes": unique,
        "shared_bytes": shared,
        "aliases": version.aliases,
        "alias_history": alias_report(store, version.name),
        "created": version.created,
        "made_by": refs.get(version.run_id or ""),
        "cell": version.cell,
        "made_by_runs": runs("out"),
        "used_by": runs("in"),
        "meta": version.meta,
    }


def report_text(report: dict[str, Any]) -> str:
    lines = [
        f"{report['ref']}  ({report['type']}, {report['kind']})",
        f"hash        blake3 {report['hash']}",
        f"size        {format_bytes(report['size'])} in {report['files']} file(s)",
    ]
    if report["stored"]:
        lines.append(
            f"storage     {format_bytes(report['unique_bytes'])} unique, "
            f"{format_bytes(report['shared_bytes'])} shared with other versions"
        )
    else:
        lines.append(
            "storage     not stored: recorded by hash as an input (use_artifact of a path)"
        )
    lines.append(f"aliases     {', '.join(report['aliases']) or '-'}")
    made = ", ".join(r["run"] for r in report["made_by_runs"]) or "-"
    lines.append(f"made by     {made}")
    used = ", ".join(r["run"] for r in report["used_by"]) or "-"
    lines.append(f"used by     {used}")
    meta = report["meta"]
    if "rows" in meta:
        cols = ", ".join(f"{c['name']}:{c['dtype']}" for c in meta.get("schema", []))
        lines.append(f"rows        {meta['rows']}")
        lines.append(f"schema      {cols}")
    if meta.get("dvc"):
        lines.append(f"dvc         {json.dumps(meta['dvc'])}")
    return "\n".join(lines)
