"""`nbtrack doctor --compact`: the store gives back the space it no longer uses,
says how much, keeps every point, and waits for recording runs."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import nbtrack
from nbtrack import tracking
from nbtrack.store import forget_stores, open_store


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbtrack", *args], capture_output=True, text=True, timeout=300
    )


def _sizes(out: str) -> tuple[int, int]:
    m = re.search(r"compact +.*\(([\d,]+) -> ([\d,]+) bytes\)", out)
    assert m, out
    return int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))


@pytest.mark.slow
def test_compact_gives_back_deleted_runs_space_and_keeps_every_point(backend: str) -> None:
    for i in range(6):
        with nbtrack.start_run(name=f"r{i}"):
            for step in range(3000):
                nbtrack.log(loss=1.0 / (step + 1), acc=step * 1e-4, step=step)
    store = open_store(backend)
    for run_id in store.find_run_ids(name="r0") + store.find_run_ids(name="r1"):
        store.delete_run(run_id)
    for name in ("r2", "r3", "r4"):
        store.delete_run(store.find_run_ids(name=name)[0])
    forget_stores()
    out = cli("doctor", "--compact")
    assert out.returncode == 0, out.stderr
    before, after = _sizes(out.stdout)
    assert after < before
    assert after == open_store(backend).size_on_disk()
    kept = nbtrack.get_run("r5").history()
    assert len(kept) == 6000 and kept["step"].tolist()[:3] == [0, 1, 2]


def test_compact_refuses_while_a_run_records(backend: str) -> None:
    run = tracking.begin_run(name="busy")
    try:
        nbtrack.log(loss=1.0)
        run.writer.flush()
        out = cli("doctor", "--compact")
    finally:
        tracking.end_run(run)
    assert out.returncode == 1
    assert "not compacting the store while runs are recording (busy)" in out.stderr
    assert " bytes)" not in out.stdout  # nothing claimed done
    assert nbtrack.get_run("busy").history("loss")["value"].tolist() == [1.0]
