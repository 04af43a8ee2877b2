"""nbtrack side by side with its peers (TensorBoardX, MLflow): same workloads,
fresh processes, ratios measured in the same run.

    python benchmarks/bench_peers.py            # installs the peers, full sizes
    python benchmarks/bench_peers.py --quick    # small sizes, peers only if installed

The peers live in the benchmark's own virtual environment
(`benchmarks/.peers-venv`, git-ignored; `--venv` to move it), never in the
project's: a full run creates it and installs what is missing, and prints
"not installed: <reason>" for a peer that cannot be installed (no network, a
failed build). nbtrack runs from this checkout with this interpreter.

Every figure comes from a fresh process (`python -c`), in a folder of its own:

- cold start → first point: from spawning the process to the first metric
  call returning (import, run creation, one point), with a store left by an
  earlier run and with none yet; the interpreter's own start is printed too;
- `log()` per call: a loop of calls of one metric with a step, timed inside;
- 200 runs × 100 points: creating them one after another, and the size of
  everything the tool left on disk afterwards (all files);
- finish: ending a run of 20,000 points that were logged over a second or more;
- listing 10,000 runs (10 params, 5 metrics each) into a DataFrame in a fresh
  process: `nbtrack.runs()`, `mlflow.search_runs()` (TensorBoard has no run
  listing). The runs are made in bulk in each store's own tables (nbtrack's
  through its schema, MLflow's as copies of one run made through its API):
  making them one by one through either API takes minutes.

MLflow runs with its defaults: the SQLite store (`mlflow.db`; its file store now
refuses to start without an opt-out) and synchronous logging (its asynchronous
mode took minutes here to drain 2,000 points at a run's end).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VENV = ROOT / "benchmarks" / ".peers-venv"

FULL = {
    "cold": 3,
    "calls": 100_000,
    "runs": 200,
    "points": 100,
    "finish": 20_000,
    "listing": 10_000,
}
QUICK = {
    "cold": 1,
    "calls": 5_000,
    "runs": 20,
    "points": 100,
    "finish": 2_000,
    "listing": 300,
}
FINISH_OVER_S = 1.0
MLFLOW_CALLS = 1_000

from bytecode import cached_bytecode  # noqa: E402 - beside this script
from peer_workloads import MLFLOW, NBTRACK, TENSORBOARDX  # noqa: E402


@dataclass
class Tool:
    name: str
    source: str
    requirements: list[str]  # what the peers venv needs for it
    env: dict[str, str] = field(default_factory=dict)
    python: str | None = None  # None: not installed
    missing: str = ""
    max_calls: int | None = None  # fewer calls for the per-call figure (a slow peer)


def tools() -> list[Tool]:
    nbtrack_env = {
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        # this checkout's bytecode cached, as the peers' installations have theirs
        **cached_bytecode({}),
    }
    quiet_mlflow = {
        "MLFLOW_DISABLE_TELEMETRY": "true",  # no phoning home (and no waiting for it)
        "DO_NOT_TRACK": "true",
        "GIT_PYTHON_REFRESH": "quiet",
    }
    return [
        Tool("nbtrack", NBTRACK, [], nbtrack_env, python=sys.executable),
        Tool("tensorboardx", TENSORBOARDX, ["tensorboardX"]),
        Tool(
            "mlflow",
            MLFLOW,
            ["mlflow-skinny", "sqlalchemy", "alembic", "pandas"],
            quiet_mlflow,
            max_calls=MLFLOW_CALLS,
        ),
    ]


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else "no output"


def prepare_peers(peers: list[Tool], venv: Path, install: bool) -> None:
    """Point each peer at the peers venv's interpreter, installing it if asked."""
    python = venv / "bin" / "python"
    if install and not python.exists():
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
        )
        if made.returncode != 0:
            for tool in peers:
                tool.missing = f"no venv at {venv}: {_last_line(made.stderr)}"
            return
    for tool in peers:
        module = {"tensorboardx": "tensorboardX"}.get(tool.name, tool.name)
        if not python.exists():
            tool.missing = f"absent from {venv} (run without --quick to install)"
            continue
        have = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True)
        if have.returncode != 0 and install:
            got = subprocess.run(
                [str(python), "-m", "pip", "install", "-q", *tool.requirements],
                capture_output=True,
                text=True,
                env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
            )
            if got.returncode != 0:
                tool.missing = f"pip install failed: {_last_line(got.stderr)}"
                continue
            have = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True)
        if have.returncode != 0:
            tool.missing = f"absent from {venv}" + ("" if install else " (run without --quick)")
            continue
        tool.python = str(python)


def _env(tool: Tool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NBTRACK_STORE", "PYTHONPATH")}
    return {**env, **tool.env}  # nbtrack's: its bytecode cached (bytecode.py)


def child(tool: Tool, folder: Path, what: str, **args: object) -> dict:
    """Run one workload of `tool` in a fresh process in `folder`; its JSON line."""
    args.setdefault("over", FINISH_OVER_S)
    done = subprocess.run(
        [tool.python or "", "-c", tool.source, what, json.dumps(args)],
        cwd=folder,
        env=_env(tool),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{tool.name} {what} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cold_start(tool: Tool, folder: Path) -> tuple[float, float]:
    """Seconds from spawning a process to its first point logged, and the CPU
    seconds the process had used by then (steadier on a loaded machine)."""
    t0 = time.time()
    proc = subprocess.Popen(
        [tool.python or "", "-c", tool.source, "cold", "{}"],
        cwd=folder,
        env=_env(tool),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    _, err = proc.communicate(timeout=600)
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"{tool.name} cold start failed:\n{err[-3000:]}")
    got = json.loads(line)
    return got["first"] - t0, got["cpu"]


def interpreter_start(python: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([python, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def disk_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts)


def measure(tool: Tool, sizes: dict[str, int], base: Path) -> dict[str, float | None]:
    """Every figure of one tool, each workload in a folder of its own."""
    n = 0

    def folder(git: bool = False) -> Path:
        nonlocal n
        n += 1
        path = base / f"{tool.name}-{n}"
        path.mkdir()
        if git:  # users work in repositories; nbtrack and MLflow record the commit
            subprocess.run(["git", "init", "-q", str(path)], check=True)
        return path

    def note(key: str, value: float | None, unit: str) -> None:
        fig[key] = value
        shown = "n/a" if value is None else f"{value:.4g} {unit}"
        print(f"  {tool.name}: {key} {shown}", flush=True)

    fig: dict[str, float | None] = {}
    note("start", interpreter_start(tool.python or "", 3), "s")
    existing = folder(git=True)
    child(tool, existing, "cold")  # leaves a store behind
    for key, where in (("existing", lambda: existing), ("fresh", lambda: folder(git=True))):
        wall, cpu = zip(*(cold_start(tool, where()) for _ in range(sizes["cold"])), strict=True)
        note(f"cold_{key}", statistics.median(wall), "s")
        note(f"cold_{key}_cpu", statistics.median(cpu), "s CPU")
    calls = min(sizes["calls"], tool.max_calls or sizes["calls"])
    note("log_us", child(tool, folder(), "log", n=calls)["per_call"] * 1e6, "µs")
    made = folder()
    note(
        "create",
        child(tool, made, "create", runs=sizes["runs"], points=sizes["points"])["seconds"],
        "s",
    )
    note("size_mb", disk_size(made) / 1e6, "MB")
    note("finish", child(tool, folder(), "finish", n=sizes["finish"])["seconds"], "s")
    listing = None
    if "populate" in tool.source:
        listed = folder()
        child(tool, listed, "populate", n=sizes["listing"], benchmarks=str(ROOT / "benchmarks"))
        got = child(tool, listed, "listing")
        assert got["rows"] == sizes["listing"], got
        listing = got["seconds"]
    note("listing", listing, "s")
    return fig


# Where nbtrack's cold start goes, each a fresh process: CPU seconds (steady on
# a loaded machine) and the best wall time. The stdlib line is the floor of a
# first point written through `sqlite3` alone, as the issue asks to weigh.
BREAKDOWN = [
    ("python -c pass", "pass"),
    ("import sqlalchemy + its SQLite dialect", "import sqlalchemy, sqlalchemy.dialects.sqlite"),
    ("import nbtrack.tracking (all it imports)", "import nbtrack.tracking"),
    (
        "environment record (packages, platform, GPU)",
        "from nbtrack.capture.environment import capture_environment; capture_environment()",
    ),
    (
        "stdlib sqlite3: open, a run row, a point",
        "import sqlite3, time\n"
        "c = sqlite3.connect('floor.db'); c.execute('pragma journal_mode=wal')\n"
        "c.execute('create table if not exists r (id text primary key, params text)')\n"
        "c.execute('create table if not exists m (run text, key text, step int, v real)')\n"
        "with c:\n"
        "    c.execute('insert into r values (?, ?)', (str(time.time_ns()), '{}'))\n"
        "    c.execute('insert into m values (?, ?, ?, ?)', ('r', 'x', 0, 1.0))",
    ),
    (
        "nbtrack: import, start a run, log a point",
        "import nbtrack, os\nwith nbtrack.start_run():\n    nbtrack.log(x=1.0)\n    os._exit(0)",
    ),
]


def breakdown(repeats: int) -> list[str]:
    import resource

    tool = tools()[0]
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-peers-breakdown-"))
    lines = [f"  {'where nbtrack cold start goes (fresh processes)':52} {'CPU':>8} {'wall':>8}"]
    try:
        child(tool, folder, "cold")  # an existing store
        for label, code in BREAKDOWN:
            cpu, wall = [], []
            for _ in range(repeats):
                r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
                subprocess.run([sys.executable, "-c", code], cwd=folder, env=_env(tool), check=True)
                wall.append(time.perf_counter() - t0)
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
            lines.append(f"  {label:52} {statistics.median(cpu):7.3f}s {min(wall):7.3f}s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return lines


ROWS = [  # key, label, unit format, target
    ("start", "interpreter start (python -c pass)", "{:.3f} s", ""),
    ("cold_existing", "cold start -> first point, existing store", "{:.3f} s", "<= 0.2 s"),
    ("cold_fresh", "cold start -> first point, fresh store", "{:.3f} s", "<= 0.25 s"),
    ("cold_existing_cpu", "  CPU used by then, existing store", "{:.3f} s", ""),
    ("cold_fresh_cpu", "  CPU used by then, fresh store", "{:.3f} s", ""),
    ("log_us", "log() per call", "{:.2f} µs", ""),
    ("create", "{runs} runs x {points} points created", "{:.2f} s", ""),
    ("finish", "finish after {finish:,} points over >= 1 s", "{:.4f} s", "<= 0.01 s"),
    ("size_mb", "store size, {runs} runs x {points} points", "{:.2f} MB", "<= 2 MB"),
    ("listing", "list {listing:,} runs into a DataFrame", "{:.2f} s", ""),
]


def table(results: dict[str, dict], sizes: dict[str, int]) -> list[str]:
    names = list(results)
    peers = names[1:]
    head = f"  {'column':44}" + "".join(f"{n:>14}" for n in names)
    head += f"  {'nbtrack / best peer':>22}  target"
    lines = [head]
    for key, label, fmt, target in ROWS:
        cells = []
        for name in names:
            value = results[name].get(key)
            cells.append(fmt.format(value) if value is not None else "n/a")
        ours = results["nbtrack"].get(key)
        theirs = [(results[p][key], p) for p in peers if results[p].get(key) is not None]
        ratio = ""
        if ours is not None and theirs:
            best, who = min(theirs)
            ratio = f"{ours / best:.2f}x ({who})" if best > 0 else ""
        lines.append(
            f"  {label.format(**sizes):44}"
            + "".join(f"{c:>14}" for c in cells)
            + f"  {ratio:>22}  {target or '-'}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes; peers only if already installed (for CI)"
    )
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="the peers' venv")
    parser.add_argument(
        "--peers", default="tensorboardx,mlflow", help="which peers (comma-separated; '' for none)"
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    chosen = {p.strip() for p in args.peers.split(",") if p.strip()}
    all_tools = [t for t in tools() if t.name == "nbtrack" or t.name in chosen]
    prepare_peers(all_tools[1:], args.venv, install=not args.quick)
    base = Path(tempfile.mkdtemp(prefix="nbtrack-bench-peers-"))
    results: dict[str, dict] = {}
    try:
        for tool in all_tools:
            if tool.python is None:
                print(f"{tool.name}: not installed: {tool.missing}")
                continue
            print(f"measuring {tool.name} ...", flush=True)
            if tool.name == "nbtrack":  # nbtrack failing fails the benchmark (and CI)
                results[tool.name] = measure(tool, sizes, base)
                continue
            try:
                results[tool.name] = measure(tool, sizes, base)
            except (RuntimeError, subprocess.SubprocessError, ValueError, AssertionError) as exc:
                print(f"{tool.name}: failed, left out: {_last_line(str(exc))}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    load = os.getloadavg()[0]
    mode = "QUICK (small sizes, for CI)" if args.quick else "full"
    print(
        f"\nnbtrack vs peers, {mode}; fresh processes; load average {load:.1f}, "
        f"{os.cpu_count()} cores"
    )
    print("\n".join(table(results, sizes)))
    print()
    print("\n".join(breakdown(sizes["cold"] + 2)))
    if "mlflow" in results:
        print("  (mlflow: its default SQLite store and synchronous logging; log() per call over")
        print(
            f"   {MLFLOW_CALLS:,} calls: its asynchronous mode took minutes to drain 2,000 points)"
        )


if __name__ == "__main__":
    main()
