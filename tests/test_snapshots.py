"""Snapshots made by %%track in a real IPython shell, diffs, checkout and replay.

Real git repositories in temp folders; the kernel-level cases (nbclient) are in
test_snapshot_kernels.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import nbtrack
from nbtrack import rundiff
from nbtrack.cli import main
from nbtrack.snapshots import commit_message, redact_files


@pytest.fixture
def ip(project: Path):
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    start_ipython()
    shell = get_ipython()
    shell.run_line_magic("load_ext", "nbtrack")
    yield shell
    shell.run_line_magic("unload_ext", "nbtrack")
    nbtrack.context.set_notebook(None)


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, check=True
    ).stdout


def make_repo(folder: Path) -> None:
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.name", "Ada")
    git(folder, "config", "user.email", "ada@example.com")


def notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def track(ip, body: str, options: str = "") -> None:
    result = ip.run_cell(f"%%track {options}\n{body}", store_history=True)
    assert result.success, result.error_in_exec


# -- pure parts ----------------------------------------------------------------------


def test_commit_message_names_the_run_and_its_changed_params() -> None:
    first = commit_message("train#1", None, {"lr": 0.1})
    assert first.splitlines()[0] == "train#1: first snapshot of this notebook"
    msg = commit_message("train#2", {"lr": 0.1, "old": 1}, {"lr": 0.01, "dropout": 0.2})
    subject = msg.splitlines()[0]
    assert subject == "train#2: +dropout=0.2, lr 0.1 → 0.01, -old"
    assert commit_message("train#3", {"lr": 1}, {"lr": 1}).startswith("train#3: params unchanged")


def test_commit_subject_stays_short_and_the_body_keeps_every_change() -> None:
    params = {f"param_{i}": i for i in range(30)}
    msg = commit_message("x#2", {}, params)
    subject, _, body = msg.partition("\n\n")
    assert len(subject) <= 72 and subject.endswith("…")
    assert "+param_29=29" in body


def test_redact_files_masks_secrets_and_their_json_escaped_form() -> None:
    files = {"a.py": b'token = "s3cr\\"et-value"\nplain s3cr"et-value', "b": b"clean"}
    out = redact_files(files, ['s3cr"et-value'])
    assert b"s3cr" not in out["a.py"] and out["a.py"].count(b"[redacted]") == 2
    assert out["b"] == b"clean"


# -- snapshots from %%track --------------------------------------------------------------


def test_each_run_commits_a_snapshot_on_a_hidden_ref(ip, project: Path) -> None:
    make_repo(project)
    nb = notebook(project / "train.ipynb", "lr = 0.1")
    ip.run_line_magic("nbtrack", f"notebook {nb}")
    ip.run_cell("data = [1, 2, 3]", store_history=True)
    track(ip, "lr = 0.1\nnbtrack.log(loss=1.0)")
    track(ip, "lr = 0.01\nnbtrack.log(loss=0.5)")

    runs = nbtrack.runs()
    assert runs["snapshot"].notna().all()
    newest, oldest = nbtrack.get_run("train#2"), nbtrack.get_run("train#1")
    assert newest.snapshot == runs["snapshot"].iloc[0]
    ref = "refs/nbtrack/nb/train.ipynb"
    log = git(project, "log", "--format=%H %s", ref).splitlines()
    assert log == [
        f"{newest.snapshot} train#2: lr 0.1 → 0.01",
        f"{oldest.snapshot} train#1: first snapshot of this notebook",
    ]
    files = git(project, "ls-tree", "--name-only", newest.snapshot).split()
    assert files == [
        "cell.py",
        "history.py",
        "notebook.ipynb",
        "notebook.py",
        "replay.json",
        "run.json",
    ]
    info = json.loads(git(project, "show", f"{newest.snapshot}:run.json"))
    assert info["name"] == "train#2" and info["params"] == {"lr": 0.01}
    # The user's repository is untouched: no commits on HEAD, nothing staged.
    assert git(project, "for-each-ref", "refs/heads") == ""
    assert git(project, "status", "--porcelain") == "?? train.ipynb\n"


def test_history_holds_what_ran_in_order_and_replay_reruns_it(ip, project: Path) -> None:
    make_repo(project)
    ip.run_cell("base = 10", store_history=True)
    ip.run_cell("base = base * 2", store_history=True)
    track(ip, "scale = 3\nresult = base * scale\nnbtrack.log(result=result)", "-n scaled")

    script = rundiff.replay_script("scaled")
    assert script.index("base = 10") < script.index("base = base * 2") < script.index("scale = 3")
    assert "# ran as: %%track -n scaled" in script
    # Replaying the script in a fresh interpreter re-creates the state the run had.
    (project / "replay.py").write_text(script + "\nprint('result', result)\n")
    out = subprocess.run(
        [sys.executable, "-m", "IPython", "--quick", "--no-banner", "replay.py"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "result 60" in out
    assert len(nbtrack.runs()) == 1  # replaying recorded no run


def test_without_a_notebook_path_the_snapshot_keeps_cell_and_history(ip, project: Path) -> None:
    make_repo(project)
    track(ip, "lr = 0.3", "-n anon")
    run = nbtrack.get_run("anon")
    files = rundiff.snapshot_files(run)
    assert set(files) == {"cell.py", "history.py", "replay.json", "run.json"}
    assert files["cell.py"].rstrip() == b"lr = 0.3"
    notes = json.loads(files["run.json"])["snapshot_notes"]
    assert any("no notebook path" in n for n in notes)
    with pytest.raises(nbtrack.NbtrackError, match="holds no notebook"):
        rundiff.snapshot_notebook(run)


def test_outside_git_snapshots_go_to_a_private_repository(ip, project: Path) -> None:
    nb = notebook(project / "nb.ipynb", "x = 1")
    ip.run_line_magic("nbtrack", f"notebook {nb}")
    track(ip, "x = 1")
    assert not (project / ".git").exists()
    private = project / ".nbtrack" / "snapshots.git"
    sha = nbtrack.get_run("latest").snapshot
    out = subprocess.run(
        ["git", f"--git-dir={private}", "cat-file", "-t", sha], capture_output=True, text=True
    )
    assert out.stdout.strip() == "commit"


def test_no_snapshot_option_and_project_setting(ip, project: Path) -> None:
    make_repo(project)
    track(ip, "a = 1", "--no-snapshot")
    assert nbtrack.get_run("latest").snapshot is None
    (project / "pyproject.toml").write_text("[tool.nbtrack]\nsnapshot = false\n")
    track(ip, "a = 2")
    assert nbtrack.get_run("latest").snapshot is None
    assert git(project, "for-each-ref", "refs/nbtrack") == ""


def test_secret_environment_values_never_reach_the_snapshot(
    ip, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_repo(project)
    secret = "tok-0123456789abcdef"
    monkeypatch.setenv("SERVICE_API_TOKEN", secret)
    nb = notebook(project / "s.ipynb", f"print('{secret}')")
    ip.run_line_magic("nbtrack", f"notebook {nb}")
    ip.run_cell(f"key = '{secret}'", store_history=True)
    track(ip, f"use = '{secret}'")
    files = rundiff.snapshot_files("latest")
    for path, data in files.items():
        assert secret.encode() not in data, path
    assert b"[redacted]" in files["cell.py"] and b"[redacted]" in files["history.py"]


# -- diff --------------------------------------------------------------------------------


def test_diff_reports_params_metrics_cell_script_and_notebook(ip, project: Path) -> None:
    make_repo(project)
    nb_path = notebook(project / "exp.ipynb", "lr = 0.1\nnbtrack.log(loss=1.0)")
    ip.run_line_magic("nbtrack", f"notebook {nb_path}")
    track(ip, "lr = 0.1\nepochs = 3\nnbtrack.log(loss=1.0)")
    notebook(nb_path, "lr = 0.01\nnbtrack.log(loss=0.5)", "print('new cell')")
    track(ip, "lr = 0.01\nnbtrack.log(loss=0.5)")

    d = nbtrack.diff("exp#1", "exp#2")
    assert d.params.changed == {"lr": (0.1, 0.01)} and d.params.removed == {"epochs": 3}
    assert d.metrics["loss"].delta_last == pytest.approx(-0.5)
    assert "-lr = 0.1" in d.cell.unified and "+lr = 0.01" in d.cell.unified
    assert "+print('new cell')" in d.script.unified
    assert [c.change for c in d.notebook.cells] == ["modified", "added"]
    html = d._repr_html_()
    assert "exp#1" in html and "0.01" in html and "new cell" in html
    text = str(d)
    assert "~ lr: 0.1 → 0.01" in text and "- epochs: 3" in text

    same = nbtrack.diff("exp#2", "exp#2")
    assert same.is_empty and str(same) == "no difference between exp#2 and exp#2\n"


def test_diff_of_two_runs_with_one_name_labels_them_by_reference(ip, project: Path) -> None:
    ip.run_line_magic("nbtrack", f"notebook {notebook(project / 'run.ipynb', 'lr = 1')}")
    track(ip, "lr = 1", "-n baseline")
    track(ip, "lr = 2", "-n baseline")
    d = nbtrack.diff("baseline~1", "baseline")
    assert (d.a_name, d.b_name) == ("run#1", "run#2")


def test_diff_html_shows_user_text_as_text(ip, project: Path) -> None:
    ip.run_line_magic("nbtrack", f"notebook {notebook(project / 'run.ipynb', 'lr = 1')}")
    track(ip, "lr = 1", "-n '<img src=x onerror=alert(1)>'")
    track(ip, "lr = 2", "-n b")
    html = nbtrack.diff("run#1", "b")._repr_html_()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_percent_nbtrack_diff_returns_the_diff(ip, project: Path) -> None:
    track(ip, "lr = 1", "-n a")
    track(ip, "lr = 2", "-n b")
    d = ip.run_line_magic("nbtrack", "diff a b")
    assert d.params.changed == {"lr": (1, 2)}
    shown = ip.display_formatter.format(d)[0]["text/plain"]  # what the terminal shell prints
    assert shown.startswith("a → b") and "~ lr: 1 → 2" in shown


def test_pair_writes_the_script_and_sets_jupytext_formats(ip, project: Path, capsys) -> None:
    nb = notebook(project / "paired.ipynb", "x = 1")
    ip.run_line_magic("nbtrack", f"notebook {nb}")
    ip.run_line_magic("nbtrack", "pair")
    assert "paired paired.ipynb with paired.py" in capsys.readouterr().out
    meta = nbformat.read(nb, as_version=4).metadata
    assert meta["jupytext"]["formats"] == "ipynb,py:percent"
    assert "# %%\nx = 1" in (project / "paired.py").read_text()


def test_pair_without_a_known_notebook_says_what_to_do(ip, project: Path, capsys) -> None:
    ip.run_line_magic("nbtrack", "pair")
    assert "%nbtrack notebook PATH" in capsys.readouterr().err


# -- CLI ------------------------------------------------------------------------------------


@pytest.fixture
def two_runs(ip, project: Path) -> Path:
    make_repo(project)
    nb_path = notebook(project / "cli.ipynb", "lr = 0.1")
    ip.run_line_magic("nbtrack", f"notebook {nb_path}")
    track(ip, "lr = 0.1\nnbtrack.log(loss=2.0)")
    notebook(nb_path, "lr = 0.2")
    track(ip, "lr = 0.2\nnbtrack.log(loss=1.0)")
    return nb_path


def test_cli_diff_text_json_and_html(two_runs: Path, project: Path, capsys) -> None:
    assert main(["diff", "cli#1", "cli#2"]) == 0
    out = capsys.readouterr().out
    assert "~ lr: 0.1 → 0.2" in out and "\x1b[" not in out  # not a tty: no colour
    assert main(["diff", "cli#1", "cli#2", "--color", "always"]) == 0
    assert "\x1b[" in capsys.readouterr().out
    assert main(["diff", "cli#1", "cli#2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"params", "metrics", "cell", "script", "notebook", "inputs", "media"}
    assert data["params"]["changed"] == {"lr": {"old": 0.1, "new": 0.2}}
    assert data["notebook"]["diff"] and data["notebook"]["base"]["cells"]
    assert main(["diff", "cli#2", "cli#2", "--html", "page.html"]) == 0
    assert "no difference" in capsys.readouterr().out
    page = (project / "page.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "no difference" in page


def test_cli_diff_unknown_run_fails_with_a_message(two_runs: Path, capsys) -> None:
    assert main(["diff", "cli#1", "cli#9"]) == 1
    assert "cli#9" in capsys.readouterr().err


def test_cli_checkout_writes_the_notebook_and_never_overwrites(two_runs: Path, capsys) -> None:
    assert main(["checkout", "cli#1"]) == 0
    target = two_runs.parent / "cli@cli#1.ipynb"
    nb = nbformat.read(target, as_version=4)
    assert nb.cells[0].source == "lr = 0.1"
    assert main(["checkout", "cli#1"]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["checkout", "cli#2", "-o", str(target), "--force"]) == 0
    assert nbformat.read(target, as_version=4).cells[0].source == "lr = 0.2"


def test_cli_replay_prints_or_writes_the_history(two_runs: Path, project: Path, capsys) -> None:
    assert main(["replay", "cli#2"]) == 0
    out = capsys.readouterr().out
    assert out.index("lr = 0.1") < out.index("lr = 0.2")
    assert main(["replay", "cli#1", "-o", "r.py"]) == 0
    assert "lr = 0.1" in (project / "r.py").read_text()


def test_cli_checkout_of_a_run_without_snapshot_explains(ip, project: Path, capsys) -> None:
    track(ip, "a = 1", "--no-snapshot -n bare")
    assert main(["checkout", "bare"]) == 1
    assert "has no snapshot" in capsys.readouterr().err


def test_snapshot_refs_can_be_pushed_and_read_in_another_clone(
    ip, project: Path, tmp_path: Path
) -> None:
    make_repo(project)
    nb_path = notebook(project / "shared.ipynb", "lr = 0.5")
    git(project, "add", "shared.ipynb")
    git(project, "commit", "-qm", "notebook")
    ip.run_line_magic("nbtrack", f"notebook {nb_path}")
    track(ip, "lr = 0.5")
    sha = nbtrack.get_run("latest").snapshot
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "push", "-q", str(remote), "main", "refs/nbtrack/*:refs/nbtrack/*")

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-local", str(remote), str(clone))
    with pytest.raises(nbtrack.NbtrackError, match="fetch it with"):
        nbtrack.versioning.read_snapshot(clone, sha)
    git(clone, "fetch", "-q", "origin", "refs/nbtrack/*:refs/nbtrack/*")
    files = nbtrack.versioning.read_snapshot(clone, sha)
    assert files["cell.py"].rstrip() == b"lr = 0.5"
    assert git(clone, "log", "--format=%s", "refs/nbtrack/nb/shared.ipynb").startswith("shared#1")


def test_a_failing_snapshot_is_reported_and_the_run_still_finishes(
    ip, project: Path, capsys
) -> None:
    (project / ".nbtrack").mkdir(exist_ok=True)
    (project / ".nbtrack" / "snapshots.git").write_text("not a repository")
    track(ip, "lr = 1\nnbtrack.log(loss=1.0)", "-n unsnapped")
    run = nbtrack.get_run("unsnapped")
    assert run.status == "finished" and run.snapshot is None
    assert run.metrics["loss"]["count"] == 1
    assert "nbtrack: no notebook snapshot for this run:" in capsys.readouterr().err


def test_a_snapshot_committed_while_the_store_is_busy_is_not_reported_missing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot thread records its commit on the run as soon as it has one; when
    the store cannot take that write (locked, unreachable), the run's end records
    it, and nothing may claim the run has no snapshot."""
    import sqlite3

    from nbtrack import tracking
    from nbtrack.store import engine, sqlite_files

    # Before the store opens: its engine's and its writer's connections give up on
    # the lock after 0.5 s, not the store's 60 s.
    for module in (engine, sqlite_files):
        monkeypatch.setattr(module, "SQLITE_BUSY_TIMEOUT_S", 0.5)
    make_repo(project)
    path = notebook(project / "busy.ipynb", "lr = 1")
    run = tracking.begin_run(name="busy", notebook=path, cell_source="lr = 1", snapshot=True)
    job = run.snapshot_job
    assert job is not None and job.thread is not None
    holder = sqlite3.connect(project / ".nbtrack" / "nbtrack.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock...
    try:
        job.thread.join(timeout=300)  # ...while the snapshot commits and tries to record it
        assert not job.thread.is_alive() and job.commit is not None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    tracking.end_run(run, "finished")
    assert not [w for w in run.warnings if "no notebook snapshot" in w], run.warnings
    assert run.snapshot == job.commit and nbtrack.get_run("busy").snapshot == job.commit


def test_late_params_are_what_the_snapshot_says(ip, project: Path) -> None:
    """-p NAME is read again at the end of the cell, and log_params adds params while
    it runs: the snapshot's run.json and commit message say the values the run
    recorded, not those of the cell's start."""
    make_repo(project)
    nb = notebook(project / "train.ipynb", "lr = 0.1")
    ip.run_line_magic("nbtrack", f"notebook {nb}")
    # A cell long enough for a snapshot that does not wait to be committed before
    # its end (deterministically: it waits for the commit unless it is deferred).
    settle = (
        "job = nbtrack.active_run().snapshot_job\n"
        "if job.params_final is None:\n"
        "    job.thread.join()\n"
    )
    ip.run_cell("best = 0", store_history=True)
    track(ip, "lr = 0.1\n" + settle + "best = 7\nnbtrack.log(loss=1.0)", "-p best")
    track(ip, "lr = 0.1\n" + settle + "nbtrack.log_params(width=64)\nnbtrack.log(loss=0.5)")

    first, second = nbtrack.get_run("train#1"), nbtrack.get_run("train#2")
    assert first.params == {"lr": 0.1, "best": 7}
    info = json.loads(git(project, "show", f"{first.snapshot}:run.json"))
    assert info["params"] == {"lr": 0.1, "best": 7}
    assert git(project, "log", "-1", "--format=%s", first.snapshot).strip() == (
        "train#1: first snapshot of this notebook"
    )
    assert second.params == {"lr": 0.1, "width": 64}
    info = json.loads(git(project, "show", f"{second.snapshot}:run.json"))
    assert info["params"] == {"lr": 0.1, "width": 64}
    subject = git(project, "log", "-1", "--format=%s", second.snapshot).strip()
    assert subject == "train#2: -best, +width=64"
