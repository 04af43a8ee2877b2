"""Cold start to the first point: a fresh process that imports nbtrack, starts a run
and logs one point loads, on its own thread, only what that point needs. What a
user notices is the time before their loop starts; each module here cost every
cold start a few milliseconds (none of them is needed before the point is queued).
Counted, not timed: the modules first imported on the main thread until `log()`
returns, with a store made by this process and then with the one it left."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from process_helpers import MAIN_THREAD_IMPORTS

# What the first point does not need, and what each was loaded for before:
NOT_NEEDED = {
    "sqlalchemy": "SQLite's writes go through the standard library's sqlite3",
    "alembic": "a fresh store's schema comes from precompiled DDL",
    "pandas": "DataFrames are for reading runs",
    "numpy": "point columns are read back as arrays, never written as such",
    "dataclasses": "the run, project and writer types are plain classes and NamedTuples",
    "inspect": "dataclasses imported it",
    "ast": "params are parsed from a cell's source only in a notebook",
    "socket": "the host name comes from os.uname()",
    "platform": "implementation and machine come from sys and os.uname()",
    "traceback": "only a failing run formats its traceback",
    "subprocess": "git runs in the run's git thread, which imports it there",
}

# Records the modules first imported on the main thread (audit hook) from
# `import nbtrack` to the first point logged, then ends the run.
_PROBE = (
    MAIN_THREAD_IMPORTS
    + """
import nbtrack
with nbtrack.start_run(name="cold"):
    nbtrack.log(loss=0.5, step=0)
    print(json.dumps(sorted(set(seen))))
"""
)


@pytest.mark.parametrize("store", ["fresh", "existing"])
def test_the_first_point_loads_nothing_it_does_not_need(project: Path, store: str) -> None:
    subprocess.run(["git", "init", "-q", str(project)], check=True)  # users work in repositories
    for _ in range(1 if store == "fresh" else 2):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.splitlines()[-1])
    assert "nbtrack" in loaded and "sqlite3" in loaded  # the probe sees real imports
    assert {m: why for m, why in NOT_NEEDED.items() if m in loaded} == {}
    runs = subprocess.run(
        [sys.executable, "-m", "nbtrack", "runs", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = json.loads(runs.stdout)
    assert len(rows) == (1 if store == "fresh" else 2)
    assert {r["status"] for r in rows} == {"finished"}
