"""Git state of the folder a notebook lives in: commit, branch, dirty, uncommitted diff."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Reading state must not write: `git status` would otherwise refresh the user's index file.
_READ_ONLY_ENV = {"GIT_OPTIONAL_LOCKS": "0"}

# An uncommitted diff larger than this is cut (the rest is in the snapshot, if any).
MAX_DIFF_BYTES = 1024 * 1024


def _git(args: list[str], cwd: Path) -> str | None:
    import subprocess  # here, not at import: a run reads its git state in a thread

    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env={**os.environ, **_READ_ONLY_ENV},
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", errors="replace")


def git_available() -> bool:
    import shutil

    return shutil.which("git") is not None


def git_state(folder: Path) -> dict[str, Any] | None:
    """{commit, branch, dirty, diff} for the work tree holding `folder`, or None
    outside a repository or without git."""
    if not git_available():
        return None
    status = _git(["status", "--porcelain=v2", "--branch", "--untracked-files=no"], folder)
    if status is None:
        return None
    commit = branch = None
    dirty = False
    for line in status.splitlines():
        if line.startswith("# branch.oid "):
            oid = line.split(" ", 2)[2]
            commit = None if oid == "(initial)" else oid
        elif line.startswith("# branch.head "):
            head = line.split(" ", 2)[2]
            branch = None if head == "(detached)" else head
        elif line and not line.startswith("#"):
            dirty = True
    state: dict[str, Any] = {"commit": commit, "branch": branch, "dirty": dirty, "diff": ""}
    if dirty and commit:
        diff = _git(["diff", "HEAD", "--no-color", "--no-ext-diff"], folder) or ""
        if len(diff.encode()) > MAX_DIFF_BYTES:
            diff = diff.encode()[:MAX_DIFF_BYTES].decode("utf-8", errors="ignore")
            diff += "\n[nbtrack: diff cut at 1 MB]\n"
        state["diff"] = diff
    return state
