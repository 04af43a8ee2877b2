"""Live chart benchmark: does the chart under a %%track cell keep up with CPU-bound
training, and what does it cost the training loop?

    python benchmarks/bench_widgets.py [--quick] [--seconds 30] [--repeat 4] [--burners 1]

A real Jupyter kernel (jupyter_client) runs a GIL-holding training loop (pure
Python, ~20 ms of work per step, one `log()` per step) while `--burners` other
processes burn a CPU each, as on a shared 2-core machine. Everything is read
from the kernel's messages on iopub, as a frontend receives them:

- keeping up: the run logs for `--seconds`; each comm update that carries new
  points for a curve is a redraw. The time of the first point on screen after
  the first `log()`, and the longest wait between redraws while the run logs,
  against the `log()` times the cell reports (same machine, same clock).
- cost: the same fixed amount of training, with the chart and with `--no-plot`,
  alternating; the loop's own time (perf_counter around the loop, in the kernel).

Targets (issue 12): first point <= 1 s after the first log(); a redraw at least
every 1.5 s for the whole run; the chart costs the loop <= 5%.

`--quick` (for CI, under a minute on a quiet machine): a 5 s run and two short pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SETUP = """%load_ext nbtrack
import json, time
def _work(k):  # pure Python: holds the GIL throughout
    x = 0
    for j in range(k):
        x += j * j
    return x
_t = time.thread_time(); _work(200_000); _t = time.thread_time() - _t
_K = max(1000, int(200_000 * 0.020 / _t))  # about 20 ms of CPU on this machine
print(json.dumps({"k": _K}))
import threading
def _threads():  # each live thread's own CPU time, by name (pthread CPU clocks)
    out = {}
    for t in threading.enumerate():
        name = "nbtrack-live" if t.name.startswith("nbtrack-live") else t.name
        try:
            cpu = time.clock_gettime(time.pthread_getcpuclockid(t.ident))
        except (OSError, AttributeError, TypeError):  # ended meanwhile, or not POSIX
            continue
        out[name] = out.get(name, 0.0) + cpu
    return out"""
# %load_ext warms up in a background thread (imports of nbformat, jupytext, bqplot:
# seconds of CPU on a busy machine); measured alongside, it would swamp the chart.
WARMED = """import threading
while any(t.name == "nbtrack-warmup" for t in threading.enumerate()):
    time.sleep(0.05)"""

LIVE = """%%track --name keepup
_logs = []
_t0 = time.perf_counter()
i = 0
while time.perf_counter() - _t0 < {seconds}:
    _work(_K)
    nbtrack.log(loss=1.0 / (i + 1), acc=i / (i + 10.0))
    _logs.append(time.time())
    i += 1"""
LIVE_REPORT = "print(json.dumps({'logs': _logs}))"

COST = """%%track {flag} --name {name}
_th0, _l0, _c0 = _threads(), time.perf_counter(), time.process_time()
for i in range({steps}):
    _work(_K)
    nbtrack.log(loss=1.0 / (i + 1), acc=i / (i + 10.0))
_loop = {{"wall": time.perf_counter() - _l0, "cpu": time.process_time() - _c0}}
_th1 = _threads()  # the chart's thread is still alive: the cell has not ended
_loop["threads"] = {{k: _th1[k] - _th0[k] for k in _th1 if k in _th0}}"""
COST_REPORT = "print(json.dumps(_loop))"

TARGET_FIRST_S, TARGET_GAP_S, TARGET_COST = 1.0, 1.5, 0.05
# The threads that do the chart's work while the loop runs: the chart's own, the
# writer (whose flush calls the chart with new points), and the one that sends
# the kernel's messages. Their CPU time with --no-plot is subtracted.
CHART_THREADS = ("nbtrack-live", "nbtrack-writer", "IOPub")


@dataclass
class Cell:
    """What the kernel sent while one cell ran: (arrival time, message)."""

    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def stdout(self) -> str:
        return "".join(
            m["content"]["text"]
            for _, m in self.messages
            if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
        )

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout().strip().splitlines()[-1])


class Kernel:
    def __init__(self, folder: Path) -> None:
        from jupyter_client import KernelManager

        env = {k: v for k, v in os.environ.items() if k != "NBTRACK_STORE"}
        env["JPY_SESSION_NAME"] = str(folder / "bench.ipynb")
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(folder), env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self.lines: dict[str, str] = {}  # comm id -> model name, of every widget opened

    def run(self, code: str, timeout: float = 600) -> Cell:
        msg_id = self.kc.execute(code)
        cell = Cell()
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no answer from the kernel to {code[:40]!r}") from None
            cell.messages.append((time.time(), msg))
            kind, content = msg["msg_type"], msg["content"]
            if kind == "comm_open":
                self.lines[content["comm_id"]] = content["data"]["state"].get("_model_name", "")
            if kind == "error":
                raise RuntimeError("\n".join(content["traceback"]))
            if (
                kind == "status"
                and content["execution_state"] == "idle"
                and msg["parent_header"].get("msg_id") == msg_id
            ):
                return cell

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def redraws(kernel: Kernel, cell: Cell) -> list[tuple[float, float, int]]:
    """(sent, arrived, points) of every comm update that gave a curve new y values,
    sent = the kernel's timestamp of the message."""
    out = []
    for arrived, msg in cell.messages:
        content = msg["content"]
        if msg["msg_type"] != "comm_msg" or kernel.lines.get(content["comm_id"]) != "LinesModel":
            continue
        paths = content["data"].get("buffer_paths", [])
        if ["y", "value"] not in paths:
            continue
        points = len(msg["buffers"][paths.index(["y", "value"])]) // 8
        sent = msg["header"]["date"].timestamp()
        out.append((sent, arrived, points))
    return out


def keep_up(kernel: Kernel, seconds: float) -> dict[str, float]:
    cell = kernel.run(LIVE.format(seconds=seconds))
    logs = kernel.run(LIVE_REPORT).json()["logs"]
    first, last = logs[0], logs[-1]
    draws = [d for d in redraws(kernel, cell) if d[2] > 0]
    if not draws:
        raise SystemExit("the live chart never drew a point: the benchmark measures nothing")
    out: dict[str, float] = {"logs": len(logs), "run_s": last - first, "redraws": len(draws)}
    for i, what in ((0, "sent"), (1, "arrived")):
        times = sorted(d[i] for d in draws)
        live = [t for t in times if t <= last] or times[:1]
        # every moment of the run is within one gap of a redraw: from the first log()
        # to the first picture, between pictures, and from the last picture to the
        # end of the run (while the run still logs)
        gaps = [b - a for a, b in zip([first, *live], [*live, last], strict=True)]
        out[f"first_{what}"] = times[0] - first
        out[f"gap_{what}"] = max(gaps)
    return out


def cost(kernel: Kernel, repeat: int, steps: int) -> dict[str, dict[str, list[Any]]]:
    """{"wall"|"cpu": {"plot"|"noplot": [seconds]}}: the loop's wall time, and the
    CPU time the whole kernel process spent meanwhile (every thread: the loop, the
    chart's, the writer's, the one sending messages). The work is the same each
    time, so the CPU time compares plot and --no-plot even when other processes
    slow the machine down unevenly."""
    loops: dict[str, dict[str, list[Any]]] = {
        what: {"plot": [], "noplot": []} for what in ("wall", "cpu", "main", "chart", "threads")
    }
    for i in range(repeat + 1):  # the first pair warms up
        for kind in ("plot", "noplot") if i % 2 else ("noplot", "plot"):
            flag = "" if kind == "plot" else "--no-plot"
            kernel.run(COST.format(flag=flag, name=f"{kind}{i}", steps=steps))
            loop = kernel.run(COST_REPORT).json()
            if i:
                for what in ("wall", "cpu"):
                    loops[what][kind].append(loop[what])
                threads = loop["threads"]
                loops["threads"][kind].append(threads)
                loops["main"][kind].append(threads.get("MainThread", 0.0))
                loops["chart"][kind].append(
                    sum(v for k, v in threads.items() if k in CHART_THREADS)
                )
    return loops


@contextmanager
def burners(n: int):
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run for CI (< 1 min)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the live run")
    parser.add_argument("--repeat", type=int, default=4, help="timed pairs for the cost")
    parser.add_argument("--steps", type=int, default=400, help="training steps per cost run")
    parser.add_argument("--burners", type=int, default=1, help="CPU-burning processes beside")
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="sys.setswitchinterval in the kernel (default: Python's, 0.005 s)",
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.repeat, args.steps = 5.0, 2, 50
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-widgets-"))
    print(
        f"live chart under a GIL-holding training loop (~20 ms a step, one log() each), "
        f"real kernel, {args.burners} CPU burner(s) beside, {os.cpu_count()} cores"
        + (f", switch interval {args.switch_interval} s" if args.switch_interval else "")
    )
    with burners(args.burners):
        kernel = Kernel(folder)
        try:
            if args.switch_interval is not None:
                kernel.run(f"import sys; sys.setswitchinterval({args.switch_interval})")
            k = kernel.run(SETUP).json()["k"]
            kernel.run(WARMED)
            kernel.run(COST.format(flag="", name="warmup", steps=5))
            up = keep_up(kernel, args.seconds)
            loops = cost(kernel, args.repeat, args.steps)
        finally:
            kernel.close()
    print(
        f"keeping up: {up['logs']:.0f} log() calls over {up['run_s']:.1f} s "
        f"({k} Python additions a step), {up['redraws']:.0f} curve redraws"
    )
    for what, label in (("arrived", "at the client"), ("sent", "sent by the kernel")):
        first, gap = up[f"first_{what}"], up[f"gap_{what}"]
        print(
            f"  {label:18s} first point {first:5.2f} s after the first log() "
            f"(target <= {TARGET_FIRST_S:.1f} s {'ok' if first <= TARGET_FIRST_S else 'MISSED'})"
            f"   longest wait for a redraw {gap:5.2f} s "
            f"(target <= {TARGET_GAP_S:.1f} s {'ok' if gap <= TARGET_GAP_S else 'MISSED'})"
        )
    print(f"cost: {args.steps} training steps, {args.repeat} runs each, median")
    labels = {"wall": "loop's wall time", "cpu": "kernel CPU meanwhile"}
    for what, label in labels.items():
        plot, noplot = (statistics.median(loops[what][k]) for k in ("plot", "noplot"))
        extra = plot / noplot - 1
        print(
            f"  {label:20s} live chart {plot:6.3f} s   --no-plot {noplot:6.3f} s   "
            f"extra {100 * extra:+5.1f}% (target <= {100 * TARGET_COST:.0f}% "
            f"{'ok' if extra <= TARGET_COST else 'MISSED'})"
        )
    chart = statistics.median(loops["chart"]["plot"]) - statistics.median(loops["chart"]["noplot"])
    main = statistics.median(loops["main"]["noplot"])
    share = chart / main
    print(
        f"  CPU of the chart's threads (live view, writer, IOPub) beyond --no-plot: "
        f"{chart:.3f} s = {100 * share:.1f}% of the loop's own {main:.3f} s "
        f"(target <= {100 * TARGET_COST:.0f}% {'ok' if share <= TARGET_COST else 'MISSED'})"
    )
    for name in CHART_THREADS:
        runs = {k: [round(t.get(name, 0.0), 3) for t in v] for k, v in loops["threads"].items()}
        print(f"  {name} thread CPU, every run, s: {json.dumps(runs)}")
    labels["chart"] = "chart threads' CPU"
    for what, label in labels.items():
        runs = {k: [round(x, 3) for x in v] for k, v in loops[what].items()}
        print(f"  {label}, every run, s: {json.dumps(runs)}")


if __name__ == "__main__":
    main()
