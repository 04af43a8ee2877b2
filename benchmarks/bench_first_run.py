"""First-run benchmark: does the first tracked cell after `%load_ext` cost what
the others cost? A fresh ipykernel, driven through jupyter_client, in a fresh
git project.

    python benchmarks/bench_first_run.py          # 3 kernels, medians
    python benchmarks/bench_first_run.py --quick  # 1 kernel, a smoke check

Per kernel: `%load_ext nbtrack` (timed inside the kernel); a user's loop for
3 s right after it, while the warm-up imports run in the background (the
longest pause between two iterations is the longest stretch the warm-up held
the GIL); then two empty tracked cells back to back. For each of those: the
recorded duration, the time from sending the cell to its body starting, and
the cell's wall time. A ticker thread in the kernel (1 ms sleeps) reports the
longest stall it saw over the whole sequence. Targets from issue 12 item 2 are
printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_TICKER = """
import threading, time
_nbtrack_bench_stall = [0.0]
def _nbtrack_bench_tick():
    last = time.perf_counter()
    while True:
        time.sleep(0.001)
        now = time.perf_counter()
        _nbtrack_bench_stall[0] = max(_nbtrack_bench_stall[0], now - last)
        last = now
threading.Thread(target=_nbtrack_bench_tick, daemon=True).start()
"""

_LOAD_EXT = """
import json, time
t0 = time.perf_counter()
get_ipython().run_line_magic("load_ext", "nbtrack")
load_ext = time.perf_counter() - t0
gaps, last = [], time.perf_counter()
while time.perf_counter() - t0 < {loop}:
    now = time.perf_counter()
    gaps.append(now - last)
    last = now
print(json.dumps({{"load_ext": load_ext, "loop_stall": max(gaps, default=0.0)}}))
"""

_CELL = "%%track --name {name}\nimport time\n_nbtrack_body_at = time.time()\npass"

_RESULTS = """
import json
import nbtrack
try:
    w = nbtrack.session.current().warm_up
    warm_up = max(w.done_at.values()) - w.started_at
except AttributeError:  # a version of nbtrack before the session (for comparison)
    warm_up = float("nan")
df = nbtrack.runs()
print(json.dumps({
    "durations": {n: float(df[df.name == n].duration.iloc[0]) for n in ("first", "second")},
    "warm_up": warm_up,
    "ticker_stall": _nbtrack_bench_stall[0],
}))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NBTRACK_STORE"}
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env["JPY_SESSION_NAME"] = ""
    return env


def _run(kc: Any, code: str) -> str:
    """Execute `code`, return its stdout; raise on an error."""
    msg_id = kc.execute(code)
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=300)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stdout":
            out.append(content["text"])
        elif kind == "error":
            raise RuntimeError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


def _tracked_cell(kc: Any, name: str) -> dict[str, float]:
    sent = time.time()
    _run(kc, _CELL.format(name=name))
    wall = time.time() - sent
    body_at = float(_run(kc, "print(_nbtrack_body_at)"))
    return {"to_body": body_at - sent, "wall": wall}


def one_kernel(loop_s: float) -> dict[str, float]:
    from jupyter_client.manager import KernelManager

    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-first-"))
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(folder), env=_env())
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        _run(kc, _TICKER)
        figures: dict[str, float] = json.loads(_run(kc, _LOAD_EXT.format(loop=loop_s)))
        first = _tracked_cell(kc, "first")
        second = _tracked_cell(kc, "second")
        results = json.loads(_run(kc, _RESULTS))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    durations = results["durations"]
    figures.update(
        first=durations["first"],
        second=durations["second"],
        apart=durations["first"] - durations["second"],
        first_to_body=first["to_body"],
        second_to_body=second["to_body"],
        first_wall=first["wall"],
        second_wall=second["wall"],
        warm_up=results["warm_up"],
        ticker_stall=results["ticker_stall"],
    )
    return figures


ROWS = [
    ("load_ext", "%load_ext nbtrack (in the kernel)", "<= 0.3 s"),
    ("first", "first empty tracked cell, recorded", ""),
    ("second", "second empty tracked cell, recorded", ""),
    ("apart", "first minus second, recorded", "<= 0.3 s"),
    ("first_to_body", "first cell: sent -> body runs", "what the run needs only"),
    ("second_to_body", "second cell: sent -> body runs", ""),
    ("first_wall", "first cell, wall (its end waits for the snapshot)", ""),
    ("second_wall", "second cell, wall", ""),
    ("warm_up", "warm-up, all stages (background)", ""),
    ("loop_stall", "longest pause of a user loop during warm-up", "no long stretch"),
    ("ticker_stall", "longest stall of a 1 ms ticker thread, whole run", "no long stretch"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one kernel instead of three")
    parser.add_argument(
        "--loop", type=float, default=3.0, help="seconds of user loop after %%load_ext"
    )
    args = parser.parse_args()
    kernels = [one_kernel(args.loop) for _ in range(1 if args.quick else 3)]
    load = os.getloadavg()[0]
    print(
        f"nbtrack first-run benchmark ({len(kernels)} kernel(s), median; "
        f"load average {load:.1f}; loop of {args.loop:g} s after %load_ext)"
    )
    for key, label, target in ROWS:
        value = statistics.median(k[key] for k in kernels)
        print(f"  {label:52} {value:8.3f} s   target {target or '-'}")


if __name__ == "__main__":
    sys.exit(main())
