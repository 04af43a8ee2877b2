"""Helpers of the tests that use fresh processes: blob counts, Python run in a fresh
process, and a probe of the modules a fresh process imports."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def blob_files(project: Path) -> dict[str, int]:
    """{hash: size} of every blob stored under the project's local storage."""
    base = project / ".nbtrack" / "artifacts" / "blobs"
    if not base.is_dir():
        return {}
    return {p.name: p.stat().st_size for p in base.glob("*/*")}


def run_python(code: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run `code` in a new Python process in `cwd`; its stdout (fails on error)."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[1]), full_env.get("PYTHONPATH", "")]
    )
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# The start of a probe script: from here on, `seen` lists the top-level name of
# every module first imported on the main thread (an audit hook: a module another
# thread imports is not the caller's wait).
MAIN_THREAD_IMPORTS = """
import sys, threading, json
main = threading.main_thread()
seen = []
def hook(event, args):
    if event == "import" and threading.current_thread() is main:
        seen.append(args[0].split(".")[0])
sys.addaudithook(hook)
"""
