"""`nbtrack push | pull`: share notebook snapshots through a git remote, one
namespace per clone so that no push is ever rejected (versioning/remote.py), and
artifact blobs through that remote's artifact remote (transfer/blobsync.py).
`nbtrack export | import | copy`: move runs between stores (transfer/)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .transfer.load import Imported


def add_parsers(sub: Any) -> None:
    for name, text in (
        (
            "push",
            "push this clone's notebook snapshots to a git remote (its own "
            "namespace), and its artifact blobs to the remote's artifact remote",
        ),
        (
            "pull",
            "fetch every clone's notebook snapshots from a git remote, and the "
            "artifact blobs the store's versions need from its artifact remote",
        ),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument(
            "remote",
            metavar="REMOTE",
            nargs="?",
            default="origin",
            help="a git remote name, URL or path (default: origin)",
        )
        cmd.add_argument(
            "--artifacts", metavar="URL", default=None,
            help="the artifact remote blobs travel through (default: git config "
            "remote.REMOTE.nbtrackArtifacts, else [tool.nbtrack] artifacts_remote)",
        )  # fmt: skip
        cmd.add_argument(
            "--no-artifacts", action="store_true",
            help="carry the snapshots only, not artifact blobs",
        )  # fmt: skip

    export = sub.add_parser(
        "export", help="write runs, their metrics and snapshots to a .nbtrack archive"
    )
    export.add_argument("refs", metavar="REF", nargs="*", help="runs to export (train#4, ...)")
    export.add_argument("--all", action="store_true", help="export every run of the store")
    export.add_argument("-o", "--output", metavar="PATH", required=True, help="archive to write")
    export.add_argument(
        "--with-artifacts", action="store_true",
        help="also put the artifact files the runs made or used in the archive "
        "(their versions, edges and aliases always go in)",
    )  # fmt: skip
    imp = sub.add_parser(
        "import", help="load a .nbtrack archive into the store (one transaction; idempotent)"
    )
    imp.add_argument("archive", metavar="ARCHIVE")
    copy = sub.add_parser("copy", help="copy runs from one store to another")
    copy.add_argument("--from", dest="source", metavar="URL", required=True)
    copy.add_argument("--to", dest="target", metavar="URL", required=True)
    copy.add_argument("refs", metavar="REF", nargs="*", help="runs to copy (default: all)")
    for side, text in (("from", "source"), ("to", "target")):
        copy.add_argument(
            f"--{side}-project", metavar="DIR", default=None,
            help=f"the project the {text} store belongs to, whose git repository and "
            "artifact storage hold the runs' snapshots and blobs (default: DIR for a "
            "DIR/.nbtrack/*.db store, else this project)",
        )  # fmt: skip


def _project_root() -> Any:
    from .context import current_project

    return current_project().root


def _size(n: int) -> str:
    from .artifacts.report import format_bytes

    return format_bytes(n)


def _blob_line(done: Any, remote: str, verb: str) -> str | None:
    """One line on the artifact blobs a push/pull carried, or why it carried none."""
    from .transfer.blobsync import not_configured

    if done.shared is not None:
        return f"artifacts: blobs are kept in shared storage ({done.shared}): nothing to {verb}"
    if done.remote is None:
        if not done.stranded:
            return None
        where = "stay on this machine" if verb == "push" else "are not on this machine"
        return f"artifacts: {done.stranded} blob(s) {where}; {not_configured(remote)}"
    way = "to" if verb == "push" else "from"
    line = (f"artifacts: {verb}ed {done.moved} blob(s) ({_size(done.size)}) {way} "
            f"{done.remote}; {done.present} already there")  # fmt: skip
    if verb == "pull" and done.stranded:
        line += (f"; {done.stranded} blob(s) are not in {done.remote} yet (the clone that "
                 "logged them must `nbtrack push`)")  # fmt: skip
    return line


def run_push(args: argparse.Namespace) -> int:
    from .context import current_project
    from .transfer.blobsync import push_blobs
    from .versioning.remote import CLONES_PREFIX, push

    project = current_project(args.store)
    blobs = None
    if not args.no_artifacts:  # blobs first: a failed upload leaves the remote untouched
        blobs = push_blobs(project.root, project.store_url, args.remote, args.artifacts)
    done = push(project.root, args.remote)
    if done.refs == 0:
        print("no snapshots to push yet")
    else:
        print(f"pushed {done.refs} snapshot ref(s) to {done.remote} "
              f"under {CLONES_PREFIX}{done.clone_id}/")  # fmt: skip
    line = _blob_line(blobs, args.remote, "push") if blobs is not None else None
    if line:
        print(line)
    return 0


def run_pull(args: argparse.Namespace) -> int:
    from .context import current_project
    from .transfer.blobsync import pull_blobs
    from .versioning.remote import FETCHED_PREFIX, pull

    project = current_project(args.store)
    done = pull(project.root, args.remote)
    print(f"{done.refs} snapshot ref(s) from {done.remote} under {FETCHED_PREFIX}")
    if not args.no_artifacts:
        blobs = pull_blobs(project.root, project.store_url, args.remote, args.artifacts)
        line = _blob_line(blobs, args.remote, "pull")
        if line:
            print(line)
    return 0


def run_export(args: argparse.Namespace) -> int:
    from .context import current_project
    from .errors import NbtrackError
    from .transfer import export_runs

    if bool(args.refs) == bool(args.all):
        raise NbtrackError("name the runs to export (e.g. train#4) or pass --all, not both")
    project = current_project(args.store)
    done = export_runs(project.store_url, args.output, args.refs or None,
                       project_root=project.root,
                       with_artifacts=args.with_artifacts)  # fmt: skip
    print(f"exported {done.runs} run(s), {done.points:,} point(s) and "
          f"{done.snapshots} snapshot(s) to {done.path}")  # fmt: skip
    if done.artifacts:
        blobs = (
            f"with {done.blobs} blob(s)"
            if args.with_artifacts
            else "without their files (add --with-artifacts to carry them)"
        )
        print(f"  {done.artifacts} artifact version(s), {blobs}")  # fmt: skip
    if done.blobs_missing:
        print(f"  {done.blobs_missing} blob(s) were missing from the artifact storage "
              "and are not in the archive")  # fmt: skip
    return 0


def _print_imported(done: Imported, where: str, missing_hint: str | None = None) -> None:
    print(f"imported {done.runs} run(s) and {done.points:,} point(s) into {where}; "
          f"{done.skipped} already there")  # fmt: skip
    aliases = {a.split("@")[0]: a for a in done.aliases}
    for old, new in done.renumbered.items():
        print(f"  {old} is {new} here ({old} was taken); {aliases.get(old, old)} names it too")
    art = done.artifacts
    if art.versions or art.same:
        print(f"  artifacts: {art.versions} new version(s), {art.same} already there, "
              f"{art.blobs} blob(s) written")  # fmt: skip
    for old, new in art.renumbered.items():
        print(f"  {old} is {new} here ({old} was taken); name:<hash prefix> names it in both")
    for kept in art.aliases_kept:
        print(f"  alias {kept} already pointed at another version here: left as it was")
    if art.missing and missing_hint:
        print(f"  {art.missing} artifact version(s) have no files {missing_hint}")
    elif art.missing:
        where = "in the archive" if art.unchecked else "in this project's artifact storage"
        print(
            f"  {art.missing} artifact version(s) have no files {where} (export with "
            "--with-artifacts to carry them); their metadata and lineage were imported"
        )


def run_import(args: argparse.Namespace) -> int:
    from .context import current_project
    from .store.urls import mask_url
    from .transfer import import_archive

    project = current_project(args.store)
    done = import_archive(args.archive, project.store_url, project_root=project.root)
    _print_imported(done, mask_url(project.store_url))
    return 0


def run_copy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .store.urls import mask_url
    from .transfer import copy_runs
    from .transfer.artifacts import storage_for
    from .transfer.load import project_for_store

    here = _project_root()
    source = Path(args.from_project) if args.from_project else project_for_store(args.source, here)
    target = Path(args.to_project) if args.to_project else project_for_store(args.target, here)
    done = copy_runs(args.source, args.target, args.refs or None,
                     source_root=source, target_root=target)  # fmt: skip
    shown = getattr(storage_for(source), "shown", None) or storage_for(source).url
    hint = (f"in {target}'s artifact storage, and {source}'s ({shown}) lacks them too: "
            "run `nbtrack pull` in the project that logged them (or pass --from-project "
            "DIR), then copy again; their metadata and lineage were copied")  # fmt: skip
    _print_imported(done, mask_url(args.target), hint)
    if done.snapshots:
        print(f"  {done.snapshots} snapshot(s) into {target}'s repository")
    if done.snapshots_missing:
        print(f"  {done.snapshots_missing} run snapshot(s) are not in {source}'s repository "
              "(made in another clone, or another project): `nbtrack pull` there (or pass "
              "--from-project DIR), then copy again; the runs were copied, `nbtrack diff` "
              "and `checkout` of them need their snapshots")  # fmt: skip
    return 0


def runs_parquet(args: argparse.Namespace) -> int:
    """`nbtrack runs --format parquet -o FILE`: `nbtrack.runs()` as a Parquet file."""
    from . import query
    from .errors import NbtrackError
    from .transfer.parquet import write_parquet

    if not args.output:
        raise NbtrackError("--format parquet writes a file: add -o runs.parquet")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise NbtrackError("--format parquet needs pyarrow: pip install pyarrow") from None
    df = query.runs(
        experiment=args.experiment, status=args.status, tags=args.tag, limit=args.limit,
        store=args.store, sweep=args.sweep,
    )  # fmt: skip
    as_json = write_parquet(df, args.output)
    note = f" ({', '.join(as_json)} as JSON text)" if as_json else ""
    print(f"wrote {len(df)} run(s) to {args.output}{note}")
    return 0


COMMANDS = {
    "push": run_push,
    "pull": run_pull,
    "export": run_export,
    "import": run_import,
    "copy": run_copy,
}
