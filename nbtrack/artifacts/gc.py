"""Garbage collection: versions of deleted runs that nothing else references,
then blobs no remaining version holds, and temporary files of interrupted
writes. Anything younger than the grace period is left alone: it may belong to
a log that is writing its blobs right now and has not recorded its version yet."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..store import schema
from ..store.artifact_tables import (
    artifact_alias_history,
    artifact_aliases,
    artifact_blobs,
    artifact_edges,
    artifact_versions,
)
from ..store.registry_tables import registry_versions as RV
from .records import Version, resolve, versions

if TYPE_CHECKING:
    from .context import ArtifactContext

GRACE_S = 3600.0


@dataclass
class GcPlan:
    versions: list[Version] = field(default_factory=list)
    blobs: list[tuple[str, int]] = field(default_factory=list)
    temp: list[tuple[str, int]] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(s for _, s in self.blobs) + sum(s for _, s in self.temp)


def plan(ctx: ArtifactContext, keep: Sequence[str] = (), grace: float = GRACE_S) -> GcPlan:
    """What gc would remove; `keep` pins versions by reference."""
    store = ctx.store
    kept = {resolve(store, ref).id for ref in keep}
    V, E, A, R = artifact_versions, artifact_edges, artifact_aliases, schema.runs
    with store.reading() as conn:
        live_runs = {r[0] for r in conn.execute(sa.select(R.c.id))}
        orphans = [
            r[0]
            for r in conn.execute(sa.select(V.c.id, V.c.run_id).where(V.c.run_id.is_not(None)))
            if r[1] not in live_runs
        ]
        aliased = {r[0] for r in conn.execute(sa.select(A.c.version_id))}
        referenced = {
            r[1] for r in conn.execute(sa.select(E.c.run_id, E.c.version_id)) if r[0] in live_runs
        }
        # A model linked into the registry stays while it is registered.
        referenced |= {r[0] for r in conn.execute(sa.select(RV.c.artifact_version_id))}
    drop_ids = [v for v in orphans if v not in aliased and v not in referenced and v not in kept]
    out = GcPlan(versions=versions(store, ids=drop_ids) if drop_ids else [])
    dropping = set(drop_ids)
    B = artifact_blobs
    with store.reading() as conn:
        reachable = {
            r[0] for r in conn.execute(sa.select(B.c.hash, B.c.version_id)) if r[1] not in dropping
        }
    from ..media.records import live_hashes

    reachable |= live_hashes(store)  # the media of existing runs (nbtrack/media/)
    cutoff = time.time() - grace
    out.blobs = [
        (h, size)
        for h, size, mtime in ctx.blobs.list_blobs()
        if h not in reachable and mtime < cutoff
    ]
    out.temp = [(p, size) for p, size, mtime in ctx.blobs.list_temp() if mtime < cutoff]
    return out


def apply(ctx: ArtifactContext, gc_plan: GcPlan) -> None:
    """Delete the plan's version rows first (one transaction), then the blobs."""
    ids = [v.id for v in gc_plan.versions]
    if ids:
        V, B, E, H = artifact_versions, artifact_blobs, artifact_edges, artifact_alias_history
        with ctx.store.writing() as conn:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                conn.execute(sa.delete(B).where(B.c.version_id.in_(chunk)))
                conn.execute(sa.delete(E).where(E.c.version_id.in_(chunk)))
                conn.execute(sa.delete(H).where(H.c.version_id.in_(chunk)))
                conn.execute(sa.delete(V).where(V.c.id.in_(chunk)))
    for digest, _ in gc_plan.blobs:
        ctx.blobs.remove(digest)
    for path, _ in gc_plan.temp:
        ctx.blobs.remove(path)
