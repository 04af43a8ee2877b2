"""`nbtrack push | pull`: share notebook snapshots through a git remote, one
namespace per clone so that no push is ever rejected (versioning/remote.py)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parsers(sub: Any) -> None:
    for name, text in (
        ("push", "push this clone's notebook snapshots to a git remote (its own namespace)"),
        ("pull", "fetch every clone's notebook snapshots from a git remote"),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument(
            "remote",
            metavar="REMOTE",
            nargs="?",
            default="origin",
            help="a git remote name, URL or path (default: origin)",
        )


def _project_root() -> Any:
    from .context import current_project

    return current_project().root


def run_push(args: argparse.Namespace) -> int:
    from .versioning.remote import CLONES_PREFIX, push

    done = push(_project_root(), args.remote)
    if done.refs == 0:
        print("no snapshots to push yet")
    else:
        print(f"pushed {done.refs} snapshot ref(s) to {done.remote} "
              f"under {CLONES_PREFIX}{done.clone_id}/")  # fmt: skip
    return 0


def run_pull(args: argparse.Namespace) -> int:
    from .versioning.remote import FETCHED_PREFIX, pull

    done = pull(_project_root(), args.remote)
    print(f"{done.refs} snapshot ref(s) from {done.remote} under {FETCHED_PREFIX}")
    return 0


COMMANDS = {"push": run_push, "pull": run_pull}
