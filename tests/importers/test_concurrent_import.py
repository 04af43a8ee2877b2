"""Importing while another process records a run into the same store: both runs
end up whole, neither write blocks the other for good."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("tensorboardX")

from nbtrack import query  # noqa: E402
from nbtrack.cli import main  # noqa: E402
from nbtrack.store import open_store  # noqa: E402

WRITER = """
import sys, time
from pathlib import Path
import nbtrack
stop = Path(sys.argv[1])
with nbtrack.start_run(name="live", experiment="live") as run:
    step = 0
    while not stop.exists() or step < 2000:
        nbtrack.log(loss=1.0 / (step + 1), step=step)
        step += 1
print(step)
"""


def _wait(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.slow
def test_import_while_a_process_records(backend: str, tmp_path: Path, project: Path) -> None:
    from tensorboardX import SummaryWriter

    logs = tmp_path / "logs"
    for name in ("a", "b", "c"):
        w = SummaryWriter(str(logs / name))
        for s in range(3000):
            w.add_scalar("acc", s / 3000, s, walltime=1_700_000_000 + s)
        w.close()
    stop = tmp_path / "stop"
    env = {**os.environ, "NBTRACK_STORE": backend}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stop)],
        env=env,
        cwd=project,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        store = open_store(backend)

        def live_points() -> int:
            runs = [r for r in query.list_runs(store) if r.experiment == "live"]
            return runs[0].metrics.get("loss", {}).get("count", 0) if runs else 0

        _wait(lambda: live_points() > 0, "the recording process's first points")
        assert main(["import-tensorboard", str(logs)]) == 0
        stop.touch()
        out, _ = proc.communicate(timeout=300)
    finally:
        stop.touch()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    logged = int(out.strip().splitlines()[-1])
    runs = {r.stem: r for r in query.list_runs(store)}
    assert {"a", "b", "c"} <= set(runs)
    assert all(runs[n].metrics["acc"]["count"] == 3000 for n in ("a", "b", "c"))
    (live,) = [r for r in runs.values() if r.experiment == "live"]
    assert live.status == "finished"
    assert live.metrics["loss"]["count"] == logged
    assert len(store.points([live.id], ["loss"])) == logged
