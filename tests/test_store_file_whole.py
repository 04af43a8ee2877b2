"""`nbtrack.db` alone holds every finished run: what a user copies to a colleague
or a backup must not be missing what still sat in the WAL file beside it."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nbtrack
from nbtrack import tracking

SCRIPT = """
import nbtrack
with nbtrack.start_run(name="copied"):
    for i in range(20_000):
        nbtrack.log(loss=float(i))
"""


def _points_in_a_copy_of_the_db_alone(project: Path, tmp_path: Path) -> int:
    copy = tmp_path / "copy" / "nbtrack.db"
    copy.parent.mkdir()
    shutil.copyfile(project / ".nbtrack" / "nbtrack.db", copy)  # no -wal, no -shm
    conn = sqlite3.connect(copy)
    try:
        return conn.execute("SELECT coalesce(sum(n), 0) FROM nbtrack_chunks").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.slow
def test_a_copy_of_the_db_file_alone_after_a_script_has_every_point(
    project: Path, tmp_path: Path
) -> None:
    subprocess.run([sys.executable, "-c", SCRIPT], cwd=project, check=True, timeout=600)
    assert _points_in_a_copy_of_the_db_alone(project, tmp_path) == 20_000


def test_after_the_last_run_of_a_kernel_ends_the_db_file_alone_has_it(
    project: Path, tmp_path: Path
) -> None:
    """A kernel stays up after its run: the writer folds the WAL into the
    database file in the background once no run of the process is live."""
    run = tracking.begin_run(name="kept")
    for i in range(5_000):
        nbtrack.log(loss=float(i))
    tracking.end_run(run)
    wal = project / ".nbtrack" / "nbtrack.db-wal"
    deadline = time.time() + 120  # a condition, waited on generously
    while time.time() < deadline and wal.exists() and wal.stat().st_size > 0:
        time.sleep(0.05)
    assert _points_in_a_copy_of_the_db_alone(project, tmp_path) == 5_000
