"""`nbtrack artifacts | artifact show | artifact get | lineage | gc`."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

_REF_HELP = "artifact reference: name, name:v2, name:latest, name:<alias>, name:<hash prefix>"


def add_parsers(sub: Any) -> None:
    listing = sub.add_parser("artifacts", help="list artifact versions (of one NAME)")
    listing.add_argument("name", nargs="?", metavar="NAME")
    listing.add_argument("--format", choices=["table", "json"], default="table")

    artifact = sub.add_parser("artifact", help="one artifact version: show it, or get its files")
    verbs = artifact.add_subparsers(dest="verb", required=True, metavar="VERB")
    show = verbs.add_parser("show", help="a version: size (unique vs shared), runs, aliases")
    show.add_argument("ref", metavar="NAME[:VERSION]", help=_REF_HELP)
    show.add_argument("--format", choices=["text", "json"], default="text")
    get = verbs.add_parser("get", help="write a version's files into a folder")
    get.add_argument("ref", metavar="NAME[:VERSION]", help=_REF_HELP)
    get.add_argument("-o", "--output", metavar="DIR", required=True, help="the folder to write")

    lineage = sub.add_parser(
        "lineage", help="what made a version and what used it, transitively (runs and cells)"
    )
    lineage.add_argument("ref", metavar="REF", help=_REF_HELP)
    lineage.add_argument("--format", choices=["text", "json"], default="text")

    gc = sub.add_parser(
        "gc",
        help="delete unreachable blobs, and versions of deleted runs nothing references",
        description="Remove artifact blobs that no version holds, temporary files of "
        "interrupted writes, and versions made by deleted runs that no alias, no other "
        "run and no --keep references. Deleting a run never deletes a version another "
        "run used.",
    )
    gc.add_argument("--dry-run", action="store_true", help="list what would go and the bytes")
    gc.add_argument("--keep", action="append", default=[], metavar="REF", help="never remove")
    gc.add_argument(
        "--grace",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="leave blobs and temporary files younger than this (default 3600: a log in "
        "progress may still be writing them)",
    )


def _ctx(args: argparse.Namespace) -> Any:
    from .artifacts.context import context_for
    from .context import current_project

    return context_for(current_project(args.store))


def run_artifacts(args: argparse.Namespace) -> int:
    from .artifacts.reads import run_refs
    from .artifacts.records import versions
    from .artifacts.report import format_bytes
    from .format import format_table, format_time

    ctx = _ctx(args)
    found = versions(ctx.store, name=args.name)
    made = run_refs(ctx.store, [v.run_id or "" for v in found])
    if args.format == "json":
        rows = [
            {
                "ref": v.ref,
                "name": v.name,
                "version": v.version,
                "type": v.type,
                "hash": v.hash,
                "size": v.size,
                "files": v.files,
                "aliases": v.aliases,
                "made_by": made.get(v.run_id or ""),
                "created": v.created,
            }
            for v in found
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not found:
        print(f"no artifact named {args.name!r}" if args.name else "no artifacts yet")
        return 0
    header = ["name", "version", "type", "size", "files", "aliases", "made by", "created", "hash"]
    rows_t = [
        [
            v.name,
            f"v{v.version}",
            v.type,
            format_bytes(v.size),
            str(v.files),
            ",".join(v.aliases),
            made.get(v.run_id or "", ""),
            format_time(v.created),
            v.hash[:12],
        ]
        for v in found
    ]
    print(format_table(header, rows_t, max(120, shutil.get_terminal_size((120, 24)).columns)))
    return 0


def run_artifact(args: argparse.Namespace) -> int:
    from .artifacts.api import checkout
    from .artifacts.records import resolve
    from .artifacts.report import format_bytes, report_text, version_report

    ctx = _ctx(args)
    version = resolve(ctx.store, args.ref)
    if args.verb == "show":
        report = version_report(ctx.store, version)
        if args.format == "json":
            print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        else:
            print(report_text(report))
        return 0
    out = Path(args.output)
    dest = out / version.meta.get("filename", f"{version.name}.parquet")
    if version.kind == "folder":
        dest = out
    path = checkout(ctx, version, dest)
    print(f"wrote {version.ref} ({format_bytes(version.size)}) to {path}")
    return 0


def run_lineage(args: argparse.Namespace) -> int:
    from .artifacts.lineage import _resolve, build_lineage

    ctx = _ctx(args)
    graph = build_lineage(ctx.store, _resolve(ctx.store, args.ref))
    if args.format == "json":
        print(json.dumps(graph.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(repr(graph))
    return 0


def run_gc(args: argparse.Namespace) -> int:
    from .artifacts import gc
    from .artifacts.blobstore import UPLOAD_MARK
    from .artifacts.report import format_bytes

    ctx = _ctx(args)
    todo = gc.plan(ctx, keep=args.keep, grace=args.grace)
    verb = "would remove" if args.dry_run else "removed"
    for v in todo.versions:
        print(f"{verb} version {v.ref} (made by a deleted run)")
    for digest, size in todo.blobs:
        print(f"{verb} blob {digest[:16]}  {format_bytes(size)}")
    for path, size in todo.temp:
        if path.startswith(UPLOAD_MARK):  # an S3 multipart upload a crash left unfinished
            upload = path[len(UPLOAD_MARK) :].rpartition("?")[0]
            print(f"{verb} unfinished upload s3://{upload}  {format_bytes(size)}")
        else:
            print(f"{verb} temporary file {path}  {format_bytes(size)}")
    if not args.dry_run:
        gc.apply(ctx, todo)
    print(
        f"{verb} {len(todo.versions)} version(s), {len(todo.blobs)} blob(s), "
        f"{len(todo.temp)} temporary file(s): {format_bytes(todo.bytes)}"
        + (" reclaimable" if args.dry_run else " reclaimed")
    )
    return 0


COMMANDS = {
    "artifacts": run_artifacts,
    "artifact": run_artifact,
    "lineage": run_lineage,
    "gc": run_gc,
}


def storage_line(project: Any) -> str:
    """`nbtrack doctor`'s artifacts line: where blobs go (URL masked), how many
    versions the store records, and — for remote storage — whether it answers."""
    import os

    import sqlalchemy as sa

    from .artifacts.blobstore import open_blobs
    from .artifacts.errors import ArtifactError
    from .store import open_store
    from .store.artifact_tables import artifact_versions as V
    from .store.urls import mask_url

    url = os.environ.get("NBTRACK_ARTIFACTS") or project.settings.get("artifacts")
    with open_store(project.store_url).reading() as conn:
        versions, names = conn.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(V.c.name)))
        ).one()
    counts = f"{versions} version(s) of {names} artifact(s)"
    if not url:
        folder = project.root / ".nbtrack" / "artifacts"
        return f"{folder} (local{'' if folder.exists() else ', none yet'}), {counts}"
    try:
        blobs = open_blobs(project.root, project.settings)
        if getattr(blobs, "remote", False):
            blobs.has("0" * 64)  # one request: does the storage answer?
    except ArtifactError as exc:
        return f"{mask_url(str(url))}: {exc}"
    kind = "remote, reachable" if getattr(blobs, "remote", False) else "local"
    return f"{mask_url(str(url)) if '://' in str(url) else blobs.url} ({kind}), {counts}"
