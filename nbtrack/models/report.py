"""What the CLI and the REST API say about registered models: the listing (one row
per registered version), one model (versions, aliases, alias history), and one
model version (flavor, libraries, signature, the run, cell and notebook
snapshot that made it). Plain dicts of JSON values; no pandas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import registry_records as rr

if TYPE_CHECKING:
    from ..artifacts.records import Version
    from ..store import Store


def _runs(store: Store, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """{run id: {ref, name, snapshot}} of the runs that still exist."""
    ids = sorted({r for r in run_ids if r})
    if not ids:
        return {}
    rows = store.select_runs(ids=ids, columns=["id", "stem", "seq", "name", "snapshot"])
    return {
        r["id"]: {"ref": f"{r['stem']}#{r['seq']}", "name": r["name"], "snapshot": r["snapshot"]}
        for r in rows
    }


def registry_rows(store: Store, name: str | None = None) -> list[dict[str, Any]]:
    """One dict per registered version (of `name`): model, version, aliases, source,
    flavor, run, run_name, run_id, linked, user; by model then version; the same
    reads as nbtrack.registry.models() (models/listing.py). The dicts are written
    out (no dict(zip()) a row) with the collector paused: half the cost of making
    20,000 of them."""
    from .listing import paused_gc, read_listing

    listing = read_listing(store, name)
    c = listing.columns
    with paused_gc():
        return [
            {
                "model": model,
                "version": version,
                "aliases": aliases,
                "source": source,
                "flavor": flavor,
                "run": run,
                "run_name": run_name,
                "run_id": run_id,
                "linked": linked,
                "user": user,
            }
            for model, version, aliases, source, flavor, run, run_name, run_id, linked, user in zip(
                listing.models(),
                c["version"],
                listing.alias_lists(),
                c["source"],
                c["flavor"],
                c["run"],
                c["run_name"],
                c["run_id"],
                c["linked"],
                c["user"],
                strict=True,
            )
        ]


def version_detail(store: Store, version: Version) -> dict[str, Any]:
    """A logged model version: where it came from and how it loads."""
    info = version.meta.get("model") or {}
    run = _runs(store, [version.run_id or ""]).get(version.run_id or "")
    return {
        "ref": version.ref,
        "name": version.name,
        "version": version.version,
        "type": version.type,
        "hash": version.hash,
        "size": version.size,
        "created": version.created,
        "aliases": version.aliases,
        "flavor": info.get("flavor"),
        "format": info.get("format"),
        "class": info.get("class"),
        "libraries": info.get("libraries", {}),
        "signature": info.get("signature"),
        "run": run["ref"] if run else None,
        "run_name": run["name"] if run else None,
        "snapshot": run["snapshot"] if run else None,
        "cell": version.cell,
    }


def model_detail(store: Store, name: str) -> dict[str, Any]:
    """A registered model: its versions (each with its source's detail), its
    aliases now, and every alias move."""
    from ..artifacts.records import versions

    if not rr.is_registered(store, name):
        raise rr._missing(store, name)
    rows = rr.listing(store, name)
    by_id = {v.id: v for v in versions(store, ids=[r["artifact_version_id"] for r in rows])}
    out_versions = []
    for row in rows:
        v = by_id.get(row["artifact_version_id"])
        out_versions.append(
            {
                "version": row["version"],
                "aliases": row["aliases"],
                "linked": row["created"],
                "user": row["user"],
                "source": version_detail(store, v) if v is not None else None,
            }
        )
    history = rr.history(store, name)
    runs = _runs(store, [h["run_id"] or "" for h in history])
    return {
        "name": name,
        "versions": out_versions,
        "aliases": {a: r["version"] for r in rows for a in r["aliases"]},
        "history": [
            {
                "time": h["time"],
                "user": h["user"],
                "alias": h["alias"],
                "from_version": h["from_version"],
                "to_version": h["to_version"],
                "run": runs.get(h["run_id"] or "", {}).get("ref"),
            }
            for h in history
        ],
    }
