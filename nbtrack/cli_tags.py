"""`nbtrack tag REF [+a] [-b]` and `nbtrack note REF TEXT`: a run's tags and notes
from a terminal (the same edit as the Runs panel's and `Run.set_tags`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parsers(sub: Any) -> None:
    tag = sub.add_parser(
        "tag",
        help="add (+a or a) and remove (-b) tags of a run; with none, print its tags",
        description="Change a run's tags: `nbtrack tag train#4 +best -wip`. A word "
        "without a sign is added. Prints the run's tags as stored.",
    )
    tag.add_argument("ref", metavar="REF", help="a run: train#4, a name, an id prefix, latest")
    tag.add_argument("changes", nargs=argparse.REMAINDER, metavar="+TAG|-TAG")
    note = sub.add_parser(
        "note",
        help="replace a run's notes (TEXT; '-' reads them from stdin, '' clears them)",
    )
    note.add_argument("ref", metavar="REF", help="a run: train#4, a name, an id prefix, latest")
    note.add_argument("text", metavar="TEXT")


def split_changes(words: list[str]) -> tuple[list[str], list[str]]:
    """(added, removed) tags of `+a -b c` words. Pure."""
    add, remove = [], []
    for word in words:
        if word.startswith("-") and len(word) > 1:
            remove.append(word[1:])
        elif word.startswith("+") and len(word) > 1:
            add.append(word[1:])
        else:
            add.append(word)
    return add, remove


def _tag(args: argparse.Namespace) -> int:
    from .query import get_run

    run = get_run(args.ref)
    add, remove = split_changes(args.changes)
    tags = run.set_tags(add=add, remove=remove) if args.changes else run.tags
    print(f"{run.ref}: " + (", ".join(tags) if tags else "(no tags)"))
    return 0


def _note(args: argparse.Namespace) -> int:
    from .query import get_run

    text = sys.stdin.read() if args.text == "-" else args.text
    run = get_run(args.ref)
    run.set_notes(text or None)
    print(f"{run.ref}: notes " + ("cleared" if not text else f"set ({len(text)} characters)"))
    return 0


COMMANDS = {"tag": _tag, "note": _note}
