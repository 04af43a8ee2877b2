"""`nbtrack sweep` and `nbtrack.sweep()`: real notebooks run by papermill in real
kernels, one per parameter combination, recorded as runs of one sweep."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import nbtrack

pytestmark = pytest.mark.slow

TRACKED = """%%track --no-plot
for epoch in range(epochs):
    nbtrack.log(loss=lr * layers / (epoch + 1))
if mode == "crash":
    import os
    os._exit(3)
assert mode != "fail", f"diverged at lr={lr}"
"""


def _train_notebook(folder: Path, tracked: str = TRACKED, tag: bool = True) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    params = nbformat.v4.new_code_cell('lr = 0.1\nlayers = 1\nepochs = 3\nmode = "ok"')
    if tag:
        params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext nbtrack"),
        params,
        nbformat.v4.new_code_cell(
            'if mode == "bad-prep":\n    raise ValueError("no data for " + mode)'
        ),
        nbformat.v4.new_code_cell(tracked),
    ]
    path = folder / "train.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def repo(project: Path) -> Path:
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    return project


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbtrack", *args], cwd=cwd, capture_output=True, text=True
    )


def test_cli_sweep_runs_every_combination_as_runs_of_one_sweep(repo: Path, backend: str) -> None:
    notebook = _train_notebook(repo)
    original = notebook.read_bytes()
    with nbtrack.start_run(name="outside"):  # a run of no sweep, which filters must skip
        nbtrack.log(loss=1.0)

    done = _cli(
        "sweep", "train.ipynb", "-p", "lr", "0.1", "0.01", "-p", "layers", "1", "2",
        "--parallel", "2", cwd=repo,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    sweep_id = done.stdout.split()[1].rstrip(":")
    assert sweep_id.startswith("sw-")
    assert "4 combinations of lr, layers over train.ipynb, 2 at a time" in done.stdout
    assert "4 finished, 0 failed" in done.stdout

    runs = nbtrack.runs(sweep=sweep_id)
    assert len(runs) == 4 and set(runs["status"]) == {"finished"}
    assert set(runs["sweep"]) == {sweep_id} and sorted(runs["trial"]) == [1, 2, 3, 4]
    combos = {(r["params.lr"], r["params.layers"]) for _, r in runs.iterrows()}
    assert combos == {(0.1, 1), (0.1, 2), (0.01, 1), (0.01, 2)}
    # Parameters the sweep did not vary are recorded with their notebook defaults.
    assert set(runs["params.epochs"]) == {3} and set(runs["params.mode"]) == {"ok"}
    # Each trial's loss follows its own parameters: lr * layers on the last epoch / 3.
    for _, r in runs.iterrows():
        assert r["metrics.loss"] == pytest.approx(r["params.lr"] * r["params.layers"] / 3)
        assert r["snapshot"] and r["notebook"] == "train.ipynb"
    assert "outside" in set(nbtrack.runs()["name"]) and len(nbtrack.runs()) == 5

    listed = json.loads(_cli("runs", "--sweep", sweep_id, "--format", "json", cwd=repo).stdout)
    assert sorted(r["trial"] for r in listed) == [1, 2, 3, 4]

    # The executed notebooks are kept, each with its parameters injected as papermill does.
    outputs = sorted((repo / ".nbtrack" / "sweeps" / sweep_id).glob("*.ipynb"))
    assert [p.name for p in outputs] == [f"trial-{n}.ipynb" for n in (1, 2, 3, 4)]
    injected = nbformat.read(outputs[1], as_version=4).cells[2]
    assert "injected-parameters" in injected.metadata["tags"]
    assert "lr = 0.1" in injected.source and "layers = 2" in injected.source
    assert notebook.read_bytes() == original  # the swept notebook itself is left as it was


def test_failed_combinations_are_recorded_and_the_others_still_run(repo: Path) -> None:
    _train_notebook(repo)
    seen: list[int] = []
    result = nbtrack.sweep(
        repo / "train.ipynb",
        [{"mode": "ok"}, {"mode": "fail"}, {"mode": "bad-prep"}, {"mode": "crash"}],
        parallel=2,
        on_trial=lambda trial, _: seen.append(trial.number),
    )
    assert sorted(seen) == [1, 2, 3, 4]
    ok, fail, prep, crash = result.trials
    assert [t.status for t in result.trials] == ["finished", "failed", "failed", "failed"]
    assert not result.ok and len(result.failed) == 3
    assert "AssertionError: diverged at lr=0.1" in (fail.error or "")
    assert prep.error == 'cell 3 (if mode == "bad-prep":) failed: ValueError: no data for bad-prep'

    assert "2 of 4" not in str(result) and "1 of 4 combinations finished" in str(result)

    runs = result.runs().set_index("trial")
    assert len(runs) == 4  # one run a trial: no extra record where a tracked cell failed
    assert runs.loc[1, "status"] == "finished" and runs.loc[1, "metrics.loss"] == pytest.approx(
        0.1 / 3
    )
    failed = nbtrack.get_run(fail.runs[0])
    assert failed.status == "failed" and "diverged at lr=0.1" in (failed.error or "")
    assert failed.metrics["loss"]["count"] == 3  # points logged before the failure are kept
    # Failing before any tracked cell: the sweep records the failed combination itself.
    (prep_ref,) = prep.runs
    prepared = nbtrack.get_run(prep_ref)
    assert prepared.status == "failed" and prepared.params["mode"] == "bad-prep"
    assert prepared.sweep == result.id and prepared.trial == 3
    assert "ValueError: no data for bad-prep" in (prepared.error or "")
    assert str(prep.output) in (prepared.notes or "") and prep.output.is_file()
    # A kernel that dies inside a tracked cell leaves its run crashed, not running.
    assert nbtrack.get_run(crash.runs[0]).status == "crashed"


def test_a_cell_that_reassigns_a_swept_name_records_what_ran(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _train_notebook(repo, tracked="%%track --no-plot\nlayers = 7\nnbtrack.log(loss=lr * layers)")
    # A store named relative to the project, as NBTRACK_STORE may be: the sweep and
    # its kernels (started in the notebook's folder) resolve it to the same file.
    (repo / "sub").mkdir()
    (repo / "train.ipynb").rename(repo / "sub" / "train.ipynb")
    monkeypatch.chdir(repo / "sub")
    result = nbtrack.sweep("train.ipynb", {"layers": [2]}, store="sqlite:///my.db")
    assert result.store_url == f"sqlite:///{repo / 'my.db'}"
    (run,) = result.runs().to_dict("records")
    assert run["params.layers"] == 7 and run["metrics.loss"] == pytest.approx(0.7)
    assert run["status"] == "finished" and run["trial"] == 1
    # The executed notebooks went to .nbtrack/, which git ignores even though the
    # store is elsewhere.
    assert result.output_dir.parent.parent == repo / ".nbtrack"
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    assert ".nbtrack" not in status and "sub/" in status


def test_a_sweep_that_cannot_start_says_why_and_runs_nothing(repo: Path) -> None:
    _train_notebook(repo, tag=False)
    untagged = _cli("sweep", "train.ipynb", "-p", "lr", "0.1", cwd=repo)
    assert untagged.returncode == 1
    assert "no cell tagged 'parameters'" in untagged.stderr
    _train_notebook(repo)
    typo = _cli("sweep", "train.ipynb", "-p", "lrate", "0.1", "0.2", cwd=repo)
    assert typo.returncode == 1
    assert "does not set lrate (it sets: lr, layers, epochs, mode)" in typo.stderr
    assert not (repo / ".nbtrack" / "sweeps").exists()
    assert "no runs yet" in _cli("runs", cwd=repo).stdout


def test_ctrl_c_stops_the_sweep_and_its_kernels_and_marks_runs_interrupted(repo: Path) -> None:
    slow = "%%track --no-plot\nimport time\nnbtrack.log(loss=lr)\ntime.sleep(120)"
    notebook = _train_notebook(repo, tracked=slow)
    sweep = subprocess.Popen(
        [sys.executable, "-m", "nbtrack", "sweep", "train.ipynb", "-p", "lr", "1", "2", "3"]
        + ["--parallel", "2"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell started in the background ignores SIGINT; a terminal's Ctrl-C does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 90
    while len(nbtrack.runs(status="running")) < 2:  # both first trials are in their cell
        assert time.monotonic() < deadline and sweep.poll() is None, sweep.communicate()
        time.sleep(0.5)
    sweep.send_signal(signal.SIGINT)
    _, stderr = sweep.communicate(timeout=30)
    assert sweep.returncode == 130 and "interrupted" in stderr

    runs = nbtrack.runs()
    assert len(runs) == 2 and set(runs["status"]) == {"interrupted"}  # the third never started
    # No worker of this sweep is left behind (their command lines name the notebook).
    left = subprocess.run(["pgrep", "-f", str(notebook)], capture_output=True, text=True)
    assert left.stdout == ""


def test_a_cell_over_the_timeout_fails_its_combination_and_interrupts_its_run(repo: Path) -> None:
    slow = "%%track --no-plot\nimport time\nnbtrack.log(loss=lr)\ntime.sleep(lr)"
    _train_notebook(repo, tracked=slow)
    # The timeout is generous, so that every cell of the quick trial fits in it
    # on a loaded machine (its slowest, the tracked cell, took 5 s at load 2.5
    # and 9 s beside two CPU burners at load 4: five times that is kept); the slow
    # one would sleep for days: the timeout is what ends it (its run is
    # interrupted, not finished).
    result = nbtrack.sweep(repo / "train.ipynb", {"lr": [0.1, 10**6]}, timeout=45)
    quick, slow_trial = result.trials
    assert quick.status == "finished" and slow_trial.status == "failed"
    assert slow_trial.error == (
        "the notebook failed: CellTimeoutError: A cell timed out while it was being "
        "executed, after 45 seconds."
    )
    (ref,) = slow_trial.runs
    run = nbtrack.get_run(ref)
    assert run.status == "interrupted" and run.metrics["loss"]["last"] == 10**6
