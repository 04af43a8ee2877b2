"""REST handlers of the artifact layer: versions, one version, its lineage, and a
run's inputs and outputs. Imported by handlers.py, which lists the routes."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .handlers import NbtrackHandler

_REF = r"(?P<ref>[^/]+)"


def _version_json(v: Any, made: dict[str, str]) -> dict[str, Any]:
    return {
        "ref": v.ref,
        "id": v.id,
        "name": v.name,
        "type": v.type,
        "version": v.version,
        "kind": v.kind,
        "hash": v.hash,
        "size": v.size,
        "files": v.files,
        "stored": v.stored,
        "aliases": v.aliases,
        "made_by": made.get(v.run_id or ""),
        "created": v.created,
    }


def list_versions(store: Any, name: str | None) -> dict[str, Any]:
    from ..artifacts.reads import run_refs
    from ..artifacts.records import versions

    found = versions(store, name=name)
    made = run_refs(store, [v.run_id or "" for v in found])
    return {"artifacts": [_version_json(v, made) for v in found]}


def show_version(store: Any, ref: str) -> dict[str, Any]:
    from ..artifacts.records import resolve
    from ..artifacts.report import version_report

    report = version_report(store, resolve(store, ref))
    report.pop("meta", None)
    version = resolve(store, ref)
    report["meta"] = {
        k: version.meta[k] for k in ("rows", "schema", "preview") if k in version.meta
    }
    return report


def version_lineage(store: Any, ref: str) -> dict[str, Any]:
    from ..artifacts.lineage import build_lineage
    from ..artifacts.records import resolve

    return build_lineage(store, resolve(store, ref)).to_dict()


def run_artifacts(service: Any, ref: str) -> dict[str, Any]:
    from ..artifacts.reads import run_edges, run_refs

    store = service.store
    run_id = service.resolve(ref)
    inputs, outputs = run_edges(store, run_id, "in"), run_edges(store, run_id, "out")
    made = run_refs(store, [v.run_id or "" for v in inputs + outputs])
    return {
        "inputs": [_version_json(v, made) for v in inputs],
        "outputs": [_version_json(v, made) for v in outputs],
    }


class ArtifactsHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        name = self.query_args().get("name") or None
        await self.answer(lambda: list_versions(self.service.store, name))


class ArtifactHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        await self.answer(lambda: show_version(self.service.store, ref))


class LineageHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        await self.answer(lambda: version_lineage(self.service.store, ref))


class RunArtifactsHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        await self.answer(lambda: run_artifacts(self.service, ref))


ROUTES: list[tuple[str, type[NbtrackHandler]]] = [
    (r"artifacts/?", ArtifactsHandler),
    (rf"artifacts/{_REF}/?", ArtifactHandler),
    (rf"artifacts/{_REF}/lineage/?", LineageHandler),
    (rf"runs/{_REF}/artifacts/?", RunArtifactsHandler),
]
