"""The `nbtrack` command line: runs, show, rm, doctor; diff, checkout, replay
(cli_code.py); sweep (cli_sweep.py); artifacts, artifact, lineage, gc (cli_artifacts.py);
models, model (cli_models.py); tag, note (cli_tags.py); push, pull, export, import,
copy (cli_transfer.py).

Exit codes: 0 on success; 1 with a one-line message on stderr for any error a
user can hit; 2 for bad usage (argparse)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from . import (
    cli_artifacts,
    cli_code,
    cli_import,
    cli_models,
    cli_sweep,
    cli_tags,
    cli_transfer,
)
from .errors import NbtrackError
from .runview import RunStatus


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nbtrack",
        description="Notebook-first experiment tracking: list, inspect and manage runs.",
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        help="the store's SQLAlchemy URL (default: NBTRACK_STORE, "
        "[tool.nbtrack] store, else .nbtrack/nbtrack.db of this project)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    runs = sub.add_parser("runs", help="list runs, newest first")
    runs.add_argument("--format", choices=["table", "csv", "json", "parquet"], default="table")
    runs.add_argument("-o", "--output", metavar="PATH", help="file to write (parquet: required)")
    runs.add_argument(
        "--status",
        action="append",
        choices=RunStatus.values(),
        help="only runs with this status (repeatable)",
    )
    runs.add_argument("--experiment", help="only runs of this experiment")
    runs.add_argument("--tag", action="append", help="only runs carrying this tag (repeatable)")
    runs.add_argument("--sweep", metavar="ID", help="only the runs of this sweep")
    runs.add_argument("--limit", type=int, help="at most N runs")

    show = sub.add_parser("show", help="everything about one run")
    show.add_argument("ref", help="run reference: train#4, a name, an id prefix, latest, latest~1")
    show.add_argument("--format", choices=["text", "json"], default="text")

    rm = sub.add_parser("rm", help="delete runs and their metrics")
    rm.add_argument("refs", nargs="+", metavar="REF")
    rm.add_argument("-y", "--yes", action="store_true", help="delete without asking")

    doctor = sub.add_parser(
        "doctor", help="where the store is, its schema, counts, and whether git works"
    )
    doctor.add_argument(
        "--compact",
        action="store_true",
        help="also give the disk back the space the store no longer uses (VACUUM); "
        "refused while a run records",
    )
    cli_code.add_parsers(sub)
    cli_sweep.add_parsers(sub)
    cli_artifacts.add_parsers(sub)
    cli_transfer.add_parsers(sub)
    cli_models.add_parsers(sub)
    cli_tags.add_parsers(sub)
    cli_import.add_parsers(sub)
    return parser


# Optional libraries with which jsonschema (imported by nbformat, hence by nbdime and
# jupytext) checks string formats (IRIs, durations, colours, URI templates...).
# Jupyter's own dependencies install them; `rfc3987_syntax` compiles some forty
# grammars at import (1-10 s), the others cost ~0.1 s of a cold `nbtrack diff` together.
# Nothing nbtrack runs checks formats: jsonschema goes without these checkers.
_UNUSED_FORMAT_CHECKERS = (
    "rfc3987_syntax",
    "rfc3986_validator",
    "rfc3339_validator",
    "isoduration",
    "webcolors",
    "uri_template",
    "fqdn",
)


def _skip_unused_imports() -> None:
    """Keep jsonschema's format checkers out of this process (they cost more than a
    `nbtrack diff`). Only in the CLI's own process, never in a user's kernel."""
    for name in _UNUSED_FORMAT_CHECKERS:
        sys.modules.setdefault(name, None)  # type: ignore[assignment]


def main(argv: Sequence[str] | None = None) -> int:
    _skip_unused_imports()
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except NbtrackError as exc:
        from .capture.environment import public_text  # no password, no secret shown

        print(f"nbtrack: error: {public_text(str(exc))}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("nbtrack: interrupted", file=sys.stderr)
        return 130


def _runs(args: argparse.Namespace) -> int:
    # RunViews, not query.runs()'s DataFrame: pandas alone costs more than the answer.
    from . import query

    if args.format == "parquet":
        return cli_transfer.runs_parquet(args)

    views = query.list_runs(
        query.reader_for(args.store),
        experiment=args.experiment,
        status=args.status,
        tags=args.tag,
        limit=args.limit,
        sweep=args.sweep,
    )
    if args.format == "json":
        _print_json([v.to_json(iso_times=True, last_metrics=True) for v in views])
    elif args.format == "table":
        import shutil

        from .format import views_table

        filtered = any([args.status, args.experiment, args.tag, args.sweep])
        if filtered and not views:
            print("no runs match these filters")
        else:
            print(views_table(views, shutil.get_terminal_size((80, 24)).columns))
    else:
        from .runview import flat_records

        _write_csv(*flat_records(views))
    return 0


def _print_json(value: Any) -> None:
    from .jsonenc import dumps

    print(dumps(value, indent=2))


def _write_csv(records: list[dict[str, Any]], columns: list[str]) -> None:
    """One row per run: times in ISO 8601 (UTC), tags and structured params as
    JSON, missing and NaN values blank."""
    import csv

    from .runview import iso_time

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(columns)
    for rec in records:
        rec = {**rec, "start": iso_time(rec["start"]) or "", "end": iso_time(rec["end"]) or ""}
        out.writerow([_csv_value(rec.get(c)) for c in columns])


def _csv_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (list, dict)):
        from .jsonenc import dumps

        return dumps(value)
    return str(value)


def _show(args: argparse.Namespace) -> int:
    from . import query

    run = query.get_run(args.ref, store=query.reader_for(args.store))
    if args.format == "json":
        _print_json(run.to_json(detail=True, iso_times=True))
    else:
        from .format import run_details
        from .verify.show import verdict_text

        print(run_details(run) + verdict_text(run))
    return 0


def _rm(args: argparse.Namespace) -> int:
    from . import query

    st = query.store_for(args.store)
    targets = [query.get_run(ref, store=st) for ref in args.refs]
    names = ", ".join(r.name if r.name == r.ref else f"{r.name} ({r.ref})" for r in targets)
    if not args.yes:
        if not sys.stdin.isatty():
            raise NbtrackError(f"not deleting {names} without confirmation: pass --yes")
        answer = input(f"delete {names} and all their metrics? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    for run in targets:
        st.delete_run(run.id)
    print(f"deleted {names}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from .capture.gitstate import git_available, git_state
    from .context import current_project
    from .store import open_store
    from .store.migrations import SCHEMA_VERSION
    from .store.urls import mask_url

    project = current_project(args.store)
    print(f"project root    {project.root}")
    print(f"store           {mask_url(project.store_url)}")
    store = open_store(project.store_url)
    print(f"schema version  {store.schema_version()} (this nbtrack: {SCHEMA_VERSION})")
    counts = store.counts()
    statuses = ", ".join(f"{k[5:]} {v}" for k, v in sorted(counts.items()) if k.startswith("runs_"))
    print(f"runs            {counts['runs']}" + (f" ({statuses})" if statuses else ""))
    print(f"metric points   {counts['points']}")
    if not git_available():
        print("git             not found on PATH: runs work, but git state is not recorded")
    else:
        state = git_state(project.root)
        print(
            "git             "
            + (
                f"{state['branch'] or '(detached)'} "
                f"{state['commit'][:10] if state['commit'] else '(no commits yet)'}"
                f"{' (uncommitted changes)' if state['dirty'] else ''}"
                if state
                else "available; this project is not in a git repository"
            )
        )
        print(f"snapshots       {_snapshot_home(project.root)}")
    from .cli_artifacts import storage_line

    print(f"artifacts       {storage_line(project)}")
    if getattr(args, "compact", False):
        return _compact(store)
    return 0


def _compact(store: Any) -> int:
    from .query import reap_crashed
    from .store.compact import RunsLiveError

    reap_crashed(store)  # a run whose process died does not hold compacting up
    try:
        done = store.compact()
    except RunsLiveError as exc:
        print(f"compact         {exc}", file=sys.stderr)
        return 1
    print(
        f"compact         {done.before / 1e6:.2f} MB -> {done.after / 1e6:.2f} MB "
        f"({done.before:,} -> {done.after:,} bytes)"
    )
    return 0


def _snapshot_home(root: Any) -> str:
    from .versioning import SnapshotError
    from .versioning._git import snapshot_repo

    try:
        repo = snapshot_repo(root, create=False)
    except SnapshotError as exc:
        return f"unavailable: {exc}"
    if repo is None:
        return "none yet (the first tracked cell creates .nbtrack/snapshots.git)"
    where = repo.git_dir if repo.private else "this project's git repository"
    refs = repo.run("for-each-ref", "--format=%(refname)", "refs/nbtrack/").stdout.split()
    return f"{len(refs)} notebook ref(s) under refs/nbtrack/ in {where}"


_COMMANDS = {
    "runs": _runs,
    "show": _show,
    "rm": _rm,
    "doctor": _doctor,
    **cli_code.COMMANDS,
    **cli_transfer.COMMANDS,
    **cli_sweep.COMMANDS,
    **cli_artifacts.COMMANDS,
    **cli_models.COMMANDS,
    **cli_tags.COMMANDS,
    **cli_import.COMMANDS,
}
