"""Importing an archive's blobs into remote artifact storage goes through the
artifacts blob API: S3 for real over HTTP against moto's server process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import nbtrack
from nbtrack.artifacts.context import forget_contexts
from nbtrack.transfer import export_runs, import_archive

pytestmark = pytest.mark.slow
pytest.importorskip("moto")
pytest.importorskip("s3fs")

BUCKET = "nbtrack-transfer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a startup condition, not a bound on the test
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("moto's S3 server did not start") from None
            time.sleep(0.2)
    import s3fs

    s3fs.S3FileSystem(key="test", secret="test", endpoint_url=url).mkdir(BUCKET)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


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
