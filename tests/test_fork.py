"""log() from forked children (DataLoader workers, multiprocessing pools)."""

from __future__ import annotations

import multiprocessing
import os

import nbtrack


def _worker(index: int) -> int:
    for step in range(500):
        nbtrack.log(worker=float(index), step=index * 500 + step)
    return os.getpid()


def test_points_logged_in_forked_workers_are_kept_once(backend: str) -> None:
    ctx = multiprocessing.get_context("fork")
    with nbtrack.start_run(name="forked") as run:
        for step in range(100):  # still queued in the parent when the workers fork
            nbtrack.log(loss=1.0, step=step)
        pool = ctx.Pool(2)
        pids = pool.map(_worker, range(4))
        pool.close()  # workers leave normally (terminate() would kill them mid-flush)
        pool.join()
        for step in range(100, 200):
            nbtrack.log(loss=0.5, step=step)
    assert os.getpid() not in pids  # the workers were other processes
    points = nbtrack.history(run.id)
    loss = points[points["key"] == "loss"]
    assert list(loss["step"]) == list(range(200))  # the parent's queue was not copied
    worker = points[points["key"] == "worker"]
    assert sorted(worker["step"]) == list(range(2000))
    assert nbtrack.get_run("forked").metrics["loss"]["count"] == 200


CHILD = """
import os, sys
import nbtrack
with nbtrack.start_run(name="child") as run:
    pid = os.fork()
    if pid == 0:
        for step in range(300):
            nbtrack.log(child=1.0, step=step)
        sys.exit(0)  # the normal exit path: atexit flushes
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
"""


def test_a_forked_process_that_exits_normally_flushes_its_points(backend: str) -> None:
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", CHILD], check=True, timeout=60)
    run = nbtrack.get_run("child")
    assert run.status == "finished"
    assert len(nbtrack.history(run.id, keys="child")) == 300


def test_a_child_forked_while_another_thread_writes_can_write_too(tmp_path) -> None:
    # SQLite keeps a process's locks in memory: a child forked while another
    # thread held the write lock could never take it (its writes waited out the
    # busy timeout and failed). Forks now wait for that transaction to end.
    import threading
    import time

    import sqlalchemy as sa

    from nbtrack.errors import StoreError
    from nbtrack.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'busy.db'}")
    inside, forking = threading.Event(), threading.Event()
    armed = [True]

    def on_fork() -> None:  # registered last, so it runs before nbtrack's own hook
        if armed[0]:
            forking.set()

    os.register_at_fork(before=on_fork)

    def hold_the_write_lock() -> None:
        with store.writing() as conn:
            conn.execute(sa.text("SELECT 1"))
            inside.set()
            forking.wait()
            time.sleep(0.2)  # let the fork go first if nothing holds it back

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    inside.wait()
    try:
        pid = os.fork()
        if pid == 0:
            try:
                with open_store(store.url).writing() as conn:
                    conn.execute(sa.text("SELECT 1"))
                os._exit(0)
            except StoreError:
                os._exit(3)
            except BaseException:
                os._exit(4)
    finally:
        armed[0] = False
        holder.join()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0  # 3: the store stayed locked for the child
    # and no transaction is left counted, which would hold every later fork back
    from nbtrack.store.forkguard import guard

    assert guard.open_elsewhere() == 0
