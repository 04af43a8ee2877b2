"""The `nbtrack` command line: runs, show, rm, doctor; diff, checkout, replay
(cli_code.py); sweep (cli_sweep.py); artifacts, artifact, lineage, gc (cli_artifacts.py).

Exit codes: 0 on success; 1 with a one-line message on stderr for any error a
user can hit; 2 for bad usage (argparse)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from typing import Any

from . import cli_artifacts, cli_code, cli_sweep
from .errors import NbtrackError


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
    runs.add_argument("--format", choices=["table", "csv", "json"], default="table")
    runs.add_argument(
        "--status",
        action="append",
        choices=["running", "finished", "failed", "interrupted", "crashed"],
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

    sub.add_parser("doctor", help="where the store is, its schema, counts, and whether git works")
    cli_code.add_parsers(sub)
    cli_sweep.add_parsers(sub)
    cli_artifacts.add_parsers(sub)
    return parser


def _skip_unused_imports() -> None:
    """jsonschema (imported by nbformat, hence by nbdime and jupytext) imports
    `rfc3987_syntax` when it is installed (Jupyter's own dependencies install it),
    which compiles some forty grammars at import: 1-10 s, most of a cold `nbtrack
    diff`. Nothing nbtrack runs validates IRIs, so this process goes without it.
    Only in the CLI's own process, never in a user's kernel."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


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
    # Records, not query.runs()'s DataFrame: pandas alone costs more than the answer.
    from . import query
    from .format import flat_runs, run_records_table

    rows, summaries = query.run_records(
        experiment=args.experiment,
        status=args.status,
        tags=args.tag,
        limit=args.limit,
        store=args.store,
        sweep=args.sweep,
    )
    if args.format == "json":
        print(
            json.dumps(
                [_run_json(r, summaries.get(r["id"], {})) for r in rows],
                indent=2,
                ensure_ascii=False,
            )
        )
    elif args.format == "table":
        filtered = any([args.status, args.experiment, args.tag, args.sweep])
        if filtered and not rows:
            print("no runs match these filters")
        else:
            print(run_records_table(rows, summaries, shutil.get_terminal_size((80, 24)).columns))
    else:
        _write_csv(*flat_runs(rows, summaries))
    return 0


def _write_csv(records: list[dict[str, Any]], columns: list[str]) -> None:
    """One row per run: times in ISO 8601 (UTC), tags and structured params as
    JSON, missing and NaN values blank."""
    import csv

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(columns)
    for rec in records:
        rec = {**rec, "start": _iso(rec["start"]) or "", "end": _iso(rec["end"]) or ""}
        out.writerow([_csv_value(rec.get(c)) for c in columns])


def _csv_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _iso(epoch: float | None) -> str | None:
    import datetime as dt

    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat()


def _run_json(row: dict[str, Any], summaries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "ref": f"{row['stem']}#{row['seq']}",
        "status": row["status"],
        "experiment": row["experiment"],
        "notebook": row["notebook"],
        "start": _iso(row["start_time"]),
        "end": _iso(row["end_time"]),
        "tags": row["tags"],
        "sweep": row["sweep"],
        "trial": row["trial"],
        "params": row["params"],
        "metrics": {key: _json_float(s["last"]) for key, s in summaries.items()},
    }


def _json_float(value: float) -> float | str:
    """JSON has no NaN or infinity: those become the strings "NaN", "Infinity"."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _show(args: argparse.Namespace) -> int:
    from . import query
    from .format import run_details

    run = query.get_run(args.ref, store=args.store)
    if args.format == "json":
        data = {
            "id": run.id,
            "name": run.name,
            "ref": run.ref,
            "status": run.status,
            "experiment": run.experiment,
            "notebook": run.notebook,
            "start": _iso(run.start),
            "end": _iso(run.end),
            "params": run.params,
            "tags": run.tags,
            "notes": run.notes,
            "metrics": {
                k: {m: _json_float(x) if isinstance(x, float) else x for m, x in s.items()}
                for k, s in run.metrics.items()
            },
            "error": run.error,
            "git": run.git,
            "snapshot": run.snapshot,
            "sweep": run.sweep,
            "trial": run.trial,
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(run_details(run))
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
    **cli_sweep.COMMANDS,
    **cli_artifacts.COMMANDS,
}
