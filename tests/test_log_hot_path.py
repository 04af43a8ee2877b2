"""log()'s commonest call, one float of a key the run has seen, is queued by
log() itself (tracking.py): no other Python function runs, and every contract
of the general path holds on it (steps per key, the backlog's bounds)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

import nbtrack


def _python_calls(fn: Any) -> list[str]:
    """The Python functions that run while `fn()` does (C calls not counted)."""
    names: list[str] = []

    def profile(frame: FrameType, event: str, _: Any) -> None:
        if event == "call":
            names.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return names


def test_a_known_key_with_a_float_runs_log_alone(project: Path) -> None:
    with nbtrack.start_run(name="r"):
        nbtrack.log(loss=0.5)  # the key's first call: checked on the general path
        calls = _python_calls(lambda: (nbtrack.log(loss=0.25, step=3), nbtrack.log(loss=0.125)))
        assert calls == ["<lambda>", "log", "log"]
        # Anything else still takes the general path, which checks it.
        assert "_log_to" in _python_calls(lambda: nbtrack.log(loss=1))
        assert "_log_to" in _python_calls(lambda: nbtrack.log(acc=0.5))
    history = nbtrack.get_run("r").history("loss")
    assert history["step"].tolist() == [0, 3, 4, 5]  # the count follows the step given
    assert history["value"].tolist() == [0.5, 0.25, 0.125, 1.0]


def test_the_backlog_stays_young_on_the_one_key_path(project: Path) -> None:
    """With a backlog allowed no age at all, each call past the first waits until
    the writer has taken the queue: it never holds more than the newest points."""
    with nbtrack.start_run(name="young") as run:
        nbtrack.log(loss=0.0)
        run.writer.max_age = 0.0
        longest = 0
        for i in range(300):
            nbtrack.log(loss=float(i))
            longest = max(longest, len(run.writer.queue))
    assert longest <= 3
    assert nbtrack.get_run("young").metrics["loss"]["count"] == 301
