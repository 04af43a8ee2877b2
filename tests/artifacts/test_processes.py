"""What only shows across processes: the stat cache surviving them, datasets
hashing the same in each, two writers of the same bytes at once, a file that
changes while it is hashed, and big inputs streamed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from process_helpers import run_python

import nbtrack
from nbtrack.artifacts import ArtifactError

pytestmark = pytest.mark.slow


def test_stat_cache_survives_processes_so_unchanged_files_are_not_read(project: Path) -> None:
    data = project / "data"
    data.mkdir()
    for i in range(20):
        (data / f"{i}.txt").write_text(f"file {i}\n")
    old = time.time_ns() - 10 * 10**9  # older than the racy window
    for p in data.iterdir():
        os.utime(p, ns=(old, old))
    code = "import nbtrack; v = nbtrack.log_artifact('data', name='data'); print(v.version, v.hash)"
    first = run_python(code, project).split()
    # Same size, same mtime, same inode, different bytes: only a stat cache that
    # survived the first process can call this unchanged (it is never read).
    target = data / "3.txt"
    with open(target, "r+b") as f:
        f.write(b"FILE")
    os.utime(target, ns=(old, old))
    second = run_python(code, project).split()
    assert second == first
    # A real change (mtime moves) is seen.
    target.write_text("file 3 changed\n")
    third = run_python(code, project).split()
    assert third[0] == "2"


def test_a_dataframe_hashes_the_same_in_two_processes(project: Path) -> None:
    code = """
        import numpy as np, pandas as pd, nbtrack
        rng = np.random.default_rng(0)
        df = pd.DataFrame({"x": rng.normal(size=5000), "c": ["a", "b"] * 2500})
        df["c"] = df["c"].astype("category")
        v = nbtrack.log_dataset(df, "frame")
        print(v.version, v.hash)
    """
    a = run_python(code, project).split()
    b = run_python(code, project).split()
    assert a == b == ["1", a[1]]


def test_two_processes_logging_the_same_bytes_at_once_make_one_version(
    backend: str, project: Path
) -> None:
    (project / "big.bin").write_bytes(os.urandom(8 << 20))
    go = project / "go"
    code = f"""
        import os, time, nbtrack
        while not os.path.exists({str(go)!r}):
            time.sleep(0.01)
        with nbtrack.start_run() as run:
            v = nbtrack.log_artifact("big.bin", name="big")
        print(run.ref, v.ref)
    """
    env = {**os.environ, "PYTHONPATH": str(Path(nbtrack.__file__).parents[1])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", __import__("textwrap").dedent(code)],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.write_text("")
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    refs = [o[0].split() for o in outs]
    assert {r[1] for r in refs} == {"big:v1"}
    df = nbtrack.artifacts("big")
    assert len(df) == 1
    for run_ref, _ in refs:
        assert [v.ref for v in nbtrack.get_run(run_ref).outputs] == ["big:v1"]


def test_a_file_changing_while_hashed_fails_clearly(project: Path) -> None:
    target = project / "growing.log"
    target.write_bytes(os.urandom(32 << 20))
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nf = open(sys.argv[1], 'ab', buffering=0)\n"
            "while True:\n    f.write(b'x')\n",
            str(target),
        ]
    )
    try:
        size = target.stat().st_size
        deadline = time.monotonic() + 60
        while target.stat().st_size == size and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(ArtifactError, match=r"changed while nbtrack hashed it.*stop whatever"):
            nbtrack.log_artifact(target, name="log")
    finally:
        writer.kill()
        writer.wait()
    assert len(nbtrack.artifacts()) == 0


def test_a_5_gb_file_is_streamed_never_read_whole(project: Path) -> None:
    big = project / "huge.bin"
    with open(big, "wb") as f:
        f.truncate(5 * 1024**3)  # sparse: 5 GB to read, no disk used
    (project / "small.bin").write_bytes(b"x")
    code = """
        import resource, nbtrack
        nbtrack.use_artifact("small.bin")  # everything imported and opened: the baseline
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        nbtrack.use_artifact("huge.bin")
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 - before)
    """
    grown_mb = int(run_python(code, project))
    assert grown_mb < 200, f"memory grew by {grown_mb} MB while hashing a 5 GB file"
    sizes = sorted(nbtrack.artifacts()["size"])
    assert sizes == [1, 5 * 1024**3]


def test_100000_small_files_version_once_and_relog_from_the_stat_cache(project: Path) -> None:
    data = project / "many"
    for d in range(100):
        sub = data / f"d{d:02d}"
        sub.mkdir(parents=True)
        for i in range(1000):
            (sub / f"{i}.txt").write_bytes(b"%d-%d" % (d, i))
    old = time.time_ns() - 10 * 10**9
    os.utime(data / "d00" / "0.txt", ns=(old, old))
    v1 = nbtrack.log_artifact(data, name="many")
    assert (v1.version, v1.files) == (1, 100_000)
    again = nbtrack.log_artifact(data, name="many")
    assert again.id == v1.id
