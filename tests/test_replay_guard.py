"""Replays go on past cells that raised in the original kernel, as the kernel did.

Real notebooks executed by real kernels (nbclient), real git snapshots, and the
replay script run by IPython in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kernels import run_notebook, write_notebook

from nbtrack import rundiff
from nbtrack.versioning.history_script import history_script

ERROR_NOTEBOOK = [
    "%load_ext nbtrack",
    "x = 2",
    "1 / 0  # a deliberate error the author kept",
    "import missing_module_nbtrack_test",
    "x = x * 21",
    "%%track -n answer\nresult = x\nnbtrack.log(result=result)",
]


def test_cells_that_raised_are_guarded_in_the_script() -> None:
    history = ["x = 1", "1/0", "print(x)"]
    log = {"known_from": 1, "raised": {"2": "ZeroDivisionError: division by zero"}}
    script = history_script(history, 1, log)
    assert "x = 1\n" in script and "print(x)\n" in script
    assert "_nbtrack_guard.cell(2, '1/0\\n'" in script
    assert "ZeroDivisionError" in script and script.rstrip().endswith("_nbtrack_guard.report()")
    # Without a cell log (history not watched) nothing changes.
    assert "_nbtrack_guard" not in history_script(history, 1, None)
    # Cells before `%load_ext nbtrack` are of unknown outcome: guarded too.
    unknown = history_script(["y = 1", "%load_ext nbtrack"], 1, {"known_from": 2})
    assert "_nbtrack_guard.cell(1, 'y = 1\\n', then='unknown')" in unknown


def test_guarded_cell_runs_in_the_script_namespace() -> None:
    script = history_script(
        ["a = 1", "a = a + 1\nraise ValueError('boom')", "b = a * 10"],
        1,
        {"known_from": 1, "raised": {"2": "ValueError: boom"}},
    )
    ns: dict[str, object] = {"__name__": "__main__"}
    exec(compile(script, "history.py", "exec"), ns)
    assert ns["b"] == 20  # the guarded cell's assignment before its raise counts, as in a kernel


@pytest.mark.slow
def test_a_notebook_with_error_cells_replays_and_reproduces(project: Path) -> None:
    nb_path = write_notebook(project / "errs.ipynb", ERROR_NOTEBOOK)
    run_notebook(nb_path, allow_errors=True)
    script = rundiff.replay_script("answer")
    assert "ZeroDivisionError: division by zero" in script
    assert "ModuleNotFoundError" in script
    replay = project / "replay.py"
    replay.write_text(script + "\nprint('result is', result)\n")
    done = subprocess.run(
        [sys.executable, "-m", "IPython", "--quick", "--no-banner", str(replay)],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert "result is 42" in done.stdout, done.stdout + done.stderr
    assert "In [3]: then raised ZeroDivisionError: division by zero; now raised Zero" in done.stderr
    assert "In [4]: then raised ModuleNotFoundError" in done.stderr
