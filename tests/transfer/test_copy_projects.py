"""`nbtrack copy` from another project's store: the runs' notebook snapshots and
artifact blobs follow them (they live in the project, not the store), so `checkout`,
`diff` and `use_artifact` of the copied runs work in the target project; what the
source project lacks is named, with what to run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import nbtrack
from nbtrack.artifacts.context import forget_contexts
from nbtrack.store import forget_stores, open_store
from nbtrack.transfer.load import project_for_store
from nbtrack.versioning import commit_snapshot, ref_for_notebook

WEIGHTS = b"weights" * 1000


def _enter(folder: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    monkeypatch.setenv("NBTRACK_STORE", url)
    forget_contexts()
    forget_stores()


def _notebook(text: str) -> bytes:
    cell = {"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {},
            "outputs": [], "source": text}  # fmt: skip
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5}).encode()  # fmt: skip


def _source(folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A git project whose store holds train#1 and train#2 (each with a snapshot, #1
    logging a model) and train#3, whose snapshot was made in a clone not pulled here."""
    folder.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    url = f"sqlite:///{folder / '.nbtrack' / 'nbtrack.db'}"
    _enter(folder, url, monkeypatch)
    notebook = folder / "train.ipynb"
    notebook.write_text("{}")
    ref = ref_for_notebook(folder, notebook)
    store = open_store(url)
    for lr in (0.1, 0.2, 0.3):
        with nbtrack.start_run(params={"lr": lr}, notebook=notebook) as run:
            if lr == 0.1:
                (folder / "model.bin").write_bytes(WEIGHTS)
                nbtrack.log_artifact(folder / "model.bin", name="model", type="model")
        if lr < 0.3:
            files = {"notebook.ipynb": _notebook(f"lr = {lr}")}
            commit = commit_snapshot(folder, files, ref, f"lr={lr}")
        else:
            commit = "0123456789abcdef0123456789abcdef01234567"
        store.update_run(run.id, snapshot=commit)
    return url


def test_project_for_store() -> None:
    here = Path("/work/here")
    assert project_for_store("sqlite:////a/b/.nbtrack/nbtrack.db", here) == Path("/a/b")
    assert project_for_store("sqlite:////a/b/local.db", here) == here
    assert project_for_store("postgresql+psycopg://u:p@db/team", here) == here


@pytest.mark.slow
def test_copy_from_another_project_carries_snapshots_and_blobs(
    backend: str,
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from nbtrack.cli import main

    src = _source(tmp_path / "src", monkeypatch)
    _enter(project, backend, monkeypatch)  # the target: this project, the backend's store
    capsys.readouterr()
    assert main(["copy", "--from", src, "--to", backend]) == 0
    out = capsys.readouterr().out
    assert "imported 3 run(s)" in out
    assert "artifacts: 1 new version(s), 0 already there, 1 blob(s) written" in out
    assert "2 snapshot(s) into" in out
    # train#3's snapshot is in no repository of the source project: named, with the fix.
    assert "1 run snapshot(s) are not in" in out and "`nbtrack pull` there" in out

    out_nb = tmp_path / "out.ipynb"
    assert main(["checkout", "train#2", "-o", str(out_nb)]) == 0
    assert json.loads(out_nb.read_text())["cells"][0]["source"] == "lr = 0.2"
    capsys.readouterr()
    assert main(["diff", "train#1", "train#2"]) == 0
    shown = capsys.readouterr().out
    assert "lr = 0.1" in shown and "lr = 0.2" in shown
    assert nbtrack.use_artifact("model:v1").read_bytes() == WEIGHTS
    assert (project / ".nbtrack" / "artifacts" / "blobs").is_dir()  # the target's own copy

    # Again: nothing new, nothing fails, the same message for what is still missing.
    assert main(["copy", "--from", src, "--to", backend]) == 0
    again = capsys.readouterr().out
    assert "imported 0 run(s)" in again and "3 already there" in again
    assert "1 run snapshot(s) are not in" in again
    forget_contexts()


@pytest.mark.slow
def test_copy_names_blobs_the_source_project_lacks(
    backend: str,
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shutil

    from nbtrack.cli import main

    src = _source(tmp_path / "src", monkeypatch)
    shutil.rmtree(tmp_path / "src" / ".nbtrack" / "artifacts" / "blobs")  # logged elsewhere
    _enter(project, backend, monkeypatch)
    capsys.readouterr()
    assert main(["copy", "--from", src, "--to", backend]) == 0
    out = capsys.readouterr().out
    assert "1 artifact version(s) have no files in" in out
    assert "run `nbtrack pull` in the project that logged them" in out
    with pytest.raises(nbtrack.NbtrackError, match="nbtrack pull"):
        nbtrack.use_artifact("model:v1")
    forget_contexts()
