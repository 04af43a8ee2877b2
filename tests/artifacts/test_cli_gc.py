"""The artifact commands (`nbtrack artifacts | artifact show | artifact get |
lineage | gc`) and garbage collection, on both store backends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from process_helpers import blob_files

import nbtrack
from nbtrack.cli import main
from nbtrack.query import store_for


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _age_everything(project: Path) -> None:
    """Blobs older than gc's grace period, as if logged an hour ago."""
    old = time.time() - 7200
    for path in (project / ".nbtrack" / "artifacts").rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))


def test_list_show_get_and_lineage_commands(
    backend: str, project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = project / "data"
    data.mkdir()
    for i in range(10):
        (data / f"{i}.txt").write_bytes(b"%d" % i * 1000)
    with nbtrack.start_run() as made:
        nbtrack.log_artifact(data, name="data")
    (data / "0.txt").write_bytes(b"new")
    nbtrack.log_artifact(data, name="data", aliases=["best"])
    with nbtrack.start_run() as used:
        nbtrack.use_artifact("data:v1")

    code, out, _ = cli(capsys, "artifacts")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["name", "version", "type"]
    assert [ln.split()[1] for ln in lines[1:]] == ["v1", "v2"]
    assert "latest,best" in lines[2]

    code, out, _ = cli(capsys, "artifact", "show", "data:v2", "--format", "json")
    shown = json.loads(out)
    # Nine of ten files are shared with v1; the changed file and the manifest are not.
    assert shown["shared_bytes"] == 9 * 1000
    assert shown["unique_bytes"] > 3 and shown["files"] == 10
    code, out, _ = cli(capsys, "artifact", "show", "data:v1")
    assert f"made by     {made.ref}" in out and f"used by     {used.ref}" in out
    assert "unique" in out and "shared with other versions" in out

    target = tmp_path / "out"
    code, out, _ = cli(capsys, "artifact", "get", "data:v1", "-o", str(target))
    assert code == 0 and (target / "0.txt").read_bytes() == b"0" * 1000
    assert sorted(p.name for p in target.iterdir()) == [f"{i}.txt" for i in range(10)]

    code, out, _ = cli(capsys, "lineage", "data:v1")
    assert f"made by {made.ref}" in out and f"used by {used.ref}" in out
    code, out, _ = cli(capsys, "lineage", "data:v1", "--format", "json")
    assert json.loads(out)["root"] == "data:v1"

    code, _, err = cli(capsys, "artifact", "show", "data:v7")
    assert code == 1 and "'data' has no version 'v7'" in err


def test_gc_removes_the_unreachable_and_keeps_what_is_used(
    backend: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_for(None)
    with nbtrack.start_run() as a:
        nbtrack.log_dataset(pd.DataFrame({"x": [1]}), "orphan")
        nbtrack.log_dataset(pd.DataFrame({"x": [2]}), "shared")
        nbtrack.log_dataset(pd.DataFrame({"x": [3]}), "pinned")
        nbtrack.log_dataset(pd.DataFrame({"x": [4]}), "aliased", aliases=["best"])
    with nbtrack.start_run():
        nbtrack.use_dataset("shared")
    stray = project / ".nbtrack" / "artifacts" / "blobs" / "ff" / ("ff" * 32)
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left by nobody")
    (project / ".nbtrack" / "artifacts" / "tmp" / "x.part").write_bytes(b"half a blob")
    store.delete_run(a.id)
    _age_everything(project)
    before = blob_files(project)

    code, out, _ = cli(capsys, "gc", "--dry-run", "--keep", "pinned")
    assert code == 0
    assert "would remove version orphan:v1" in out
    assert "shared" not in out and "pinned" not in out and "aliased" not in out
    assert "would remove 1 version(s), 2 blob(s), 1 temporary file(s)" in out
    assert blob_files(project) == before  # a dry run removes nothing

    code, out, _ = cli(capsys, "gc", "--keep", "pinned")
    assert "removed 1 version(s), 2 blob(s), 1 temporary file(s)" in out
    assert set(nbtrack.artifacts()["name"]) == {"shared", "pinned", "aliased"}
    assert not stray.exists()
    assert len(blob_files(project)) == len(before) - 2
    pd.testing.assert_frame_equal(nbtrack.use_dataset("shared"), pd.DataFrame({"x": [2]}))
    code, out, _ = cli(capsys, "gc", "--keep", "pinned:v1")
    assert "removed 0 version(s), 0 blob(s)" in out
    code, out, _ = cli(capsys, "gc")  # unpinned, the deleted run's version goes
    assert "removed version pinned:v1" in out


@pytest.mark.slow
def test_sigkill_mid_upload_leaves_a_consistent_store(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = project / "big.bin"
    with open(big, "wb") as f:
        for _ in range(64):
            f.write(os.urandom(8 << 20))  # 512 MB of incompressible bytes
    env = {**os.environ, "PYTHONPATH": str(Path(nbtrack.__file__).parents[1])}
    child = subprocess.Popen(
        [sys.executable, "-c", "import nbtrack; nbtrack.log_artifact('big.bin', name='big')"],
        cwd=project,
        env=env,
    )
    tmp = project / ".nbtrack" / "artifacts" / "tmp"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and child.poll() is None:
        parts = list(tmp.glob("*.part")) if tmp.is_dir() else []
        if parts and parts[0].stat().st_size > 0:
            break
        time.sleep(0.005)
    assert child.poll() is None, "the upload finished before it could be interrupted"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert blob_files(project) == {}  # no half blob is visible
    assert len(nbtrack.artifacts()) == 0
    v = nbtrack.log_artifact(big, name="big")  # and the next log works
    assert v.version == 1 and blob_files(project) == {v.hash: big.stat().st_size}
    code, out, _ = cli(capsys, "gc", "--grace", "0")
    assert "1 temporary file(s)" in out
    assert list(tmp.iterdir()) == []
    assert blob_files(project) == {v.hash: big.stat().st_size}
