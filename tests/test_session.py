"""The process's session: what a forked child inherits, and what exit does to a
run left running. Each case is a real Python process (fork and atexit are
about whole processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbtrack

FORK = """
import json, os, sys
import nbtrack
from nbtrack import session, tracking
with nbtrack.start_run(name="parent") as run:
    parent = session.current()
    nbtrack.log(parent=1.0, step=0)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        child = session.current()
        facts = {
            "fresh": child is not parent,
            "pid": child.pid == os.getpid(),
            "logs_to_parent_run": tracking.active_run() is run,
            "owns": child.owns(run),
            "jobs": [k for k in ("git", "snapshot") if child.job(run.id, k) is not None],
        }
        nbtrack.log(child=1.0, step=0)
        os.write(w, json.dumps(facts).encode())
        os.close(w)
        sys.exit(0)  # the normal exit path: the child's session shuts down
    os.close(w)
    facts = json.loads(os.read(r, 100_000))
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    facts["parent_active"] = tracking.active_run() is run and run.status == "running"
    facts["stored_status"] = nbtrack.get_run("parent").status
    facts["parent_owns"] = parent.owns(run) and session.current() is parent
    nbtrack.log(parent=2.0, step=1)
print(json.dumps(facts))
"""


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_a_forked_child_gets_a_fresh_session_and_leaves_the_parents_run_alone(
    project: Path,
) -> None:
    out = _python(FORK, project)
    assert out.returncode == 0, out.stderr
    facts = json.loads(out.stdout.splitlines()[-1])
    assert facts["fresh"] and facts["pid"] and facts["jobs"] == []
    assert facts["logs_to_parent_run"] and not facts["owns"]
    # The child exited (its session shut down) while the parent's run went on.
    assert facts["stored_status"] == "running"
    assert facts["parent_active"] and facts["parent_owns"]
    run = nbtrack.get_run("parent")
    assert run.status == "finished"
    assert run.metrics["parent"]["count"] == 2 and run.metrics["child"]["count"] == 1


LEFT_RUNNING = """
import nbtrack
from nbtrack import tracking
run = tracking.begin_run(name="{name}")
for step in range(50):
    nbtrack.log(loss=1.0 / (step + 1))
{end}
"""


def test_a_run_left_running_by_a_script_ends_with_the_script(project: Path) -> None:
    out = _python(LEFT_RUNNING.format(name="ran-out", end=""), project)
    assert out.returncode == 0, out.stderr
    run = nbtrack.get_run("ran-out")
    assert run.status == "finished" and run.metrics["loss"]["count"] == 50
    assert run.end is not None


def test_a_script_dying_of_an_exception_fails_the_run_it_left_running(project: Path) -> None:
    out = _python(LEFT_RUNNING.format(name="died", end="raise ValueError('diverged')"), project)
    assert out.returncode == 1 and "diverged" in out.stderr
    run = nbtrack.get_run("died")
    assert run.status == "failed" and "ValueError: diverged" in run.error
    assert run.metrics["loss"]["count"] == 50


def test_the_warm_up_lets_each_user_wait_for_its_own_stage_only() -> None:
    """The first tracked cell waits for the "run" stage while the later stages
    (the chart's and the snapshot's imports) are still loading; a stage that
    fails is over all the same (whoever needs it meets the error itself)."""
    import threading

    from nbtrack.session import WarmUp

    release = threading.Event()
    order: list[str] = []

    def broken() -> None:
        order.append("chart")
        raise ImportError("no bqplot")

    warm = WarmUp()
    assert warm.wait("run", timeout=0) and warm.ready("run")  # nothing to wait for yet
    warm.start(
        [
            ("run", lambda: order.append("run")),
            ("chart", broken),
            ("snapshot", lambda: release.wait(60) and order.append("snapshot")),
        ]
    )
    assert warm.wait("run")
    assert warm.wait("chart") and warm.ready("chart")
    assert not warm.ready("snapshot") and warm.finished_at is None
    release.set()
    assert warm.wait("snapshot")
    assert order == ["run", "chart", "snapshot"]
    assert warm.finished_at == warm.done_at["snapshot"] >= warm.done_at["run"]
    warm.start([("run", lambda: order.append("again"))])  # once per session
    assert order == ["run", "chart", "snapshot"]
