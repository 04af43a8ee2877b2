"""Importing an archive's blobs into remote artifact storage goes through the
artifacts blob API: S3 for real over HTTP against moto's server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from s3_server import moto_server

import nbtrack
from nbtrack.artifacts.context import forget_contexts
from nbtrack.transfer import export_runs, import_archive

pytestmark = pytest.mark.slow
pytest.importorskip("moto")
pytest.importorskip("s3fs")

BUCKET = "nbtrack-transfer"


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    with moto_server(BUCKET) as url:
        yield url


def test_import_writes_blobs_into_s3_storage(
    project: Path, tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3fs

    from nbtrack.store import forget_stores

    src = tmp_path / "src"
    src.mkdir()
    src_url = f"sqlite:///{src / '.nbtrack' / 'nbtrack.db'}"
    monkeypatch.chdir(src)
    monkeypatch.setenv("NBTRACK_STORE", src_url)
    frame = pd.DataFrame({"x": range(50)})
    with nbtrack.start_run(name="prep"):
        version = nbtrack.log_dataset(frame, "frame")
    archive = tmp_path / "runs.nbtrack"
    export_runs(src_url, archive, project_root=src, with_artifacts=True)

    (project / "pyproject.toml").write_text(
        "[tool.nbtrack]\n"
        f'artifacts = "s3://{BUCKET}/team"\n'
        "[tool.nbtrack.artifacts_options]\n"
        f'key = "test"\nsecret = "test"\nendpoint_url = "{s3_endpoint}"\n'
    )
    target = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    monkeypatch.chdir(project)
    monkeypatch.setenv("NBTRACK_STORE", target)
    forget_contexts()
    forget_stores()
    done = import_archive(archive, target, project_root=project)
    assert (done.artifacts.blobs, done.artifacts.missing) == (1, 0)
    fs = s3fs.S3FileSystem(key="test", secret="test", endpoint_url=s3_endpoint)
    assert [p.rsplit("/", 1)[-1] for p in fs.find(f"{BUCKET}/team/blobs")] == [version.hash]
    assert not (project / ".nbtrack" / "artifacts" / "blobs").exists()
    pd.testing.assert_frame_equal(nbtrack.use_dataset("frame"), frame)
    forget_contexts()
