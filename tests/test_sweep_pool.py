"""Search sweeps over notebooks on the local pool: real kernels kept between
trials, a fresh namespace each trial, crashes contained, pruning in the kernel."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

import nbtrack

pytestmark = pytest.mark.slow

TRACKED = """%%track --no-plot
import os
for step in range(steps):
    nbtrack.log(val_acc=quality - step / 1000, pid=os.getpid(), step=step)
if mode == "crash":
    os._exit(3)
assert mode != "fail", f"diverged with quality={quality}"
"""


def _notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    params = nbformat.v4.new_code_cell('quality = 0.5\nsteps = 3\nmode = "ok"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext nbtrack"),
        params,
        # state from an earlier trial in the same kernel must be gone
        nbformat.v4.new_code_cell('assert "leftover" not in globals()\nleftover = quality'),
        nbformat.v4.new_code_cell(TRACKED),
    ]
    path = folder / "train.ipynb"
    nbformat.write(nb, path)
    return path


def _pid(run_id: str) -> float:
    return nbtrack.get_run(run_id).metrics["pid"]["last"]


def test_trials_share_a_kernel_with_a_fresh_namespace(backend: str, project: Path) -> None:
    path = _notebook(project)
    s = nbtrack.sweep(
        path, {"quality": nbtrack.uniform(0, 1)}, method="random", metric="val_acc", trials=3
    )
    assert [t.status for t in s.trials] == ["finished"] * 3, str(s)
    runs = s.runs()
    assert sorted(runs["trial"]) == [1, 2, 3]
    assert len({_pid(i) for i in runs["id"]}) == 1  # one kernel ran all three
    for t in s.trials:
        assert t.value == pytest.approx(t.params["quality"] - 0.002)
    assert s.best().params["quality"] == pytest.approx(max(t.params["quality"] for t in s.trials))
    # the executed notebooks are kept, without the hidden setup cell
    out = sorted(s.output_dir.glob("trial-*.ipynb"))
    assert len(out) == 3
    assert "%reset" not in nbformat.read(out[0], as_version=4).cells[0].source


CYCLE = """import pathlib, weakref
collected = len(list(pathlib.Path(".").glob("collected-*")))
assert collected == n - 1, "an earlier trial's garbage lives on"
class Node:
    pass
node = Node()
node.me = node  # a reference cycle: only the cyclic collector frees it
weakref.finalize(node, pathlib.Path(f"collected-{n}").touch)
"""

TRACKED_N = "%%track --no-plot\nimport os\nnbtrack.log(val_acc=n, pid=os.getpid())"


def test_a_trials_cyclic_garbage_is_collected_before_the_next_one(project: Path) -> None:
    """The kept kernel's collector skips what earlier trials left loaded (speed),
    never what a trial made: each trial's reference cycles are freed before the
    next trial runs, so trials in one kernel do not pile up memory."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    params = nbformat.v4.new_code_cell("n = 1")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext nbtrack"),
        params,
        nbformat.v4.new_code_cell(CYCLE),
        nbformat.v4.new_code_cell(TRACKED_N),
    ]
    path = project / "cycles.ipynb"
    nbformat.write(nb, path)
    s = nbtrack.sweep(path, {"n": [1, 2, 3, 4]}, method="grid", metric="val_acc", parallel=1)
    assert [(t.params["n"], t.status) for t in s.trials] == [
        (n, "finished") for n in (1, 2, 3, 4)
    ], str(s)
    assert len({_pid(i) for i in s.runs()["id"]}) == 1  # one kernel ran all four


def test_a_crashing_trial_does_not_take_the_next_one_down(project: Path) -> None:
    path = _notebook(project)
    s = nbtrack.sweep(
        path,
        {"mode": ["crash", "ok", "fail"]},
        method="grid",
        metric="val_acc",
        parallel=1,
    )
    by_mode = {}
    for t in s.trials:
        by_mode.setdefault(t.params["mode"], []).append(t.status)
    # the crash is tried once more, then left crashed; the trial after it ran fine
    assert by_mode == {"crash": ["crashed", "crashed"], "ok": ["finished"], "fail": ["failed"]}
    failed = next(t for t in s.trials if t.status == "failed")
    assert "cell 4" in failed.error and "diverged with quality=0.5" in failed.error
    runs = s.runs().set_index("trial")
    assert runs.loc[failed.number, "status"] == "failed"
    assert {runs.loc[t.number, "status"] for t in s.trials if t.status == "crashed"} == {"crashed"}


def test_pruning_stops_a_notebook_trial_within_one_step(project: Path) -> None:
    path = _notebook(project)
    s = nbtrack.sweep(
        path,
        {"quality": [1.0, 0.9, 0.0], "steps": [20]},
        method="grid",
        metric="val_acc",
        prune=nbtrack.MedianPruner(warmup_steps=0, startup_trials=2),
    )
    status = {t.params["quality"]: t.status for t in s.trials}
    assert status == {1.0: "finished", 0.9: "finished", 0.0: "pruned"}
    pruned = next(t for t in s.trials if t.status == "pruned")
    run = nbtrack.get_run(s.runs().set_index("trial").loc[pruned.number, "id"])
    assert run.status == "pruned"
    assert run.metrics["val_acc"]["count"] == 1  # stopped at the step it logged
    assert "pruned trial" in run.error


def test_command_line_search(project: Path) -> None:
    import subprocess
    import sys

    _notebook(project)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbtrack",
            "sweep",
            "train.ipynb",
            "-p",
            "quality",
            "uniform:0:1",
            "-p",
            "steps",
            "2",
            "3",
            "--method",
            "random",
            "--metric",
            "val_acc",
            "--trials",
            "2",
            "--id",
            "sw-cli",
        ],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "sweep sw-cli: random search of max val_acc over quality, steps" in done.stdout
    assert "best: val_acc = " in done.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "nbtrack", "sweeps"], cwd=project, capture_output=True, text=True
    )
    assert listed.stdout.splitlines()[1].split()[:4] == ["sw-cli", "random", "2", "2"]
