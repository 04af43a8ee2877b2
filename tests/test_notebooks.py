"""End to end: real notebooks executed by real kernels through nbclient."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from kernels import ISSUE_CELL, outputs_text, run_notebook, write_notebook
from nbclient.exceptions import CellExecutionError

import nbtrack

pytestmark = pytest.mark.slow


@pytest.fixture
def repo(project: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main"], check=True)
    (project / "README.md").write_text("hello\n")
    subprocess.run(["git", "add", "."], check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"], check=True
    )
    return project


def test_the_issue_cell_in_a_notebook(repo: Path) -> None:
    (repo / "README.md").write_text("changed\n")
    nb_path = write_notebook(repo / "train.ipynb", ["%load_ext nbtrack", ISSUE_CELL, ISSUE_CELL])
    nb = run_notebook(nb_path)
    assert "nbtrack: baseline finished" in outputs_text(nb)
    df = nbtrack.runs()
    assert len(df) == 2  # re-running the cell makes a new run
    run = nbtrack.get_run("train#1")
    assert run.name == "baseline" and run.status == "finished" and run.notebook == "train.ipynb"
    assert run.params == {
        "lr": 0.05,
        "layers": [64, 32],
        "config.optimizer": "adam",
        "config.weight_decay": 1e-4,
    }
    assert run.metrics["loss"]["count"] == 500 and run.metrics["acc"]["count"] == 500
    assert run.tags == ["cnn"] and run.notes == "first try"
    assert run.cell_source.startswith("lr = 0.05")
    assert run.env["python"] and run.env["hostname"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert run.git["commit"] == head.strip() and run.git["branch"] == "main"
    assert run.git["dirty"] is True and "+changed" in run.git["diff"]
    assert nbtrack.get_run("baseline").ref == "train#2"
    assert nbtrack.get_run("baseline~1").ref == "train#1"


def test_failing_cell_is_recorded_and_still_fails_the_notebook(project: Path) -> None:
    cell = (
        "%%track --name boom\nx = 3\nfor i in range(5):\n    nbtrack.log(loss=i)\n"
        "raise ValueError('bad data')"
    )
    nb_path = write_notebook(project / "nb.ipynb", ["%load_ext nbtrack", cell, "print('after')"])
    with pytest.raises(CellExecutionError, match="bad data"):
        run_notebook(nb_path)
    run = nbtrack.get_run("boom")
    assert run.status == "failed" and "ValueError: bad data" in run.error
    assert run.metrics["loss"]["count"] == 5 and run.params == {"x": 3}
    nb = run_notebook(nb_path, allow_errors=True)
    error = nb.cells[1].outputs[-1]
    assert error.output_type == "error" and error.ename == "ValueError"
    assert "after" in outputs_text(nb)


def test_secrets_in_the_kernel_environment_never_reach_the_store(project: Path) -> None:
    secret = "s3cr3t-value-that-must-not-leak"
    (project / "pyproject.toml").write_text(
        '[tool.nbtrack]\nenv_vars = ["MY_API_TOKEN", "OMP_NUM_THREADS"]\n'
    )
    cell = (
        "%%track -p token --notes 'uses the API'\nimport os\ntoken = os.environ['MY_API_TOKEN']\n"
        "nbtrack.log(loss=1.0)\nprint('token is', token)"
    )
    nb_path = write_notebook(project / "nb.ipynb", ["%load_ext nbtrack", cell])
    run_notebook(nb_path, env={"MY_API_TOKEN": secret, "OMP_NUM_THREADS": "2"})
    run = nbtrack.get_run("latest")
    assert run.status == "finished" and run.params == {"token": "[redacted]"}
    assert run.env["env_vars"]["OMP_NUM_THREADS"] == "2"  # allow-listed
    assert "MY_API_TOKEN" not in run.env["env_vars"]  # allow-listed too, but secret-looking
    nbtrack.store.forget_stores()  # close connections, so every byte is in the files
    data = b"".join(p.read_bytes() for p in (project / ".nbtrack").iterdir() if p.is_file())
    assert b"OMP_NUM_THREADS" in data and secret.encode() not in data


def test_runs_work_when_the_notebook_is_unknown(project: Path) -> None:
    nb_path = write_notebook(
        project / "anon.ipynb", ["%load_ext nbtrack", "%%track\nnbtrack.log(a=1)"]
    )
    run_notebook(nb_path, env={"JPY_SESSION_NAME": ""})
    run = nbtrack.get_run("latest")
    assert run.status == "finished" and run.notebook is None and run.ref == "run#1"
