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
    rc, v = verdict_json(project, "--all", "--since", "1d")  # the only run: nd
    assert rc == 1 and v["verdict"] == "differs" and v["run"] == "nd", v
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
            "g = np.random.default_rng()\n"
            "nbtrack.log(mean=float(x.mean()), coin=random.random(), fresh=float(g.random()))",
        ],
    )
    run_notebook(nb)
    rc, v = verdict_json(project, "rng")
    assert (rc, v["verdict"]) == (0, "reproduced"), v
    assert v["restored"] == ["default_rng", "numpy", "random"]


def test_a_generator_made_in_the_cell_from_fresh_entropy_reproduces(project: Path) -> None:
    # NumPy imported inside the tracked cell itself, generators made without a seed
    nb = write_notebook(
        project / "fresh.ipynb",
        [
            "%load_ext nbtrack",
            "%%track -n fresh\nimport numpy as np\n"
            "a, b = np.random.default_rng(), np.random.default_rng()\n"
            "seeded = np.random.default_rng(7)\n"
            "nbtrack.log(a=float(a.random()), b=float(b.normal()), s=float(seeded.random()))",
        ],
    )
    run_notebook(nb)
    run = nbtrack.get_run("fresh")
    assert run.metrics["a"]["last"] != run.metrics["b"]["last"]  # still two generators
    rc, v = verdict_json(project, "fresh")
    assert (rc, v["verdict"]) == (0, "reproduced"), v


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


def test_edited_not_rerun_cell_is_flagged_stale_at_start(project: Path) -> None:
    import nbformat
    from kernels import kernel_environment
    from nbclient import NotebookClient

    nb_path = write_notebook(
        project / "st.ipynb",
        ["%load_ext nbtrack", "x = 1", "y = 2", "%%track -n st\nnbtrack.log(r=x)"],
    )
    nb = nbformat.read(nb_path, as_version=4)
    client = NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(project)}})
    with kernel_environment(nb_path), client.setup_kernel():
        for index in (0, 1, 2):
            client.execute_cell(nb.cells[index], index)
        client.execute_cell(nb.cells[3], 3)  # fresh: not stale
        nb.cells[1].source = "x = 100"  # edited and saved, not re-run
        nb.cells[2].source = "y = 200"  # edited too, but the tracked cell does not read y
        nbformat.write(nb, nb_path)
        client.execute_cell(nb.cells[3], 3)
    stderr = "".join(o.get("text", "") for o in nb.cells[3].outputs if o.get("name") == "stderr")
    # nbclient sends no cell ids (JupyterLab does): the edited source is not in the
    # saved notebook any more, and that is what the flag says.
    assert "stale inputs: x from In [2] (no saved cell has this code" in stderr, stderr
    assert "y from" not in stderr and "nbtrack from" not in stderr
    # the live chart's status line (left as the finished cell's text) says it too
    shown_text = "".join(
        str(o.get("data", {}).get("text/plain", ""))
        for o in nb.cells[3].outputs
        if o.get("output_type") in ("display_data", "update_display_data")
    )
    assert "st · finished" in shown_text and "stale inputs: x" in shown_text, shown_text
    runs = nbtrack.runs().set_index("id")
    assert sorted(runs["verdict"].fillna("-")) == ["-", "stale inputs"]
    shown = cli(project, "show", "latest")
    assert "stale inputs x from In [2]" in shown.stdout, shown.stdout


def test_minimal_replay_keeps_the_slice_and_reproduces(project: Path) -> None:
    nb = write_notebook(
        project / "mini.ipynb",
        [
            "%load_ext nbtrack",
            "import math",
            "noise = [i * i for i in range(1000)]",
            "scale = 2",
            "title = 'unused'",
            "%%track -n mini\nnbtrack.log(v=math.sqrt(scale))",
        ],
    )
    run_notebook(nb)
    script = cli(project, "replay", "mini", "--minimal")
    assert script.returncode == 0, script.stderr
    assert "# minimal: 4 of 6 cells" in script.stdout
    assert "noise" not in script.stdout and "title" not in script.stdout
    rc, v = verdict_json(project, "mini", "--minimal")
    assert (rc, v["verdict"], v["cells"], v["history"]) == (0, "reproduced", 4, 6), v


def test_a_kernel_that_dies_fails_the_verdict_and_leaves_the_run(project: Path) -> None:
    flag = project / "die-on-replay"
    nb = write_notebook(
        project / "die.ipynb",
        [
            "%load_ext nbtrack",
            "import os\nif os.path.exists('die-on-replay'):\n    os._exit(1)",
            "%%track -n die\nnbtrack.log(a=1.5)",
        ],
    )
    run_notebook(nb)
    flag.write_text("")
    before = cli(project, "show", "die", "--format", "json")
    rc, v = verdict_json(project, "die")
    assert (rc, v["verdict"], v["cell"]) == (1, "failed", 2), v
    assert "kernel died" in v["error"]
    after = json.loads(cli(project, "show", "die", "--format", "json").stdout)
    original = json.loads(before.stdout)
    assert after["metrics"] == original["metrics"] and after["status"] == "finished"
    assert after["verdict"] == "failed" and after["verification"]["verdict"] == "failed"


def test_another_language_is_not_checked(project: Path, tmp_path: Path) -> None:
    """A kernelspec whose language is not Python (here: a Python kernel that calls
    itself 'fakelang', so the run can be recorded on this machine)."""
    spec = tmp_path / "jp" / "kernels" / "fakelang"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Fake",
                "language": "fakelang",
            }
        )
    )
    nb = write_notebook(
        project / "fl.ipynb", ["%load_ext nbtrack", "%%track -n fl\nnbtrack.log(a=1)"]
    )
    import nbformat

    book = nbformat.read(nb, as_version=4)
    book.metadata["kernelspec"] = {"name": "fakelang", "display_name": "Fake", "language": "x"}
    nbformat.write(book, nb)
    env = {"JUPYTER_PATH": str(tmp_path / "jp")}
    run_notebook(nb, env=env)
    import os

    done = subprocess.run(
        [sys.executable, "-m", "nbtrack", "verify", "fl"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    assert "fl: not checked: kernel fakelang is not supported" in done.stdout


def test_the_replay_runs_against_the_files_of_the_runs_commit(project: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=project,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    (project / "helper.py").write_text("K = 1\n")
    (project / "local.py").write_text("BUMP = 10\n")
    git("add", "helper.py", "local.py")
    git("commit", "-q", "-m", "first")
    (project / "local.py").write_text("BUMP = 20\n")  # uncommitted when the run ran
    nb = write_notebook(
        project / "g.ipynb",
        [
            "%load_ext nbtrack",
            "%%track -n g\nimport helper, local\nnbtrack.log(v=helper.K + local.BUMP)",
        ],
    )
    run_notebook(nb)
    assert nbtrack.get_run("g").metrics["v"]["last"] == 21
    # the project moves on: a later commit and later uncommitted edits
    (project / "helper.py").write_text("K = 1000\n")
    git("commit", "-q", "-am", "later")
    (project / "local.py").write_text("BUMP = 0\n")
    rc, v = verdict_json(project, "g")
    assert (rc, v["verdict"]) == (0, "reproduced"), v
    assert v["files"].endswith("with the run's uncommitted changes"), v["files"]
    assert (project / "helper.py").read_text() == "K = 1000\n"  # the user's files untouched
    assert (project / "local.py").read_text() == "BUMP = 0\n"
