"""Startup costs stay out of the user's way: `import nbtrack` and `%load_ext`
load no heavy module on the caller's thread, and the first tracked cell waits
only for the warm-up's first stage (the store layer), its run's clock starting
after it and stopping before the rest of the warm-up is charged to it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from kernels import run_notebook, write_notebook
from process_helpers import MAIN_THREAD_IMPORTS

HEAVY = ("sqlalchemy", "pandas", "numpy", "jupytext", "nbformat", "nbdime", "bqplot", "ipywidgets")

# Records every module first imported on the main thread (audit hook), then
# imports nbtrack and loads the extension in a real IPython shell.
_PROBE = (
    MAIN_THREAD_IMPORTS
    + """
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
start = len(seen)
import nbtrack
shell.run_line_magic("load_ext", "nbtrack")
print(json.dumps(sorted(set(seen[start:]))))
"""
)


def test_import_and_load_ext_leave_heavy_modules_to_the_background(project: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.splitlines()[-1])
    assert "nbtrack" in loaded
    assert [m for m in HEAVY if m in loaded] == []


@pytest.mark.slow
def test_the_first_run_is_not_charged_for_the_warm_up(project: Path) -> None:
    """Right after `%load_ext`, the first tracked cell waits only for the store
    layer: its run starts once that stage is loaded, and its recorded duration
    holds none of the rest of the warm-up (nbformat and jupytext for its
    snapshot, which its end waits for, load meanwhile): it is counted against
    the second run's and the warm-up's own time, measured in the same kernel."""
    nb = write_notebook(
        project / "first.ipynb",
        [
            "%load_ext nbtrack",
            "%%track --name first\npass",
            "%%track --name second\npass",
            "import json, nbtrack.session\n"
            "w = nbtrack.session.current().warm_up\n"
            "print(json.dumps({'started': w.started_at, 'done': w.done_at}))",
        ],
    )
    executed = run_notebook(nb)
    warm = json.loads(executed.cells[3].outputs[0]["text"])
    import nbtrack

    runs = nbtrack.runs().set_index("name")
    assert runs.loc["first", "status"] == runs.loc["second", "status"] == "finished"
    first, second = runs.loc["first", "duration"], runs.loc["second", "duration"]
    assert warm["done"]["run"] <= runs.loc["first", "start"].timestamp()
    warm_up = max(warm["done"].values()) - warm["started"]
    # The snapshot's imports are the bulk of the warm-up and were still loading
    # when the first run started: had its end waited for them on its clock, its
    # duration would hold them.
    assert warm["done"]["snapshot"] > runs.loc["first", "start"].timestamp()
    assert first - second < warm_up / 2
