"""Runs whose kernel is interrupted or killed, driven through jupyter_client."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

import nbtrack

pytestmark = pytest.mark.slow

LOOP_CELL = """%%track --name {name}
import time
for i in range(100000):
    nbtrack.log(t=time.time())
    time.sleep(0.01)
"""


@pytest.fixture
def kernel(project: Path) -> Iterator[tuple[KernelManager, object]]:
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(project), env={**os.environ, "JPY_SESSION_NAME": ""})
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    kc.execute_interactive("%load_ext nbtrack", timeout=60)
    yield km, kc
    kc.stop_channels()
    if km.is_alive():
        km.shutdown_kernel(now=True)


def _wait_for_points(name: str, at_least: int, timeout: float = 30, key: str = "t") -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        df = nbtrack.runs()
        if len(df) and f"metrics.{key}" in df and df[f"metrics.{key}"].notna().any():
            if nbtrack.get_run(name).metrics[key]["count"] >= at_least:
                return
        time.sleep(0.1)
    raise AssertionError(f"no points from {name} within {timeout} s")


FAST_LOOP_CELL = """%%track --name {name}
progress = open({progress!r}, "w", buffering=1)
for i in range(10_000_000):
    nbtrack.log(i=i)
    if i % 100 == 0:
        progress.write(f"{{i}}\\n")
"""


def test_sigkill_loses_at_most_the_writer_bound_and_leaves_a_crashed_run(
    kernel, project: Path
) -> None:
    """A loop logging as fast as Python can, killed: every point up to a moment is
    in the store (no gaps), and what is lost is within the writer's backlog bound
    (counted in points: the cell writes its progress to a file as it goes)."""
    from nbtrack.store.writer import MAX_BACKLOG_POINTS

    km, kc = kernel
    progress = project / "progress.txt"
    kc.execute(FAST_LOOP_CELL.format(name="doomed", progress=str(progress)))
    _wait_for_points("doomed", 3 * MAX_BACKLOG_POINTS, timeout=300, key="i")
    os.kill(km.provisioner.pid, signal.SIGKILL)
    deadline = time.time() + 60
    while km.is_alive() and time.time() < deadline:
        time.sleep(0.05)
    logged = int(progress.read_text().split()[-1]) + 1  # at least this many were logged
    run = nbtrack.get_run("doomed")
    assert run.status == "crashed"
    points = run.history("i")
    assert points["step"].tolist() == list(range(len(points)))  # no gaps
    assert points["value"].tolist() == list(range(len(points)))
    assert logged - len(points) <= MAX_BACKLOG_POINTS + 100
    assert nbtrack.runs()["status"].tolist() == ["crashed"]


def test_interrupt_marks_the_run_interrupted_and_keeps_its_points(kernel) -> None:
    km, kc = kernel
    msg_id = kc.execute(LOOP_CELL.format(name="stopped"))
    _wait_for_points("stopped", 20)
    km.interrupt_kernel()
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    run = nbtrack.get_run("stopped")
    assert run.status == "interrupted" and run.metrics["t"]["count"] >= 20
    assert km.is_alive()
