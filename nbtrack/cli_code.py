"""`nbtrack diff | checkout | replay | verify`: what changed between runs, a run's
code back, and whether it reproduces."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .errors import NbtrackError

_REF_HELP = "run reference: train#4, a name, an id prefix, latest, latest~1"


def add_parsers(sub: Any) -> None:
    diff = sub.add_parser(
        "diff",
        help="what changed between two runs: params, metrics, cell, script, notebook",
        description="Compare run A with run B. Exits 0 whether or not they differ.",
    )
    diff.add_argument("a", metavar="A", help=_REF_HELP)
    diff.add_argument("b", metavar="B", help=_REF_HELP)
    diff.add_argument("--format", choices=["text", "json"], default="text")
    diff.add_argument(
        "--html", metavar="PATH", help="also write the diff as a standalone HTML page"
    )
    diff.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour the text diff (auto: when stdout is a terminal and NO_COLOR is unset)",
    )

    checkout = sub.add_parser(
        "checkout", help="write a run's notebook, as it was when the run started"
    )
    checkout.add_argument("ref", metavar="REF", help=_REF_HELP)
    checkout.add_argument(
        "-o", "--output", metavar="PATH", help="where (default: <stem>@<run name>.ipynb beside it)"
    )
    checkout.add_argument("--force", action="store_true", help="overwrite an existing file")

    replay = sub.add_parser(
        "replay",
        help="the cells that ran before a run and the run's own cell, in execution order",
    )
    replay.add_argument("ref", metavar="REF", help=_REF_HELP)
    replay.add_argument("-o", "--output", metavar="PATH", help="write to a file instead of stdout")
    replay.add_argument("--force", action="store_true", help="overwrite an existing file")
    replay.add_argument(
        "--minimal",
        action="store_true",
        help="only the cells the run's cell depends on (a dependency slice of the history)",
    )

    verify = sub.add_parser(
        "verify",
        help="replay a run's history in a fresh kernel and check it reproduces its results",
        description="Replays the run's recorded execution history in a fresh kernel, in a "
        "scratch copy of the project, and compares params exactly and metrics within --rtol. "
        "The verdict (reproduced, differs, failed, not checked) is stored on the run. "
        "Exits 1 when a run differs or fails.",
    )
    verify.add_argument("ref", metavar="REF", nargs="?", help=_REF_HELP)
    verify.add_argument("--all", action="store_true", help="every finished run with a snapshot")
    verify.add_argument("--since", metavar="AGE", help="with --all: started within AGE (7d, 12h)")
    verify.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance (1e-6)")
    verify.add_argument(
        "--minimal", action="store_true", help="replay only the dependency slice of the history"
    )
    verify.add_argument(
        "--timeout", type=float, default=600.0, help="seconds one replayed cell may take (600)"
    )
    verify.add_argument("--format", choices=["text", "json"], default="text")


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _write_new(path: Path, data: bytes, force: bool) -> None:
    if path.exists() and not force:
        raise NbtrackError(f"{path} exists: pass --force to overwrite it, or -o another path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise NbtrackError(f"cannot write {path}: {exc}") from exc


def run_diff(args: argparse.Namespace) -> int:
    from .query import reader_for
    from .rundiff import diff
    from .versioning import render_html, render_terminal

    result = diff(args.a, args.b, store=reader_for(args.store))
    if args.html:
        page = render_html(result, standalone=True)
        _write_new(Path(args.html), page.encode(), force=True)
    if args.format == "json":
        from .jsonenc import dumps

        print(dumps(result.to_json(), indent=2))
    else:
        sys.stdout.write(render_terminal(result, color=_use_color(args.color)))
    if args.html:
        print(f"nbtrack: wrote {args.html}", file=sys.stderr)
    return 0


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.#+=@" else "_" for c in name)


def default_checkout_path(notebook: str | None, run_name: str, root: Path) -> Path:
    """`<stem>@<run name>.ipynb` beside the run's notebook (else in the project root)."""
    if notebook:
        original = Path(notebook)
        folder = original.parent if original.is_absolute() else root / original.parent
        stem = original.stem
    else:
        folder, stem = root, "run"
    return folder / f"{stem}@{_safe_name(run_name)}.ipynb"


def run_checkout(args: argparse.Namespace) -> int:
    from .context import current_project
    from .query import get_run, reader_for
    from .rundiff import NoSnapshotError, snapshot_files
    from .versioning.snapshot import NOTEBOOK

    project = current_project(args.store)
    source = reader_for(project.store_url)
    run = get_run(args.ref, store=source)
    files = snapshot_files(run, store=source, root=project.root)
    if NOTEBOOK not in files:
        raise NoSnapshotError(
            f"the snapshot of {run.name} holds no notebook (its kernel did not know the "
            f"notebook's path); `nbtrack replay {run.ref}` gives the code that ran"
        )
    path = (
        Path(args.output)
        if args.output
        else default_checkout_path(run.notebook, run.name, project.root)
    )
    _write_new(path, files[NOTEBOOK], args.force)
    print(f"wrote {path} (the notebook of {run.name} as saved when it started)")
    return 0


def run_replay(args: argparse.Namespace) -> int:
    from .query import reader_for
    from .rundiff import replay_script

    if args.minimal:
        from .verify.script import minimal_script

        script = minimal_script(args.ref, store=reader_for(args.store))
    else:
        script = replay_script(args.ref, store=reader_for(args.store))
    if args.output:
        _write_new(Path(args.output), script.encode("utf-8", "surrogateescape"), args.force)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(script)
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from .verify.api import candidates, check, parse_since

    if args.all == bool(args.ref):
        raise NbtrackError("give a run reference, or --all (with --since AGE) for many runs")
    if args.since and not args.all:
        raise NbtrackError("--since goes with --all: nbtrack verify --all --since 7d")
    refs = (
        candidates(parse_since(args.since) if args.since else None, store=args.store)
        if args.all
        else [args.ref]
    )
    if args.all and not refs:
        print("nbtrack verify: no finished run with a snapshot to verify")
        return 0
    bad = 0
    for ref in refs:
        result = check(
            ref, store=args.store, rtol=args.rtol, minimal=args.minimal, timeout=args.timeout
        )
        bad += result.verdict in ("differs", "failed")
        if args.format == "json":
            from .jsonenc import dumps

            print(dumps({"run": result.run, "verdict": result.verdict, **result.detail}))
        else:
            print(result, flush=True)
    return 1 if bad else 0


COMMANDS = {
    "diff": run_diff,
    "checkout": run_checkout,
    "replay": run_replay,
    "verify": run_verify,
}
