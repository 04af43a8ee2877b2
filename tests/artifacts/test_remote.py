"""Blobs in remote storage through fsspec: S3 for real over HTTP against moto's
server (a separate process, as s3fs's own tests do), and file:// URLs. An
unreachable remote fails clearly, names the URL, and leaves nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from process_helpers import blob_files
from s3_server import free_port, moto_server

import nbtrack
from nbtrack.artifacts import ArtifactStorageError

pytestmark = pytest.mark.slow

BUCKET = "nbtrack-artifacts"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server(BUCKET) as url:
        yield url


def _use_s3(project: Path, endpoint: str, prefix: str) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.nbtrack]\n"
        f'artifacts = "s3://{BUCKET}/{prefix}"\n'
        "[tool.nbtrack.artifacts_options]\n"
        f'key = "test"\nsecret = "test"\nendpoint_url = "{endpoint}"\n'
    )


def _s3_blobs(endpoint: str, prefix: str) -> list[str]:
    import s3fs

    fs = s3fs.S3FileSystem(key="test", secret="test", endpoint_url=endpoint)
    fs.invalidate_cache()
    base = f"{BUCKET}/{prefix}/blobs"
    return sorted(p.rsplit("/", 1)[-1] for p in fs.find(base)) if fs.exists(base) else []


def test_s3_round_trip_dedup_and_gc(
    backend: str, project: Path, s3_endpoint: str, tmp_path: Path
) -> None:
    prefix = f"p{time.time_ns()}"
    _use_s3(project, s3_endpoint, prefix)
    data = project / "data"
    data.mkdir()
    for i in range(5):
        (data / f"{i}.txt").write_text(f"row {i}\n" * 100)
    with nbtrack.start_run() as run:
        v1 = nbtrack.log_artifact(data, name="data")
        nbtrack.log_dataset(pd.DataFrame({"x": range(100)}), "frame")
    (data / "0.txt").write_text("changed\n")
    v2 = nbtrack.log_artifact(data, name="data")
    assert (v1.version, v2.version) == (1, 2)
    stored = _s3_blobs(s3_endpoint, prefix)
    assert len(stored) == 5 + 1 + 1 + 1 + 1  # 5 files, v1 manifest, frame, new file, v2 manifest
    assert blob_files(project) == {}  # nothing kept locally
    back = nbtrack.use_artifact("data:v1")
    assert (back / "0.txt").read_text() == "row 0\n" * 100
    assert nbtrack.use_dataset("frame")["x"].sum() == sum(range(100))
    from nbtrack.artifacts import gc
    from nbtrack.artifacts.context import context_for

    ctx = context_for()
    ctx.store.delete_run(run.id)
    todo = gc.plan(ctx, grace=0)
    assert sorted(v.ref for v in todo.versions) == ["data:v1", "frame:v1"]
    gc.apply(ctx, todo)
    assert len(_s3_blobs(s3_endpoint, prefix)) == 5 + 1  # v2's files and manifest
    assert (nbtrack.use_artifact("data:v2") / "0.txt").read_text() == "changed\n"


def test_file_url_storage(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remote = tmp_path / "shared-blobs"
    monkeypatch.setenv("NBTRACK_ARTIFACTS", f"file://{remote}")
    (project / "a.bin").write_bytes(b"abc" * 1000)
    v = nbtrack.log_artifact("a.bin", name="a")
    assert (remote / "blobs" / v.hash[:2] / v.hash).read_bytes() == b"abc" * 1000
    assert not (project / ".nbtrack" / "artifacts" / "blobs").exists()


def test_unreachable_remote_fails_clearly_and_the_run_still_finishes(
    backend: str, project: Path
) -> None:
    port = free_port()  # nothing listens there
    (project / "pyproject.toml").write_text(
        "[tool.nbtrack]\n"
        'artifacts = "s3://bucket/prefix"\n'
        "[tool.nbtrack.artifacts_options]\n"
        f'key = "test"\nsecret = "hunter2-secret"\nendpoint_url = "http://127.0.0.1:{port}"\n'
        "[tool.nbtrack.artifacts_options.config_kwargs]\n"
        "connect_timeout = 2\nretries = {max_attempts = 1}\n"
    )
    (project / "a.bin").write_bytes(b"x" * 1000)
    with pytest.raises(ArtifactStorageError) as caught:
        with nbtrack.start_run() as run:
            nbtrack.log_artifact("a.bin", name="a")
    message = str(caught.value)
    assert "s3://bucket/prefix" in message and "nothing was recorded" in message
    assert "hunter2" not in message
    assert nbtrack.get_run(run.ref).status == "failed"
    assert len(nbtrack.artifacts()) == 0
    assert os.listdir(project / ".nbtrack") and blob_files(project) == {}


def test_doctor_names_the_storage_masked_and_whether_it_answers(
    project: Path, s3_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from nbtrack.cli import main

    prefix = f"p{time.time_ns()}"
    _use_s3(project, s3_endpoint, prefix)
    (project / "a.bin").write_bytes(b"abc")
    nbtrack.log_artifact("a.bin", name="a")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert f"s3://{BUCKET}/{prefix} (remote, reachable), 1 version(s) of 1 artifact(s)" in out
    port = free_port()  # nothing listens there
    (project / "pyproject.toml").write_text(
        "[tool.nbtrack]\n"
        'artifacts = "s3://bucket/prefix"\n'
        "[tool.nbtrack.artifacts_options]\n"
        f'key = "test"\nsecret = "hunter2-secret"\nendpoint_url = "http://127.0.0.1:{port}"\n'
        "[tool.nbtrack.artifacts_options.config_kwargs]\n"
        "connect_timeout = 2\nretries = {max_attempts = 1}\n"
    )
    from nbtrack.artifacts.context import forget_contexts

    forget_contexts()
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "artifacts       s3://bucket/prefix: cannot read the artifact storage" in out
    assert "hunter2" not in out


def _uploads(endpoint: str) -> list[dict[str, object]]:
    """The bucket's unfinished multipart uploads, as the S3 server keeps them."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    out = []
    for up in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []):
        parts = s3.list_parts(Bucket=BUCKET, Key=up["Key"], UploadId=up["UploadId"])
        out.append({"key": up["Key"], "parts": len(parts.get("Parts", []))})
    return out


def test_sigkill_mid_upload_leaves_no_half_blob_and_gc_aborts_the_upload(
    backend: str, project: Path, s3_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = f"p{time.time_ns()}"
    _use_s3(project, s3_endpoint, prefix)
    # One part at a time: s3fs sends 50 MiB parts, so 160 MiB is a multipart
    # upload of four whose first part lands well before the last.
    with open(project / "pyproject.toml", "a") as f:
        f.write("max_concurrency = 1\n")
    big = project / "big.bin"
    with open(big, "wb") as f:
        for _ in range(160):
            f.write(os.urandom(2**20))
    env = {**os.environ, "NBTRACK_STORE": backend}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")]
    )
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import nbtrack\n"
            "with nbtrack.start_run(name='upload'):\n"
            "    nbtrack.log_artifact('big.bin', name='big')\n",
        ],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # Kill once the server holds a started upload with a part in it.
        deadline = time.monotonic() + 600
        while not any(u["parts"] for u in _uploads(s3_endpoint)):
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, "the upload never started"
            time.sleep(0.05)
        child.kill()
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    pending = _uploads(s3_endpoint)
    assert len(pending) == 1 and str(pending[0]["key"]).startswith(f"{prefix}/blobs/")
    assert 1 <= int(pending[0]["parts"]) < 4  # killed mid-upload, not after it
    # Nothing half-visible: no blob object, no version recorded.
    assert _s3_blobs(s3_endpoint, prefix) == []
    assert len(nbtrack.artifacts()) == 0
    assert nbtrack.runs()["name"].tolist() == ["upload"]

    from nbtrack.cli import main

    assert main(["gc", "--dry-run", "--grace", "0"]) == 0
    out = capsys.readouterr().out
    assert f"would remove unfinished upload s3://{BUCKET}/{pending[0]['key']}" in out
    assert _uploads(s3_endpoint) == pending  # a dry run aborts nothing
    assert main(["gc", "--grace", "0"]) == 0
    assert "1 temporary file(s)" in capsys.readouterr().out
    assert _uploads(s3_endpoint) == []

    # Logging again stores the whole blob and records the version.
    v = nbtrack.log_artifact("big.bin", name="big")
    assert v.version == 1 and v.size == 160 * 2**20
    assert _s3_blobs(s3_endpoint, prefix) == [v.hash]
    assert _uploads(s3_endpoint) == []
