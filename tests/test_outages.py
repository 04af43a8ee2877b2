"""When the store goes away: a PostgreSQL server stopped mid-run, a full disk,
the store file deleted under a running run. Real servers, real filesystems."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from outage_helpers import PgCluster, TinyDisk

import nbtrack
from nbtrack import tracking
from nbtrack.session import current
from nbtrack.store import forget_stores
from nbtrack.store import writer as writer_mod

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PgCluster]:
    pg = PgCluster(Path("/tmp") / f"nbtrack-pg-{os.getpid()}-{tmp_path.name}")
    pg.start()
    monkeypatch.setenv("NBTRACK_STORE", pg.url)
    monkeypatch.setattr(writer_mod, "END_GRACE_S", 1.0)
    yield pg
    try:
        pg.stop()
    except Exception:  # already stopped by the test
        pass
    shutil.rmtree(pg.folder, ignore_errors=True)


def test_postgres_down_at_the_end_of_a_run_loses_nothing(cluster: PgCluster, capsys) -> None:
    """The server goes down mid-run: the run goes on, its end does not raise, and
    its last points and end wait in the journal; when the server is back the
    next run replays them: the run is finished with every point and summary."""
    run = tracking.begin_run(name="outage")
    for i in range(100):
        nbtrack.log(loss=float(i))
    run.writer.flush()
    cluster.stop()
    for i in range(100, 250):
        nbtrack.log(loss=float(i))
    tracking.end_run(run)  # must not raise: the cell's work is done
    said = "\n".join(run.warnings)
    assert "journal" in said and "when it is back" in said
    assert list((Path.cwd() / ".nbtrack" / "journal").rglob("*.jsonl"))
    assert run.summaries["loss"]["count"] == 250  # the cell's summary line has them all

    cluster.start()
    after = tracking.begin_run(name="after")  # the next run's writer replays the journal
    nbtrack.log(loss=1.0)
    tracking.end_run(after)
    got = nbtrack.get_run("outage")
    assert got.status == "finished"
    assert got.metrics["loss"]["count"] == 250
    assert got.metrics["loss"]["min"] == 0.0 and got.metrics["loss"]["max"] == 249.0
    assert got.history("loss")["value"].tolist() == [float(i) for i in range(250)]
    assert not list((Path.cwd() / ".nbtrack" / "journal").rglob("*.jsonl"))


def test_postgres_back_within_the_grace_period_finishes_the_run_normally(
    cluster: PgCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    monkeypatch.setattr(writer_mod, "END_GRACE_S", 120.0)
    run = tracking.begin_run(name="blip")
    nbtrack.log(loss=0.0)
    run.writer.flush()
    cluster.stop()
    for i in range(1, 50):
        nbtrack.log(loss=float(i))
    restart = threading.Timer(1.0, cluster.start)
    restart.start()
    tracking.end_run(run)
    restart.join()
    assert run.warnings == []
    got = nbtrack.get_run("blip")
    assert got.status == "finished" and got.metrics["loss"]["count"] == 50


@pytest.fixture
def tiny(tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TinyDisk]:
    disk = TinyDisk(tmp_path / "disk", "16m")
    folder = disk.folder / "proj"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("NBTRACK_STORE", f"sqlite:///{folder / '.nbtrack' / 'nbtrack.db'}")
    monkeypatch.setattr(writer_mod, "END_GRACE_S", 1.0)
    yield disk
    try:
        current().close_writers()
    except Exception:
        pass
    forget_stores()
    disk.unmount()


def test_a_full_disk_says_so_and_the_store_works_once_space_is_freed(
    tiny: TinyDisk,
) -> None:
    run = tracking.begin_run(name="full")
    nbtrack.log(loss=0.0)
    run.writer.flush()
    filler = tiny.fill(leave=16 * 1024)
    for i in range(1, 15_001):  # within what the writer keeps in memory
        nbtrack.log(loss=float(i))
    with pytest.raises(nbtrack.errors.StoreError, match="disk full"):
        run.writer.flush()
    filler.unlink()  # the user frees space
    tracking.end_run(run)
    got = nbtrack.get_run("full")
    assert got.status == "finished", got.error
    assert got.metrics["loss"]["count"] == 15_001
    # And the store keeps working: the WAL did not refill the freed space.
    with nbtrack.start_run(name="next"):
        for i in range(1000):
            nbtrack.log(loss=float(i))
    assert nbtrack.get_run("next").metrics["loss"]["count"] == 1000


def test_a_run_on_a_full_disk_is_never_finished_with_points_missing(
    tiny: TinyDisk,
) -> None:
    """Space is not freed: the run cannot be whole. Its end says so, and the store
    (once space is back) does not claim a finished run with its points missing."""
    run = tracking.begin_run(name="doomed")
    nbtrack.log(loss=0.0)
    run.writer.flush()
    filler = tiny.fill(leave=8 * 1024)
    for i in range(1, 30_001):
        nbtrack.log(loss=float(i))
    tracking.end_run(run)
    said = "\n".join(run.warnings)
    assert "disk full" in said
    filler.unlink()
    got = nbtrack.get_run("doomed")
    assert got.status in ("running", "crashed")  # never "finished"
    assert got.metrics["loss"]["count"] < 30_001


def test_the_store_file_deleted_mid_run_is_reported_and_later_points_kept(
    project: Path, capfd
) -> None:
    """`git clean -dX` removes .nbtrack/ while a run records: the writer notices at
    once, says what happened, and the run goes on in a new store file."""
    import shutil

    run = tracking.begin_run(name="cleaned")
    for i in range(10):
        nbtrack.log(loss=float(i))
    run.writer.flush()
    shutil.rmtree(project / ".nbtrack")
    for i in range(10, 30):
        nbtrack.log(loss=float(i))
    run.writer.flush()
    err = capfd.readouterr().err
    assert "was deleted" in err and "cleaned" in err and "backup" in err
    tracking.end_run(run)
    got = nbtrack.get_run("cleaned")
    assert got.status == "finished"
    assert got.history("loss")["value"].tolist() == [float(i) for i in range(10, 30)]


def test_a_cell_whose_store_goes_down_ends_without_an_error(cluster: PgCluster, project: Path):
    """In a real kernel: PostgreSQL stops while a tracked cell runs. The cell ends
    normally (its work is done), says where its last points and end are kept,
    and once the server is back the next run writes them: nothing is lost."""
    from jupyter_client.manager import KernelManager

    go = project / "go"
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(project), env={**os.environ, "JPY_SESSION_NAME": ""})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        kc.execute_interactive("%load_ext nbtrack", timeout=120)
        cell = (
            "%%track --name k\n"
            "import os, time\n"
            "for i in range(100):\n"
            "    nbtrack.log(loss=float(i))\n"
            f"while not os.path.exists({str(go)!r}):\n"
            "    time.sleep(0.05)\n"
            "for i in range(100, 200):\n"
            "    nbtrack.log(loss=float(i))\n"
        )
        stderr: list[str] = []

        def collect(msg: dict) -> None:
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":
                stderr.append(msg["content"]["text"])

        kc.execute(cell)
        import time

        deadline = time.time() + 120
        while time.time() < deadline:
            runs = nbtrack.runs()
            if "metrics.loss" in runs and runs["metrics.loss"].notna().any():
                if nbtrack.get_run("k").metrics["loss"]["count"] >= 100:
                    break
            time.sleep(0.2)
        forget_stores()
        cluster.stop()
        go.touch()
        reply = kc.get_shell_msg(timeout=300)
        while True:  # drain the cell's output
            try:
                msg = kc.get_iopub_msg(timeout=5)
            except Exception:
                break
            collect(msg)
        assert reply["content"]["status"] == "ok"
        said = "".join(stderr)
        assert "journal" in said and "when it is back" in said
        cluster.start()
        after = kc.execute_interactive("%%track --name after\nnbtrack.log(x=1.0)", timeout=300)
        assert after["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    got = nbtrack.get_run("k")
    assert got.status == "finished"
    assert got.metrics["loss"]["count"] == 200
    assert got.history("loss")["value"].tolist() == [float(i) for i in range(200)]
