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


def _wait_for_points(name: str, at_least: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        df = nbtrack.runs()
        if len(df) and "metrics.t" in df and df["metrics.t"].notna().any():
            if nbtrack.get_run(name).metrics["t"]["count"] >= at_least:
                return
        time.sleep(0.1)
    raise AssertionError(f"no points from {name} within {timeout} s")


def test_sigkill_leaves_a_crashed_run_with_points_up_to_half_a_second_before(kernel) -> None:
    km, kc = kernel
    kc.execute(LOOP_CELL.format(name="doomed"))
    _wait_for_points("doomed", 50)
    time.sleep(1.0)
    killed_at = time.time()
    os.kill(km.provisioner.pid, signal.SIGKILL)
    deadline = time.time() + 10
    while km.is_alive() and time.time() < deadline:
        time.sleep(0.05)
    run = nbtrack.get_run("doomed")
    assert run.status == "crashed"
    points = run.history("t")
    assert points["step"].tolist() == list(range(len(points)))  # no gaps
    assert points["value"].max() >= killed_at - 0.5
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
