"""`nbtrack verify`: real notebooks run by real kernels, real git snapshots,
replayed in a fresh kernel and judged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from kernels import run_notebook, write_notebook

import nbtrack

pytestmark = pytest.mark.slow


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbtrack", *args], cwd=folder, capture_output=True, text=True
    )


def verdict_json(folder: Path, *args: str) -> tuple[int, dict]:
    done = cli(folder, "verify", *args, "--format", "json")
    assert done.stdout.strip(), done.stderr
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_deterministic_run_with_an_error_cell_is_reproduced(project: Path) -> None:
    nb = write_notebook(
        project / "det.ipynb",
        [
            "%load_ext nbtrack",
            "base = 3",
            "1 / 0",
            "%%track -n det\nlr = 0.5\nfor i in range(4):\n"
            "    nbtrack.log(loss=base * lr / (i + 1))",
        ],
    )
    run_notebook(nb, allow_errors=True)
    before = nbtrack.runs()
    rc, v = verdict_json(project, "det")
    assert (rc, v["verdict"]) == (0, "reproduced"), v
    assert any("In [3]: then raised ZeroDivisionError" in g for g in v["guarded"])
    # Nothing but the verdict reached the user's store: still one run, same metrics.
    after = nbtrack.runs()
    assert len(after) == len(before) == 1
    assert after["metrics.loss"].tolist() == before["metrics.loss"].tolist()
    shown = cli(project, "show", "det")
    assert "verdict     reproduced" in shown.stdout, shown.stdout
    assert nbtrack.runs()["verdict"].tolist() == ["reproduced"]


def test_nondeterministic_run_differs_naming_the_metric(project: Path) -> None:
    nb = write_notebook(
        project / "nd.ipynb",
        [
            "%load_ext nbtrack",
            "%%track -n nd\nimport os\nseed = 1\n"
            "nbtrack.log(noise=int.from_bytes(os.urandom(4), 'big') / 2**32, fixed=1.0)",
        ],
    )
    run_notebook(nb)
    rc, v = verdict_json(project, "nd")
    assert rc == 1 and v["verdict"] == "differs", v
    assert set(v["metrics"]) == {"noise"}
    text = cli(project, "verify", "nd")
    assert "differs: " not in text.stdout or "noise" in text.stdout
    assert "metric noise last: was" in text.stdout


def test_unseeded_numpy_run_reproduces_from_the_recorded_state(project: Path) -> None:
    nb = write_notebook(
        project / "rng.ipynb",
        [
            "%load_ext nbtrack",
            "import numpy as np\nimport random\nwarm = np.random.rand(5)",
            "%%track -n rng\nx = np.random.normal(size=100)\n"
            "nbtrack.log(mean=float(x.mean()), coin=random.random())",
        ],
    )
    run_notebook(nb)
    rc, v = verdict_json(project, "rng")
    assert (rc, v["verdict"]) == (0, "reproduced"), v
    assert v["restored"] == ["numpy", "random"]


def test_a_cell_that_fails_now_is_named(project: Path) -> None:
    (project / "data.txt").write_text("5\n")
    nb = write_notebook(
        project / "f.ipynb",
        [
            "%load_ext nbtrack",
            "n = int(open('data.txt').read())\nimport os\nos.remove('data.txt')",
            "%%track -n f\nnbtrack.log(n=n)",
        ],
    )
    run_notebook(nb)
    rc, v = verdict_json(project, "f")
    assert (rc, v["verdict"]) == (1, "failed"), v
    assert v["cell"] == 2 and v["error"].startswith("FileNotFoundError"), v


def test_other_languages_and_missing_snapshots_are_said(project: Path) -> None:
    nb = write_notebook(
        project / "ns.ipynb", ["%load_ext nbtrack", "%%track -n ns --no-snapshot\nnbtrack.log(a=1)"]
    )
    run_notebook(nb)
    done = cli(project, "verify", "ns")
    assert done.returncode != 0 and "has no snapshot" in done.stderr, done.stderr
