"""Media reads of a run read through `store=` use the storage of the project that
logged it, not the current folder's project; a store that names no project says
how to point at its media (NBTRACK_ARTIFACTS)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbtrack
from nbtrack.media.where import MediaStorageUnknownError, project_root_of


def _log(shade: int) -> str:
    with nbtrack.start_run(name="there") as run:
        nbtrack.log_image("pic", np.full((8, 8, 3), shade, dtype=np.uint8), step=3)
        nbtrack.log_table("per_class", pd.DataFrame({"f1": [0.5, 0.75]}))
        nbtrack.log_text("note", "from the other project")
    return run.ref


def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Another project, with media of its own, as the current folder."""
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    with nbtrack.start_run(name="here"):
        nbtrack.log_image("pic", np.zeros((4, 4), dtype=np.uint8))
    return other


def test_reads_through_another_projects_sqlite_store(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _log(77)
    url = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    _elsewhere(tmp_path, monkeypatch)
    run = nbtrack.get_run(ref, store=url)
    img = run.image("pic", array=True)
    assert img.shape == (8, 8, 3) and (img == 77).all()
    assert run.table("per_class")["f1"].tolist() == [0.5, 0.75]
    assert run.text("note") == "from the other project"
    # the current project's own run still reads from its own storage
    assert nbtrack.get_run("here").image("pic", array=True).shape == (4, 4)


def test_a_store_file_named_by_a_projects_pyproject(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text('[tool.nbtrack]\nstore = "sqlite:///runs/team.db"\n')
    (project / "runs").mkdir()
    ref = _log(5)
    url = f"sqlite:///{project / 'runs' / 'team.db'}"
    assert project_root_of(url) == project.resolve()
    _elsewhere(tmp_path, monkeypatch)
    assert (nbtrack.get_run(ref, store=url).image("pic", array=True) == 5).all()


def test_a_store_of_no_known_project(
    backend: str, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _log(200)
    monkeypatch.delenv("NBTRACK_STORE")  # the other folder keeps its runs in its own file
    _elsewhere(tmp_path, monkeypatch)
    run = nbtrack.get_run(ref, store=backend)
    if backend.startswith("sqlite"):  # a file in the logging project's .nbtrack/
        assert (run.image("pic", array=True) == 200).all()
        return
    with pytest.raises(MediaStorageUnknownError, match="NBTRACK_ARTIFACTS") as err:
        run.image("pic")
    assert "not this project's store" in str(err.value)
    monkeypatch.setenv("NBTRACK_ARTIFACTS", str(project / ".nbtrack" / "artifacts"))
    assert (run.image("pic", array=True) == 200).all()
