"""Startup benchmark: cold CLI commands, `%load_ext`, and the first tracked cell.

    python benchmarks/bench_startup.py          # 3 repeats each
    python benchmarks/bench_startup.py --quick  # 1 repeat, for a smoke check
    python benchmarks/bench_startup.py --cli    # the command-line figures only

Each CLI figure is a fresh `python -m nbtrack ...` process on a small store
(two runs of one notebook with snapshots). The kernel figures come from a
fresh ipykernel driven through jupyter_client. Targets from issue 12 item 2
(and issue 11 item 7) are printed beside the measurements.
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

from bytecode import cached_bytecode  # beside this script

_SETUP = r"""
import nbformat
from nbtrack import tracking
import nbtrack
nb = nbformat.v4.new_notebook()
cell = nbformat.v4.new_code_cell("lr = 0.1\nplot()")
nb.cells = [cell, nbformat.v4.new_code_cell("x = 1")]
for i, lr in enumerate((0.1, 0.01)):
    svg = "<svg>" + f"<path d='M {i} 2 L 3 4'/>" * 300 + "</svg>"
    cell.source = f"lr = {lr}\nplot()"
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={"image/svg+xml": svg, "text/plain": "<Figure>"})]
    nbformat.write(nb, "train.ipynb")
    run = tracking.begin_run(name="train", params={"lr": lr}, notebook="train.ipynb",
                             cell_source=cell.source, snapshot=True, history=[cell.source])
    for step in range(100):
        nbtrack.log(loss=lr / (step + 1), acc=step / 100)
    tracking.end_run(run)
"""


def _env() -> dict[str, str]:
    env = cached_bytecode({k: v for k, v in os.environ.items() if k != "NBTRACK_STORE"})
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def small_store() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-startup-"))
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run([sys.executable, "-c", _SETUP], cwd=folder, env=_env(), check=True)
    return folder


def cold_cli(folder: Path, args: list[str], repeats: int) -> tuple[float, float]:
    """Median wall time and CPU time (user + system, git's processes included) of a
    fresh `python -m nbtrack ARGS` process. On a busy machine the CPU time is the
    steadier figure: the wall time waits for the other processes too."""
    import resource

    walls, cpus = [], []
    subprocess.run(  # warm-up: bytecode cached, files in the page cache
        [sys.executable, "-m", "nbtrack", *args],
        cwd=folder,
        env=_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "nbtrack", *args],
            cwd=folder,
            env=_env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


_FIRST_POINT = "import nbtrack\nwith nbtrack.start_run():\n    nbtrack.log(loss=1.0)\n"


def cold_first_point(folder: Path, fresh: bool, repeats: int) -> tuple[float, float]:
    """Median wall and CPU time of a fresh `python -c` process that imports nbtrack
    and logs one point in a run: into the store of `folder`, or (fresh) into a new
    project whose store the process creates."""
    import resource

    walls, cpus = [], []
    for _ in range(repeats + 1):  # the first one warms the bytecode cache
        where = Path(tempfile.mkdtemp(prefix="nbtrack-bench-first-")) if fresh else folder
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", _FIRST_POINT], cwd=where, env=_env(), check=True)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls[1:]), statistics.median(cpus[1:])


_LOAD_EXT = """
import time, json
t0 = time.perf_counter()
get_ipython().run_line_magic("load_ext", "nbtrack")
load_ext = time.perf_counter() - t0
# The user's loop right after %load_ext, while the warm-up imports run: the
# longest pause between two iterations is how long the warm-up held the GIL.
gaps, last = [], time.perf_counter()
while time.perf_counter() - t0 < 3:
    now = time.perf_counter()
    gaps.append(now - last)
    last = now
print(json.dumps({"load_ext": load_ext, "gil_stall": max(gaps)}))
"""


def kernel_figures(folder: Path, with_loop: bool) -> dict[str, float]:
    """%load_ext time, the longest GIL stall during the warm-up, and the recorded
    durations of an empty first and second tracked cell, in a fresh kernel."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(folder), env={**_env(), "JPY_SESSION_NAME": ""})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        figures: dict[str, float] = {}
        if with_loop:
            figures.update(json.loads(_run(kc, _LOAD_EXT)))
        else:
            t0 = time.perf_counter()
            _run(kc, "%load_ext nbtrack")
            figures["load_ext"] = time.perf_counter() - t0  # includes the round trip
        t0 = time.perf_counter()
        _run(kc, "%%track --name bench-first\npass")
        figures["first_cell_wall"] = time.perf_counter() - t0
        _run(kc, "%%track --name bench-second\npass")
        durations = json.loads(
            _run(
                kc,
                "import json; df = nbtrack.runs()\n"
                "print(json.dumps({n: float(df[df.name == n].duration.iloc[0])"
                " for n in ('bench-first', 'bench-second')}))",
            )
        )
        figures["first"] = durations["bench-first"]
        figures["second"] = durations["bench-second"]
        return figures
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _run(kc: object, code: str) -> str:
    """Execute `code`, return its stdout; raise on an error."""
    msg_id = kc.execute(code)  # type: ignore[attr-defined]
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=300)  # type: ignore[attr-defined]
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stdout":
            out.append(content["text"])
        elif kind == "error":
            raise RuntimeError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


def headings_40k() -> float:
    from nbtrack.format import _headings

    columns = [f"metrics.m{i}" for i in range(20_000)] + [f"params.p{i}" for i in range(20_000)]
    t0 = time.perf_counter()
    _headings(columns)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat of each figure")
    parser.add_argument("--cli", action="store_true", help="the command-line figures only")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3

    folder = small_store()
    commands = [
        ("nbtrack runs (cold process)", ["runs"], "<= 0.5 s"),
        ("nbtrack show (cold process)", ["show", "latest"], "<= 0.5 s"),
        ("nbtrack diff (cold process)", ["diff", "latest~1", "latest"], "<= 1 s"),
    ]
    load = os.getloadavg()[0]
    print(f"nbtrack startup benchmark ({repeats} repeat(s), median; load average {load:.1f})")
    for label, argv, target in commands:
        wall, cpu = cold_cli(folder, argv, repeats)
        print(f"  {label:46} {wall:8.3f} s   target {target}   (CPU {cpu:.3f} s)")
    for label, fresh, target in (
        ("cold process to first point, existing store", False, "<= 0.2 s"),
        ("cold process to first point, fresh store", True, "<= 0.25 s"),
    ):
        wall, cpu = cold_first_point(folder, fresh, repeats)
        print(f"  {label:46} {wall:8.3f} s   target {target}   (CPU {cpu:.3f} s)")
    if args.cli:
        return
    kernels = [kernel_figures(folder, with_loop=i == 0) for i in range(repeats)]

    def med(key: str) -> float:
        return statistics.median(k[key] for k in kernels if key in k)

    apart = statistics.median(k["first"] - k["second"] for k in kernels)
    rows = [
        ("%load_ext nbtrack in a kernel", med("load_ext"), "<= 0.3 s"),
        ("first empty tracked cell, recorded", med("first"), ""),
        ("second empty tracked cell, recorded", med("second"), ""),
        ("first minus second, recorded", apart, "<= 0.3 s"),
        ("first tracked cell, wall (waits for warm-up)", med("first_cell_wall"), ""),
        ("longest GIL stall in a loop during warm-up", med("gil_stall"), "no long stretch"),
        ("runs table headings, 40,000 columns", headings_40k(), "was 20.7 s"),
    ]
    for label, value, target in rows:
        print(f"  {label:46} {value:8.3f} s   target {target or '-'}")


if __name__ == "__main__":
    main()
