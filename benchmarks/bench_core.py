"""Core tracking benchmark: prints figures for the README's performance section.

    python benchmarks/bench_core.py
    python benchmarks/bench_core.py --quick   # small sizes, for CI

Each figure runs in a fresh temporary project (SQLite store). Targets from the
core tracking issue are printed beside the measurements.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_POINTS = 200_000


def _fresh_project() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-"))
    os.chdir(folder)
    os.environ.pop("NBTRACK_STORE", None)
    return folder


def bench_log(n_points: int = N_POINTS) -> tuple[float, float]:
    """µs per point: nbtrack.log() incl. the final flush, and raw sqlite3 executemany."""
    import nbtrack
    from nbtrack.store import forget_stores, open_store

    folder = _fresh_project()
    with nbtrack.start_run():  # warm the store and the environment capture
        pass
    t0 = time.perf_counter()
    with nbtrack.start_run():
        log = nbtrack.log
        for i in range(n_points // 2):
            log(loss=1.0 / (i + 1), acc=i * 1e-5)
    ours = (time.perf_counter() - t0) / n_points * 1e6
    assert open_store(f"sqlite:///{folder}/.nbtrack/nbtrack.db").counts()["points"] == n_points
    forget_stores()

    # The limit the issue names: the same points into an unindexed table of the same
    # five columns, one transaction, rows prebuilt.
    raw_db = folder / "raw.db"
    conn = sqlite3.connect(raw_db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE raw (run_id TEXT, key TEXT, step INTEGER, value REAL, time REAL)")
    conn.commit()
    run_id = "01" * 13
    now = time.time()
    rows = []
    for i in range(n_points // 2):
        rows.append((run_id, "loss", i, 1.0 / (i + 1), now))
        rows.append((run_id, "acc", i, i * 1e-5, now))
    t0 = time.perf_counter()  # rows prebuilt: only the insert is timed
    with conn:
        conn.executemany(
            "INSERT INTO raw (run_id, key, step, value, time) VALUES (?,?,?,?,?)",
            rows,
        )
    raw = (time.perf_counter() - t0) / n_points * 1e6
    conn.close()
    return ours, raw


def bench_import(repeats: int = 5) -> float:
    """Seconds for `%load_ext nbtrack` in a fresh IPython (import + magics), median."""
    code = (
        "import time; from IPython.core.interactiveshell import InteractiveShell; "
        "ip = InteractiveShell.instance(); t = time.perf_counter(); "
        "ip.run_line_magic('load_ext', 'nbtrack'); print(time.perf_counter() - t)"
    )
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(repeats)
    ]
    return statistics.median(times)


def bench_run_lifecycle(n: int = 200) -> float:
    """ms to create and finish a run with 10 params and 3 metrics (no snapshot)."""
    import nbtrack

    _fresh_project()
    params = {f"p{i}": i * 0.1 for i in range(10)}
    with nbtrack.start_run(params=params):
        pass
    t0 = time.perf_counter()
    for _ in range(n):
        with nbtrack.start_run(params=params):
            nbtrack.log(loss=0.1, acc=0.9, lr=0.01)
    return (time.perf_counter() - t0) / n * 1e3


def populate_runs(store_url: str, n: int) -> None:
    """n finished runs with 10 params and 5 metric summaries each, inserted in bulk
    through nbtrack's own tables (logging them one by one would take minutes).
    Also used by bench_peers.py."""
    import json

    import sqlalchemy as sa

    from nbtrack.ids import new_id
    from nbtrack.store import open_store, schema

    store = open_store(store_url)
    now = time.time()
    runs, sums = [], []
    for i in range(n):
        rid = new_id(now - n + i)
        runs.append(
            dict(
                id=rid,
                experiment="bench",
                notebook="bench.ipynb",
                stem="bench",
                seq=i + 1,
                name=f"bench#{i + 1}",
                status="finished",
                start_time=now - n + i,
                end_time=now - n + i + 1,
                params=json.dumps({f"p{j}": i * j for j in range(10)}),
                tags="[]",
            )
        )
        sums += [
            dict(run_id=rid, key=f"m{k}", last=0.5, last_step=9, min=0.1, max=0.9, count=10)
            for k in range(5)
        ]
    with store.writing() as conn:
        conn.execute(sa.insert(schema.runs), runs)
        conn.execute(sa.insert(schema.summaries), sums)


def bench_runs_query(n: int = 10_000) -> float:
    """Seconds for nbtrack.runs() over n runs with 10 params and 5 metrics each."""
    import nbtrack

    folder = _fresh_project()
    populate_runs(f"sqlite:///{folder}/.nbtrack/nbtrack.db", n)
    nbtrack.runs()  # warm imports
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        df = nbtrack.runs()
        times.append(time.perf_counter() - t0)
    assert len(df) == n and "params.p9" in df and "metrics.m4" in df
    return min(times)


def bench_track_overhead(n: int = 50) -> float:
    """ms that %%track adds to an empty cell (an empty cell with and without it),
    in steady state: the snapshot commit (outside git: the private repository)
    is included, since the run's end waits for it."""
    from IPython.core.interactiveshell import InteractiveShell

    _fresh_project()
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nbtrack")

    def timed(cell: str) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            ip.run_cell(cell, silent=True)
        return (time.perf_counter() - t0) / n * 1e3

    import contextlib
    import io
    import threading

    for thread in threading.enumerate():  # %load_ext's warm-up imports, done by now
        if thread.name == "nbtrack-warmup":
            thread.join()
    with contextlib.redirect_stdout(io.StringIO()):
        for _ in range(5):  # warm-up: first store, snapshot repository and git calls
            ip.run_cell("%%track\npass")
        tracked = timed("%%track\npass")
    plain = timed("pass")
    return tracked - plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    args = parser.parse_args()
    quick = args.quick
    n_points, n_runs, n_lifecycle, n_cells = (
        (20_000, 1_000, 20, 10) if quick else (N_POINTS, 10_000, 200, 50)
    )
    mode = "QUICK (small sizes, for CI)" if quick else "full"
    print(f"nbtrack core benchmark, {mode} (SQLite store, this machine)")
    ours, raw = bench_log(n_points)
    print(
        f"log() per point, {n_points:,} points incl. final flush: {ours:6.2f} µs"
        f"   raw sqlite3 executemany, unindexed table: {raw:5.2f} µs"
        f"   ratio {ours / raw:4.2f}x (target <= 1.5x)"
    )
    print(
        f"%load_ext nbtrack (cold import + magics):          "
        f"{bench_import(2 if quick else 5) * 1e3:6.0f} ms   (target < 300 ms)"
    )
    print(
        f"create + finish a run, 10 params, 3 metrics:       "
        f"{bench_run_lifecycle(n_lifecycle):6.1f} ms   (target < 10 ms)"
    )
    print(
        f"nbtrack.runs() over {n_runs:,} runs (10 params, 5 metrics): "
        f"{bench_runs_query(n_runs):5.2f} s   (target < 1 s for 10,000)"
    )
    print(
        f"%%track overhead on an empty cell:                 "
        f"{bench_track_overhead(n_cells):6.1f} ms   (target < 50 ms)"
    )


if __name__ == "__main__":
    main()
