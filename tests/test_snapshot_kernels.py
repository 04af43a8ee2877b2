"""Snapshots and diffs with real notebooks executed by real kernels (nbclient).

What a user does: edit a cell between runs, run cells out of order, keep staged
work in git, work outside git, keep rich notebooks, run two kernels on one
notebook, or have no git at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from kernels import kernel_environment, outputs_text, run_notebook, write_notebook

import nbtrack
from nbtrack import rundiff

pytestmark = pytest.mark.slow

TRACKED = "%%track\nlr = {lr}\nfor step in range(3):\n    nbtrack.log(loss={loss} / (step + 1))"


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repo(project: Path) -> Path:
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.name", "Ada")
    git(project, "config", "user.email", "ada@example.com")
    (project / "README.md").write_text("hello\n")
    git(project, "add", "README.md")
    git(project, "commit", "-qm", "init")
    return project


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbtrack", *args], cwd=folder, capture_output=True, text=True
    )


def edit_cell(nb_path: Path, index: int, source: str) -> None:
    """Change one cell's source and save, as an editor does (cell ids kept)."""
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[index].source = source
    nbformat.write(nb, nb_path)


def test_an_edit_between_runs_shows_in_the_diff(repo: Path) -> None:
    nb_path = repo / "train.ipynb"
    write_notebook(nb_path, ["%load_ext nbtrack", TRACKED.format(lr=0.1, loss=1.0)])
    run_notebook(nb_path)
    edit_cell(nb_path, 1, TRACKED.format(lr=0.01, loss=0.5))
    run_notebook(nb_path)

    done = cli(repo, "diff", "train#1", "train#2", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["params"]["changed"] == {"lr": {"old": 0.1, "new": 0.01}}
    assert data["metrics"]["loss"]["delta"]["last"] == pytest.approx(0.5 / 3 - 1 / 3)
    cell = data["cell"]["unified"]
    assert "-lr = 0.1" in cell and "+lr = 0.01" in cell
    assert "-    nbtrack.log(loss=1.0 / (step + 1))" in cell
    assert "+lr = 0.01" in data["script"]["unified"]
    changes = data["notebook"]["cells"]
    assert [(c["change"], c["index"]) for c in changes] == [("modified", 1)]
    text = cli(repo, "diff", "train#1", "train#2")
    assert text.returncode == 0 and "~ lr: 0.1 → 0.01" in text.stdout
    assert cli(repo, "diff", "train#2", "train#2").stdout == (
        "no difference between train#2 and train#2\n"
    )
    subjects = git(repo, "log", "--format=%s", "refs/nbtrack/nb/train.ipynb").splitlines()
    assert subjects == ["train#2: lr 0.1 → 0.01", "train#1: first snapshot of this notebook"]


def test_out_of_order_execution_is_recorded_as_it_ran(repo: Path) -> None:
    from nbclient import NotebookClient

    nb_path = write_notebook(
        repo / "ooo.ipynb",
        [
            "%load_ext nbtrack",
            "x = 1",
            "x = x + 5",
            "x = x * 10",
            "%%track -n ooo\nresult = x + 1\nnbtrack.log(result=result)",
        ],
    )
    nb = nbformat.read(nb_path, as_version=4)
    client = NotebookClient(nb, timeout=60, resources={"metadata": {"path": str(repo)}})
    with kernel_environment(nb_path), client.setup_kernel():
        for index in (0, 1, 3, 2):  # x = 1, then * 10, then + 5: 15, not 60
            client.execute_cell(nb.cells[index], index)
        # The user then edits cell 2 and saves, without running it again.
        nb.cells[2].source = "x = x + 500"
        nbformat.write(nb, nb_path)
        client.execute_cell(nb.cells[4], 4)
    run = nbtrack.get_run("ooo")
    assert run.metrics["result"]["last"] == 16  # (1 * 10) + 5 + 1
    script = rundiff.replay_script(run)
    order = [script.index(s) for s in ("x = 1", "x = x * 10", "x = x + 5", "result = x + 1")]
    assert order == sorted(order) and "x + 500" not in script
    # ...while the saved notebook, top to bottom, holds the edited cell.
    assert rundiff.snapshot_notebook(run)["cells"][2]["source"] == "x = x + 500"
    # Replaying the history re-creates the state the run started from.
    done = cli(repo, "replay", "ooo", "-o", "replay.py")
    assert done.returncode == 0, done.stderr
    with (repo / "replay.py").open("a") as f:
        f.write("\nprint('x is', x)\n")
    out = subprocess.run(
        [sys.executable, "-m", "IPython", "--quick", "--no-banner", "replay.py"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert "x is 15" in out.stdout, out.stderr


def _fingerprint(repo: Path) -> dict[str, object]:
    """Everything of the user's repository a snapshot must leave alone, byte for byte."""
    dot_git = repo / ".git"
    files = {
        str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.parts and ".nbtrack" not in p.parts
    }
    return {
        "index": (dot_git / "index").read_bytes(),
        "HEAD": (dot_git / "HEAD").read_text(),
        "head_log": (dot_git / "logs" / "HEAD").read_bytes(),
        "branches": git(repo, "for-each-ref", "refs/heads", "refs/stash"),
        "stash": git(repo, "stash", "list"),
        "status": git(repo, "status", "--porcelain=v2", "--untracked-files=all"),
        "staged": git(repo, "diff", "--cached"),
        "worktree": files,
    }


def test_staged_unstaged_untracked_and_stash_are_left_exactly_as_they_were(repo: Path) -> None:
    nb_path = write_notebook(repo / "nb.ipynb", ["%load_ext nbtrack", TRACKED.format(lr=1, loss=1)])
    (repo / "data.txt").write_text("v1\n")
    git(repo, "add", "data.txt", "nb.ipynb")
    git(repo, "commit", "-qm", "add data")
    (repo / "data.txt").write_text("stashed\n")
    git(repo, "stash", "-q")
    (repo / "data.txt").write_text("v2 staged\n")
    git(repo, "add", "data.txt")
    (repo / "data.txt").write_text("v3 unstaged\n")
    (repo / "scratch.py").write_text("untracked = True\n")
    before = _fingerprint(repo)

    run_notebook(nb_path)
    run_notebook(nb_path)

    assert _fingerprint(repo) == before
    runs = nbtrack.runs()
    assert len(runs) == 2 and runs["snapshot"].notna().all()
    assert len(git(repo, "rev-list", "refs/nbtrack/nb/nb.ipynb").split()) == 2


def test_a_notebook_outside_git_uses_a_private_repository(project: Path) -> None:
    nb_path = write_notebook(
        project / "free.ipynb", ["%load_ext nbtrack", TRACKED.format(lr=2, loss=1)]
    )
    run_notebook(nb_path)
    assert not (project / ".git").exists()
    out = subprocess.run(["git", "rev-parse", "--git-dir"], cwd=project, capture_output=True)
    assert out.returncode != 0  # the user's folder did not become a repository
    private = project / ".nbtrack" / "snapshots.git"
    run = nbtrack.get_run("free#1")
    log = git(project, f"--git-dir={private}", "log", "--format=%H", "refs/nbtrack/nb/free.ipynb")
    assert log.split() == [run.snapshot]
    assert rundiff.snapshot_notebook(run)["cells"][1]["source"].startswith("%%track")


PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a2d4d1a80000000049454e44ae426082"
    )
).decode()


def test_a_rich_notebook_is_kept_whole_except_huge_outputs(repo: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "ml-env",
        "display_name": "Python 3 (ML ✓)",
        "language": "python",
    }
    big = "x" * (1_200_000)
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Résumé ✓ — 日本語のノート"),
        nbformat.v4.new_raw_cell("raw: {{ not jinja }}"),
        nbformat.v4.new_code_cell("%load_ext nbtrack"),
        nbformat.v4.new_code_cell(
            "plot()",
            outputs=[
                nbformat.v4.new_output(
                    "display_data", data={"image/png": PNG, "text/plain": "fig"}
                ),
                nbformat.v4.new_output("stream", name="stdout", text="naïve café ☕\n"),
            ],
        ),
        nbformat.v4.new_code_cell(
            "dump()", outputs=[nbformat.v4.new_output("stream", name="stdout", text=big)]
        ),
        nbformat.v4.new_code_cell("%%track -n rich\nmotto = 'über ✓'\nnbtrack.log(score=1)"),
    ]
    nb_path = repo / "rich.ipynb"
    nbformat.write(nb, nb_path)
    from nbclient import NotebookClient

    client = NotebookClient(
        nb, kernel_name="python3", timeout=60, resources={"metadata": {"path": str(repo)}}
    )
    with kernel_environment(nb_path), client.setup_kernel():
        for index in (2, 5):
            client.execute_cell(nb.cells[index], index)

    run = nbtrack.get_run("rich")
    assert run.params == {"motto": "über ✓"}
    files = rundiff.snapshot_files(run)
    snap = json.loads(files["notebook.ipynb"])
    assert snap["metadata"]["kernelspec"]["name"] == "ml-env"
    assert [c["cell_type"] for c in snap["cells"]] == [
        "markdown", "raw", "code", "code", "code", "code"
    ]  # fmt: skip
    assert snap["cells"][0]["source"] == "# Résumé ✓ — 日本語のノート"
    assert snap["cells"][3]["outputs"][0]["data"]["image/png"] == PNG
    assert snap["cells"][3]["outputs"][1]["text"] == "naïve café ☕\n"
    placeholder = snap["cells"][4]["outputs"][0]
    assert "dropped from this snapshot" in placeholder["data"]["text/plain"]
    assert len(files["notebook.ipynb"]) < 100_000
    script = files["notebook.py"].decode()
    assert "# # Résumé ✓ — 日本語のノート" in script and "motto = 'über ✓'" in script
    done = cli(repo, "checkout", "rich", "-o", "back.ipynb")
    assert done.returncode == 0, done.stderr
    assert nbformat.read(repo / "back.ipynb", as_version=4).cells[1].cell_type == "raw"


DRIVER = textwrap.dedent(
    """
    import os, sys, nbformat
    from nbclient import NotebookClient
    path = sys.argv[1]
    os.environ["JPY_SESSION_NAME"] = path
    nb = nbformat.read(path, as_version=4)
    folder = os.path.dirname(path)
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": folder}}).execute()
    """
)


def test_two_kernels_snapshot_one_notebook_at_once(repo: Path) -> None:
    cells = ["%load_ext nbtrack"] + [f"%%track\nk = {i}\nnbtrack.log(loss={i})" for i in range(6)]
    nb_path = write_notebook(repo / "shared.ipynb", cells)
    (repo / "driver.py").write_text(DRIVER)
    procs = [
        subprocess.Popen(
            [sys.executable, "driver.py", str(nb_path)], cwd=repo, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()[-2000:]
    runs = nbtrack.runs()
    assert len(runs) == 12 and (runs["status"] == "finished").all()
    snapshots = set(runs["snapshot"])
    assert None not in snapshots and len(snapshots) == 12
    # One linear history on the notebook's ref holds every run's commit.
    chain = git(repo, "rev-list", "--first-parent", "refs/nbtrack/nb/shared.ipynb").split()
    assert set(chain) == snapshots


def test_without_git_on_path_the_run_works_and_says_why_there_is_no_snapshot(
    project: Path, tmp_path: Path
) -> None:
    empty_bin = tmp_path / "no-git-bin"
    empty_bin.mkdir()
    nb_path = write_notebook(
        project / "nogit.ipynb", ["%load_ext nbtrack", TRACKED.format(lr=3, loss=1)]
    )
    nb = run_notebook(nb_path, env={"PATH": str(empty_bin)})
    text = outputs_text(nb)
    assert "git was not found on PATH" in text and "runs are still recorded" in text
    run = nbtrack.get_run("nogit#1")
    assert run.status == "finished" and run.snapshot is None
    assert run.metrics["loss"]["count"] == 3
    done = cli(project, "checkout", "nogit#1")
    assert done.returncode == 1 and "has no snapshot" in done.stderr
