"""Artifacts travel in archives: versions, edges, aliases and (with
--with-artifacts) their blobs, into a fresh project on both store backends."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import nbtrack
from nbtrack.artifacts.context import forget_contexts
from nbtrack.artifacts.records import alias_history
from nbtrack.store import open_store
from nbtrack.transfer import export_runs, import_archive

FRAME = pd.DataFrame({"x": [1, 2, 3], "label": ["a", "b", "c"]})


@pytest.fixture(autouse=True)
def _fresh_artifact_contexts():
    forget_contexts()
    yield
    forget_contexts()


def _enter(folder: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbtrack.store import forget_stores

    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("NBTRACK_STORE", url)
    forget_contexts()
    forget_stores()


def _source(folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict]:
    """A project where `prep` logs a dataset and a folder, and `train` uses the
    dataset and logs a model; returns its store URL and the versions."""
    url = f"sqlite:///{folder / '.nbtrack' / 'nbtrack.db'}"
    _enter(folder, url, monkeypatch)
    images = folder / "images"
    (images / "sub").mkdir(parents=True)
    (images / "a.png").write_bytes(b"\x89PNG a" * 300)
    (images / "sub" / "b.png").write_bytes(b"\x89PNG b" * 500)
    with nbtrack.start_run(name="prep"):
        data = nbtrack.log_dataset(FRAME, "data", aliases="best")
        folder_v = nbtrack.log_artifact(images, name="images", type="images")
    (folder / "model.bin").write_bytes(b"weights" * 100)
    with nbtrack.start_run(name="train"):
        nbtrack.use_dataset("data")
        model = nbtrack.log_artifact(folder / "model.bin", name="model", type="model")
    return url, {"data": data, "images": folder_v, "model": model}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_round_trip_with_artifacts_into_a_fresh_project(
    backend: str, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src_url, made = _source(tmp_path / "src", monkeypatch)
    before = {ref: nbtrack.lineage(ref).to_dict() for ref in ("data", "images", "model")}
    moves = alias_history(open_store(src_url), "data")
    archive = tmp_path / "runs.nbtrack"
    out = export_runs(src_url, archive, project_root=tmp_path / "src", with_artifacts=True)
    assert (out.runs, out.artifacts, out.blobs_missing) == (2, 3, 0)

    _enter(project, backend, monkeypatch)
    done = import_archive(archive, backend, project_root=project)
    assert (done.runs, done.artifacts.versions, done.artifacts.missing) == (2, 3, 0)
    assert done.artifacts.blobs == out.blobs

    after = {ref: nbtrack.lineage(ref).to_dict() for ref in ("data", "images", "model")}
    assert after == before
    assert alias_history(open_store(backend), "data") == moves
    # Outside a run: reading records no edge, so lineage stays comparable.
    pd.testing.assert_frame_equal(nbtrack.use_dataset("data:best"), FRAME)
    checked_out = nbtrack.use_artifact("images:v1")
    assert _tree(checked_out) == _tree(tmp_path / "src" / "images")
    by_hash = nbtrack.use_artifact(f"model:{made['model'].hash[:10]}")
    assert by_hash.read_bytes() == b"weights" * 100

    again = import_archive(archive, backend, project_root=project)
    assert (again.runs, again.skipped, again.artifacts.versions) == (0, 2, 0)
    assert (again.artifacts.same, again.artifacts.edges) == (3, 0)
    assert len(nbtrack.artifacts()) == 3
    assert {ref: nbtrack.lineage(ref).to_dict() for ref in ("data", "images", "model")} == after
    assert alias_history(open_store(backend), "data") == moves


def test_taken_version_number_is_renumbered_and_hash_refs_keep_working(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src_url, made = _source(tmp_path / "src", monkeypatch)
    archive = tmp_path / "runs.nbtrack"
    export_runs(src_url, archive, project_root=tmp_path / "src", with_artifacts=True)

    target = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    _enter(project, target, monkeypatch)
    other = nbtrack.log_dataset(pd.DataFrame({"y": [9.0]}), "data", aliases="best")
    done = import_archive(archive, target, project_root=project)
    assert done.artifacts.renumbered == {"data:v1": "data:v2"}
    assert done.artifacts.aliases_kept == ["data:best"]
    assert nbtrack.use_dataset("data:best").equals(pd.DataFrame({"y": [9.0]}))  # not moved
    assert nbtrack.use_artifact("data:v1") != nbtrack.use_artifact("data:v2")
    pd.testing.assert_frame_equal(nbtrack.use_dataset(f"data:{made['data'].hash[:8]}"), FRAME)
    pd.testing.assert_frame_equal(nbtrack.use_dataset("data:v2"), FRAME)
    assert nbtrack.lineage("data:v2").to_dict()["versions"]["data:v2"]["id"] == made["data"].id
    assert other.version == 1


def test_without_blobs_versions_are_recorded_and_missing_files_counted(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src_url, _made = _source(tmp_path / "src", monkeypatch)
    archive = tmp_path / "runs.nbtrack"
    out = export_runs(src_url, archive, project_root=tmp_path / "src")
    assert (out.artifacts, out.blobs) == (3, 0)

    target = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    _enter(project, target, monkeypatch)
    done = import_archive(archive, target, project_root=project)
    assert (done.artifacts.versions, done.artifacts.blobs, done.artifacts.missing) == (3, 0, 3)
    assert sorted(nbtrack.artifacts()["name"]) == ["data", "images", "model"]
    assert not list((project / ".nbtrack" / "artifacts" / "blobs").rglob("*"))


def test_registered_models_travel_with_the_run_that_made_them(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src_url = f"sqlite:///{src / '.nbtrack' / 'nbtrack.db'}"
    _enter(src, src_url, monkeypatch)
    with nbtrack.start_run(name="train"):
        nbtrack.log_model({"w": 1}, "digits-mlp")
    nbtrack.registry.link("digits-mlp:v1", "digits-clf", aliases=["production"])
    cols = ["model", "version", "aliases", "source", "run"]
    before = nbtrack.registry.models("digits-clf")[cols]
    moves = nbtrack.registry.history("digits-clf")[["alias", "from_version", "to_version"]]
    archive = tmp_path / "runs.nbtrack"
    export_runs(src_url, archive, project_root=src, with_artifacts=True)

    target = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    _enter(project, target, monkeypatch)
    import_archive(archive, target, project_root=project)
    import_archive(archive, target, project_root=project)  # idempotent
    pd.testing.assert_frame_equal(nbtrack.registry.models("digits-clf")[cols], before)
    pd.testing.assert_frame_equal(
        nbtrack.registry.history("digits-clf")[["alias", "from_version", "to_version"]], moves
    )
    assert nbtrack.load_model("digits-clf@production") == {"w": 1}


def test_cli_export_with_artifacts_and_import_say_what_moved(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from nbtrack.cli import main

    _source(tmp_path / "src", monkeypatch)
    archive = tmp_path / "runs.nbtrack"
    assert main(["export", "--all", "-o", str(archive)]) == 0
    assert "3 artifact version(s), without their files (add --with-artifacts" in (
        capsys.readouterr().out
    )
    assert main(["export", "--all", "--with-artifacts", "-o", str(archive)]) == 0
    out = capsys.readouterr().out
    assert "exported 2 run(s)" in out and "3 artifact version(s), with 5 blob(s)" in out

    _enter(project, f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}", monkeypatch)
    assert main(["import", str(archive)]) == 0
    out = capsys.readouterr().out
    assert "artifacts: 3 new version(s), 0 already there, 5 blob(s) written" in out
    assert main(["import", str(archive)]) == 0
    assert "artifacts: 0 new version(s), 3 already there, 0 blob(s) written" in (
        capsys.readouterr().out
    )


def test_a_damaged_blob_stops_the_import_before_anything_is_written(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from nbtrack.transfer.archive import DamagedArchiveError

    src_url, made = _source(tmp_path / "src", monkeypatch)
    good = tmp_path / "runs.nbtrack"
    export_runs(src_url, good, project_root=tmp_path / "src", with_artifacts=True)
    bad = tmp_path / "bad.nbtrack"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == f"blobs/{made['model'].hash}":
                data = b"X" + data[1:]
            zout.writestr(item, data)

    target = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    _enter(project, target, monkeypatch)
    with pytest.raises(DamagedArchiveError, match="does not match its checksum"):
        import_archive(bad, target, project_root=project)
    assert len(nbtrack.runs(store=target)) == 0
    assert len(nbtrack.artifacts()) == 0


@pytest.mark.slow
def test_copy_to_the_team_store_keeps_artifacts_usable_in_the_same_project(
    backend: str, project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from nbtrack.cli import main

    local = f"sqlite:///{project / 'local.db'}"
    _enter(project, local, monkeypatch)
    with nbtrack.start_run(name="prep") as run:
        nbtrack.log_dataset(FRAME, "data")
    capsys.readouterr()
    assert main(["copy", "--from", local, "--to", backend]) == 0
    out = capsys.readouterr().out
    assert "artifacts: 1 new version(s), 0 already there" in out
    assert "have no files" not in out  # the project's storage holds them

    _enter(project, backend, monkeypatch)
    pd.testing.assert_frame_equal(nbtrack.use_dataset("data"), FRAME)
    assert nbtrack.artifacts()["made_by"].tolist() == [run.ref]
