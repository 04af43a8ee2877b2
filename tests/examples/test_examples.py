"""The example notebooks, run the way users and CI run them.

Each test copies example_notebooks/ into a fresh git repository, runs
`python example_notebooks/run.py NAME.ipynb` there as a subprocess (no
NBTRACK_STORE: runs land in the repository's default store) and then reads
that store to check what the notebook says it does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from kernels import run_notebook

import nbtrack
from nbtrack.rundiff import snapshot_notebook

EXAMPLES = Path(__file__).resolve().parents[2] / "example_notebooks"
JUNK = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".nbtrack", "replay.py")


@dataclass
class Example:
    repo: Path
    store: str
    stdout: str


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Example", "-c", "user.email=example@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def repo(project: Path) -> Path:
    """A fresh git repository (the current folder) holding a committed copy of
    example_notebooks/, as a clone of this project would."""
    shutil.copytree(EXAMPLES, project / "example_notebooks", ignore=JUNK)
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "examples")
    return project


def run_example(repo: Path, *args: str) -> Example:
    env = {k: v for k, v in os.environ.items() if k not in ("NBTRACK_STORE", "JPY_SESSION_NAME")}
    proc = subprocess.run(
        [sys.executable, str(repo / "example_notebooks" / "run.py"), *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"run.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    store = f"sqlite:///{repo / '.nbtrack' / 'nbtrack.db'}"
    return Example(repo=repo, store=store, stdout=proc.stdout)


def in_order(text: str, *parts: str) -> bool:
    """Whether `parts` occur in `text` one after another (each after the previous)."""
    at = 0
    for part in parts:
        at = text.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


def assert_clean_checkout(repo: Path) -> None:
    """Running an example leaves the working tree as committed (snapshots go to
    hidden refs, the store and replay.py are ignored)."""
    assert git(repo, "status", "--porcelain") == ""


def test_every_example_is_committed_without_outputs() -> None:
    for path in sorted(EXAMPLES.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3", path.name
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (path.name, cell.id)


@pytest.mark.slow
def test_quickstart(repo: Path) -> None:
    ex = run_example(repo)  # no argument: the quickstart, as the README runs it

    runs = nbtrack.runs(store=ex.store)
    assert list(runs["name"]) == ["faster", "baseline"]  # newest first
    assert set(runs["status"]) == {"finished"}
    assert "baseline" in ex.stdout and "faster" in ex.stdout  # the table run.py prints

    baseline = nbtrack.get_run("baseline", store=ex.store)
    faster = nbtrack.get_run("faster", store=ex.store)
    assert (baseline.params["lr"], faster.params["lr"]) == (0.05, 0.5)
    assert baseline.params["epochs"] == faster.params["epochs"] == 100
    assert set(baseline.params) == set(faster.params) == {"lr", "epochs"}
    assert baseline.notes == "first try" and baseline.tags == ["logreg"]
    for run in (baseline, faster):
        loss = run.history("loss")["value"]
        assert len(loss) == 100
        assert loss.iloc[-1] < loss.iloc[0] / 2
        assert run.metrics["acc"]["last"] > 0.9
        assert run.snapshot
    # What its name promises: the larger learning rate gets further in 100 epochs.
    assert faster.metrics["loss"]["last"] < baseline.metrics["loss"]["last"]

    diff = nbtrack.diff("baseline", "faster", store=ex.store)
    assert diff.params.changed == {"lr": (0.05, 0.5)}
    assert not diff.params.added and not diff.params.removed
    assert_clean_checkout(repo)


@pytest.mark.slow
def test_digits_classifier(repo: Path) -> None:
    ex = run_example(repo, "digits_classifier.ipynb")

    runs = nbtrack.runs(store=ex.store)
    assert list(runs["name"]) == ["mlp-128-fast", "mlp-128", "mlp-32", "logreg"]
    assert set(runs["status"]) == {"finished"}
    assert all("digits" in tags for tags in runs["tags"])
    get = {name: nbtrack.get_run(name, store=ex.store) for name in runs["name"]}

    assert get["logreg"].params == {"C": 1.0, "max_iter": 1000}
    assert set(get["logreg"].metrics) == {"train_acc", "val_acc", "val_loss"}
    common = {"lr": 0.001, "batch_size": 64, "epochs": 30, "seed": 0}
    assert get["mlp-32"].params == {"hidden": [32], **common}
    assert get["mlp-128"].params == {"hidden": [128], **common}
    assert get["mlp-128-fast"].params == {"hidden": [128], **common, "lr": 0.1}

    for name in ("mlp-32", "mlp-128", "mlp-128-fast"):
        metrics = get[name].metrics
        assert set(metrics) == {"loss", "train_acc", "val_acc", "val_loss"}, name
        assert all(m["count"] == 30 and m["last_step"] == 29 for m in metrics.values()), name
    for name in ("mlp-32", "mlp-128"):
        loss = get[name].history("loss")["value"]
        assert loss.iloc[-1] < loss.iloc[0] / 10, name
        val_acc = get[name].history("val_acc")["value"]
        assert val_acc.iloc[-1] > val_acc.iloc[0], name
    # The notebook's point about lr = 0.1: its training loss jumps about, and its
    # validation loss ends far above the same network's at lr = 0.001.
    fast_loss = get["mlp-128-fast"].history("loss")["value"]
    assert (fast_loss.diff() > 0).sum() >= 3
    assert get["mlp-128-fast"].metrics["val_loss"]["last"] > (
        3 * get["mlp-128"].metrics["val_loss"]["last"]
    )

    # Picking the best run, as the notebook does.
    best = runs.sort_values("metrics.val_acc", ascending=False).iloc[0]
    assert best["metrics.val_acc"] > 0.95
    assert (runs["metrics.val_acc"] > 0.9).all()

    # Every run has a snapshot, whose history holds what ran before it, in order.
    assert all(run.snapshot for run in get.values())
    history = nbtrack.replay_script("mlp-128-fast", store=ex.store)
    assert in_order(
        history,
        "load_digits(return_X_y=True)",
        "max_iter = 1000",
        "def train_mlp(",
        "hidden = [32]",
        "hidden = [128]\nlr = 0.001",
        "hidden = [128]\nlr = 0.1",
    )
    assert_clean_checkout(repo)


@pytest.mark.slow
def test_out_of_order(repo: Path, tmp_path: Path) -> None:
    ex = run_example(repo, "out_of_order.ipynb")
    assert "in the notebook's order" in ex.stdout

    runs = nbtrack.runs(store=ex.store)
    assert list(runs["name"]) == ["total"]
    run = nbtrack.get_run("total", store=ex.store)
    assert run.status == "finished"
    assert run.metrics["total"]["last"] == 450
    assert run.params == {"scale": 10}

    # The history: cells in the order they really ran, `data` twice.
    data_cell = "data = [i * scale for i in range(10)]"
    script = nbtrack.replay_script("total", store=ex.store)
    assert script.count(data_cell) == 2
    assert in_order(script, "scale = 2", data_cell, "scale = 10", data_cell, "total = sum(data)")
    # The notebook's own replay cell wrote the same script (ignored by git).
    assert (repo / "example_notebooks" / "replay.py").read_text() == script
    assert_clean_checkout(repo)

    # Replayed in a fresh interpreter, the script re-creates 450 and records no run.
    replay = tmp_path / "replay.py"
    replay.write_text(script)
    proc = subprocess.run(
        [sys.executable, "-m", "IPython", "--simple-prompt", str(replay)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "total = 450" in proc.stdout
    assert len(nbtrack.runs(store=ex.store)) == 1

    # The notebook as saved (the run's snapshot) has `data` once, before
    # `scale = 10`: top to bottom, in a fresh kernel, it computes 90.
    saved = snapshot_notebook("total", store=ex.store)
    code = [cell for cell in saved.cells if cell.cell_type == "code"]
    assert [cell.source.count(data_cell) for cell in code].count(1) == 1
    assert in_order("\n".join(cell.source for cell in code), "scale = 2", data_cell, "scale = 10")
    elsewhere = tmp_path / "top_to_bottom"
    elsewhere.mkdir()
    nbformat.write(saved, elsewhere / "out_of_order.ipynb")
    run_notebook(elsewhere / "out_of_order.ipynb")
    top_store = f"sqlite:///{elsewhere / '.nbtrack' / 'nbtrack.db'}"
    assert nbtrack.get_run("total", store=top_store).metrics["total"]["last"] == 90


@pytest.mark.slow
def test_sweep(repo: Path) -> None:
    ex = run_example(repo, "sweep.ipynb")

    runs = nbtrack.runs(store=ex.store)
    assert len(runs) == 4 and set(runs["status"]) == {"finished"}
    (sweep_id,) = set(runs["sweep"])
    assert sweep_id.startswith("sw-") and sorted(runs["trial"]) == [1, 2, 3, 4]
    assert set(runs["notebook"]) == {"example_notebooks/sweep_train.ipynb"}
    combos = {(r["params.hidden"], r["params.lr"]) for _, r in runs.iterrows()}
    assert combos == {(16, 0.001), (16, 0.01), (64, 0.001), (64, 0.01)}
    # What the sweep left at the parameters cell's defaults is recorded too.
    assert set(runs["params.epochs"]) == {20} and set(runs["params.seed"]) == {0}
    for _, r in runs.iterrows():
        run = nbtrack.get_run(r["name"], store=ex.store)
        assert run.metrics["val_acc"]["count"] == 20 and run.snapshot
        # Each trial trained with its own values: papermill injected them after
        # the parameters cell, and the run's history shows it.
        history = nbtrack.replay_script(run, store=ex.store)
        assert f"hidden = {r['params.hidden']}\nlr = {r['params.lr']}" in history
    assert runs["metrics.val_acc"].max() > 0.95

    # One executed notebook per combination, kept under the project's .nbtrack/.
    outputs = sorted((repo / ".nbtrack" / "sweeps" / sweep_id).glob("*.ipynb"))
    assert len(outputs) == 4
    assert_clean_checkout(repo)


def _notebook(path: Path, cells: dict[str, str], order: list[str] | None = None) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src, id=cell_id) for cell_id, src in cells.items()]
    if order is not None:
        nb.metadata["nbtrack_example"] = {"order": order}
    nbformat.write(nb, path)


@pytest.mark.slow
def test_runner_all_runs_every_notebook_in_order_and_reports_failures(project: Path) -> None:
    folder = project / "example_notebooks"
    folder.mkdir()
    shutil.copy(EXAMPLES / "run.py", folder)
    load = "%load_ext nbtrack"
    _notebook(
        folder / "b_ordered.ipynb",
        {
            "load": load,
            "one": "n = 1",
            "times-ten": "n = n * 10",
            "log": "%%track --name b\nnbtrack.log(n=n)",
        },
        order=["load", "one", "times-ten", "times-ten", "log"],
    )
    _notebook(folder / "a_fails.ipynb", {"load": load, "boom": "1 / 0"})
    _notebook(folder / "c_plain.ipynb", {"load": load, "log": "%%track --name c\nnbtrack.log(x=1)"})
    git(project, "init", "-q")

    proc = subprocess.run(
        [sys.executable, str(folder / "run.py"), "--all"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    assert "failed: a_fails.ipynb" in proc.stderr and "ZeroDivisionError" in proc.stderr
    assert in_order(proc.stdout, "a_fails.ipynb", "b_ordered.ipynb", "c_plain.ipynb")
    store = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    # The notebook after the failing one still ran; the ordered one ran its cells
    # in its order (top to bottom would give 10).
    assert list(nbtrack.runs(store=store)["name"]) == ["c", "b"]
    assert nbtrack.get_run("b", store=store).metrics["n"]["last"] == 100
