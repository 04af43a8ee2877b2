"""`nbtrack push` / `nbtrack pull` carry artifact blobs: two clones of one git
remote share one store but keep their blobs locally; after Ada pushes and Bob
pulls, Bob's `use_artifact("model:v1")` reads Ada's bytes. The artifact remote is a
real S3-compatible server (moto's server process) or a shared folder."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from s3_server import BUCKET, moto_server

import nbtrack
from nbtrack.artifacts import ArtifactStorageError
from nbtrack.artifacts.context import forget_contexts
from nbtrack.transfer.blobsync import not_configured, pull_blobs, push_blobs

WEIGHTS = bytes(range(256)) * 4096  # 1 MiB


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def _remote(tmp_path: Path, pyproject: str) -> Path:
    """A bare git remote whose first commit holds the team's pyproject.toml."""
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(path), str(seed))
    (seed / "pyproject.toml").write_text(pyproject)
    git(seed, "add", "pyproject.toml")
    git(seed, "-c", "user.name=s", "-c", "user.email=s@x", "commit", "-q", "-m", "init")
    git(seed, "push", "-q", "origin", "HEAD")
    return path


def _clone(tmp_path: Path, remote: Path, name: str) -> Path:
    path = tmp_path / name
    git(tmp_path, "clone", "-q", "--no-local", str(remote), str(path))
    git(path, "config", "user.name", name)
    git(path, "config", "user.email", f"{name}@example.com")
    return path


def _python(clone: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=clone, capture_output=True,
                          text=True, check=False)  # fmt: skip


def _cli(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nbtrack", *args], cwd=clone,
                          capture_output=True, text=True, check=False)  # fmt: skip


LOG = """
import pathlib, nbtrack
pathlib.Path("weights.bin").write_bytes(bytes(range(256)) * 4096)
with nbtrack.start_run(name="train"):
    print(nbtrack.log_artifact("weights.bin", name="model", type="model").ref)
"""
USE = """
import nbtrack
print(nbtrack.use_artifact("model:v1"))
"""


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _s3_pyproject(endpoint: str) -> str:
    return (
        "[tool.nbtrack]\n"
        f'artifacts_remote = "s3://{BUCKET}/team"\n'
        "[tool.nbtrack.artifacts_remote_options]\n"
        f'key = "test"\nsecret = "test"\nendpoint_url = "{endpoint}"\n'
    )


@pytest.mark.slow
def test_pull_then_use_artifact_in_a_second_clone_through_s3(
    backend: str, tmp_path: Path, s3_endpoint: str
) -> None:
    import s3fs

    remote = _remote(tmp_path, _s3_pyproject(s3_endpoint))
    ada, bob = _clone(tmp_path, remote, "ada"), _clone(tmp_path, remote, "bob")
    made = _python(ada, LOG)  # the shared store: NBTRACK_STORE, set by `backend`
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "model:v1"

    before = _python(bob, USE)
    assert before.returncode != 0
    assert "nbtrack pull" in before.stderr  # says what to run

    pushed = _cli(ada, "push")
    assert pushed.returncode == 0, pushed.stderr
    assert f"pushed 1 blob(s) (1.0 MB) to s3://{BUCKET}/team; 0 already there" in pushed.stdout
    fs = s3fs.S3FileSystem(key="test", secret="test", endpoint_url=s3_endpoint)
    assert len(fs.find(f"{BUCKET}/team/blobs")) == 1
    assert "secret" not in pushed.stdout + pushed.stderr

    pulled = _cli(bob, "pull")
    assert pulled.returncode == 0, pulled.stderr
    assert f"pulled 1 blob(s) (1.0 MB) from s3://{BUCKET}/team" in pulled.stdout
    after = _python(bob, USE)
    assert after.returncode == 0, after.stderr
    assert Path(after.stdout.strip()).read_bytes() == WEIGHTS

    # Both again: nothing moves, nothing fails.
    again = _cli(ada, "push")
    assert "pushed 0 blob(s) (0 B)" in again.stdout and "1 already there" in again.stdout
    again = _cli(bob, "pull")
    assert "pulled 0 blob(s) (0 B)" in again.stdout and "1 already there" in again.stdout


@pytest.mark.slow
def test_unreachable_artifact_remote_fails_clearly_and_pushes_nothing(
    backend: str, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    remote = _remote(tmp_path, _s3_pyproject(dead))
    ada = _clone(tmp_path, remote, "ada")
    assert _python(ada, LOG).returncode == 0
    from nbtrack.versioning import commit_snapshot, ref_for_notebook

    ref = ref_for_notebook(ada, ada / "train.ipynb")
    commit_snapshot(ada, {"cell.py": b"x"}, ref, "train#1")

    done = _cli(ada, "push")
    assert done.returncode == 1
    assert f"s3://{BUCKET}/team" in done.stderr and "secret" not in done.stderr
    # Blobs go first: the failed upload left the git remote untouched too.
    assert git(remote, "for-each-ref", "refs/nbtrack-clones/") == ""
    snapshots_only = _cli(ada, "push", "--no-artifacts")
    assert snapshots_only.returncode == 0, snapshots_only.stderr
    assert git(remote, "for-each-ref", "refs/nbtrack-clones/") != ""


def test_a_shared_folder_per_git_remote_and_a_clear_hint_without_one(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = _remote(tmp_path, "[tool.nbtrack]\n")
    ada, bob = _clone(tmp_path, remote, "ada"), _clone(tmp_path, remote, "bob")
    monkeypatch.chdir(ada)
    forget_contexts()
    with nbtrack.start_run(name="train"):
        (ada / "weights.bin").write_bytes(WEIGHTS)
        version = nbtrack.log_artifact(ada / "weights.bin", name="model", type="model")
    forget_contexts()

    # No artifact remote: the blob stays here, and push says how to set one.
    alone = push_blobs(ada, backend, "origin")
    assert (alone.remote, alone.stranded) == (None, 1)
    assert "git config remote.origin.nbtrackArtifacts URL" in not_configured("origin")
    assert "artifacts_remote" in not_configured("origin")
    assert pull_blobs(bob, backend, "origin").stranded == 1  # Bob lacks it, and can't reach it

    shared = tmp_path / "team-artifacts"
    for clone in (ada, bob):
        git(clone, "config", "remote.origin.nbtrackArtifacts", str(shared))
    pulled = pull_blobs(bob, backend, "origin")
    assert (pulled.moved, pulled.stranded) == (0, 1)  # not pushed yet
    pushed = push_blobs(ada, backend, "origin")
    assert (pushed.moved, pushed.size, pushed.present) == (1, len(WEIGHTS), 0)
    assert (shared / "blobs" / version.hash[:2] / version.hash).read_bytes() == WEIGHTS
    pulled = pull_blobs(bob, backend, "origin")
    assert (pulled.moved, pulled.stranded) == (1, 0)

    monkeypatch.chdir(bob)
    forget_contexts()
    assert nbtrack.use_artifact("model:v1").read_bytes() == WEIGHTS
    forget_contexts()


def test_a_damaged_blob_in_the_artifact_remote_is_refused(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = _remote(tmp_path, '[tool.nbtrack]\nartifacts_remote = "../team-artifacts"\n')
    ada, bob = _clone(tmp_path, remote, "ada"), _clone(tmp_path, remote, "bob")
    monkeypatch.chdir(ada)
    forget_contexts()
    (ada / "weights.bin").write_bytes(WEIGHTS)
    version = nbtrack.log_artifact(ada / "weights.bin", name="model")
    forget_contexts()
    assert push_blobs(ada, backend, "origin").moved == 1
    blob = tmp_path / "team-artifacts" / "blobs" / version.hash[:2] / version.hash
    os.chmod(blob, 0o644)
    blob.write_bytes(b"not the weights")
    with pytest.raises(ArtifactStorageError, match="does not hold the bytes its name says"):
        pull_blobs(bob, backend, "origin")
    local = bob / ".nbtrack" / "artifacts" / "blobs" / version.hash[:2] / version.hash
    assert not local.exists()  # never stored under the name of bytes it does not hold
