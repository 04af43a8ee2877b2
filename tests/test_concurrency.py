"""Several processes writing one store at once."""

from __future__ import annotations

import multiprocessing as mp
import os
from pathlib import Path

import pytest

import nbtrack
from nbtrack.store import open_store

pytestmark = pytest.mark.slow

POINTS = 50_000


def _writer(folder: str, index: int, store: str, errors: mp.Queue) -> None:
    os.chdir(folder)
    os.environ["NBTRACK_STORE"] = store
    try:
        with nbtrack.start_run(name=f"proc{index}", params={"index": index}):
            for step in range(POINTS):
                nbtrack.log(loss=step / POINTS)
    except BaseException as exc:  # reported to the parent, which fails the test
        errors.put(f"{type(exc).__name__}: {exc}")


def test_four_processes_log_200k_points_into_one_store(backend: str, project: Path) -> None:
    ctx = mp.get_context("spawn")
    errors: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(project), i, backend, errors)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    reported = [errors.get() for _ in range(errors.qsize())] if not errors.empty() else []
    assert reported == [] and [p.exitcode for p in procs] == [0, 0, 0, 0]
    df = nbtrack.runs()
    assert sorted(df["name"]) == ["proc0", "proc1", "proc2", "proc3"]
    assert set(df["status"]) == {"finished"}
    assert open_store(backend).counts()["points"] == 4 * POINTS
    for ref in df["id"]:
        assert nbtrack.get_run(ref).metrics["loss"]["count"] == POINTS
