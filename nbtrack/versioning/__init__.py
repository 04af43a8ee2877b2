"""Notebook snapshots: what a run's code was, committed on hidden git refs, and diffs.

- `build_snapshot` (``snapshot.py``): the files of a snapshot at cell start;
- `commit_snapshot`, `read_snapshot`, `ref_for_notebook` (``gitstore.py``):
  ordinary git commits on ``refs/nbtrack/...``, never touching the user's HEAD,
  index, working tree or branches;
- `diff_runs` (``diff.py``) and `render_terminal` / `render_html` (``render.py``).

Importing this package is cheap: nbformat, jupytext, nbdime and IPython are
imported inside the functions that use them.
"""

from __future__ import annotations

from nbtrack.versioning.diff import DiffSide, RunDiff, diff_runs
from nbtrack.versioning.errors import (
    GitCommandError,
    GitUnavailableError,
    SnapshotError,
    SnapshotNotFoundError,
)
from nbtrack.versioning.gitstore import commit_snapshot, read_snapshot, ref_for_notebook
from nbtrack.versioning.render import render_html, render_terminal
from nbtrack.versioning.snapshot import build_snapshot, preload

__all__ = [
    "DiffSide",
    "GitCommandError",
    "GitUnavailableError",
    "RunDiff",
    "SnapshotError",
    "SnapshotNotFoundError",
    "build_snapshot",
    "commit_snapshot",
    "diff_runs",
    "preload",
    "read_snapshot",
    "ref_for_notebook",
    "render_html",
    "render_terminal",
]
