"""The writer under a logging loop that never pauses: sustained throughput, the
backlog's high-water mark, the end-of-run flush, and what a SIGKILL loses.

    python benchmarks/bench_writer.py [--quick] [--pg URL]

Targets (the trust issue): the backlog stays within its bound (points and age),
the end-of-run flush takes <= 0.5 s after any loop, a SIGKILL loses at most the
bound. The physical limit beside the throughput: raw inserts of the same rows
through the same driver into the same table, one transaction.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KILL_SCRIPT = """
import sys, time, nbtrack
progress = open(sys.argv[1], "w", buffering=1)
with nbtrack.start_run(name="doomed"):
    t0 = time.time()
    i = 0
    while True:
        nbtrack.log(i=i)
        if i % 1000 == 0:
            progress.write(f"{i} {time.time() - t0:.3f}\\n")
        i += 1
"""


def _fresh_project() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-writer-"))
    os.chdir(folder)
    return folder


def bench_loop(url: str | None, seconds: float) -> dict[str, float]:
    """A loop logging two keys without pause for `seconds` of its own clock."""
    import nbtrack
    from nbtrack.store import forget_stores, open_store
    from nbtrack.store.writer import MAX_BACKLOG_POINTS

    folder = _fresh_project()
    if url:
        os.environ["NBTRACK_STORE"] = url
    else:
        os.environ.pop("NBTRACK_STORE", None)
    with nbtrack.start_run():  # warm up: store, schema, environment
        pass
    logged = 0
    with nbtrack.start_run(name="fast") as run:
        log = nbtrack.log
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            for i in range(1000):
                log(loss=1.0 / (i + 1), acc=i * 1e-3)
            logged += 2000
        loop_s = time.perf_counter() - t0
        high = run.writer.high_water
        adaptive = run.writer.max_points
        rate = run.writer.rate or 0.0
        backlog_at_end = len(run.writer.queue) + run.writer.in_flight
        t1 = time.perf_counter()
    end_s = time.perf_counter() - t1
    store = open_store(url or f"sqlite:///{folder}/.nbtrack/nbtrack.db")
    stored = nbtrack.get_run("fast").metrics["loss"]["count"] * 2
    forget_stores()
    return {
        "points_per_s": logged / (loop_s + end_s),
        "logged": logged,
        "stored": stored,
        "high_water": high,
        "bound": MAX_BACKLOG_POINTS,
        "backlog_at_end": backlog_at_end,
        "adaptive_bound": adaptive,
        "writer_rate": rate,
        "end_flush_s": end_s,
        "dialect": store.dialect,
    }


def bench_raw(url: str | None, n: int) -> float:
    """Points/s of the same rows written straight through the driver: the limit."""
    from nbtrack.store import Store

    folder = _fresh_project()
    store = Store(url or f"sqlite:///{folder}/raw.db")
    rows = [("r" * 26, "loss", i, 1.0 / (i + 1), 0.0) for i in range(n)]
    t0 = time.perf_counter()
    with store.writing() as conn:
        store._point_writes.insert(conn, rows)
    took = time.perf_counter() - t0
    store.delete_run("r" * 26)
    store.close()
    return n / took


def bench_sigkill(url: str | None, after_s: float) -> dict[str, float]:
    """Kill a process logging without pause; count what reached the store."""
    import nbtrack
    from nbtrack.store import forget_stores

    folder = _fresh_project()
    env = dict(os.environ)
    if url:
        env["NBTRACK_STORE"] = url
    progress = folder / "progress.txt"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(progress)], env=env)
    deadline = time.time() + 120
    while time.time() < deadline:
        lines = progress.read_text().split("\n") if progress.exists() else []
        done = [line for line in lines if line]
        if done and float(done[-1].split()[1]) >= after_s:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    last = [line for line in progress.read_text().split("\n") if line][-1]
    logged = int(last.split()[0]) + 1
    stored = nbtrack.get_run("doomed").metrics.get("i", {}).get("count", 0)
    forget_stores()
    return {"logged_at_least": logged, "stored": stored, "lost_at_most": max(0, logged - stored)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="short loops, for CI")
    parser.add_argument("--pg", default=os.environ.get("NBTRACK_TEST_PG_URL"))
    args = parser.parse_args()
    seconds = 1.0 if args.quick else 5.0
    backends = [None] + ([args.pg] if args.pg else [])
    print(f"nbtrack writer benchmark ({'quick' if args.quick else 'full'}), pid {os.getpid()}")
    for url in backends:
        name = "sqlite" if url is None else "postgresql"
        if url is not None:
            _reset_pg(url)
        loop = bench_loop(url, seconds)
        raw = bench_raw(url, 50_000 if args.quick else 200_000)
        print(f"\n[{name}] a loop logging 2 keys without pause for {seconds:.0f} s")
        print(f"  sustained, incl. the end flush: {loop['points_per_s']:>12,.0f} points/s")
        print(f"  raw driver inserts (the limit):  {raw:>12,.0f} points/s")
        print(f"  logged {loop['logged']:,}, stored {loop['stored']:,}")
        print(
            f"  backlog high-water mark: {loop['high_water']:,} points "
            f"(bound {loop['bound']:,}); at the run's end: {loop['backlog_at_end']:,}"
        )
        print(
            f"  the store took {loop['writer_rate']:,.0f} points/s, so the bound "
            f"followed it down to {loop['adaptive_bound']:,} points"
        )
        print(f"  end-of-run flush: {loop['end_flush_s']:.3f} s   (target <= 0.5 s)")
        kill = bench_sigkill(url, 1.0 if args.quick else 2.5)
        print(
            f"  SIGKILL after logging without pause: logged >= {kill['logged_at_least']:,}, "
            f"stored {kill['stored']:,}, lost <= {kill['lost_at_most']:,} "
            f"(bound {loop['bound']:,})"
        )


def _reset_pg(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in sa.inspect(conn).get_table_names():
            if table.startswith("nbtrack_"):
                conn.execute(sa.text(f'DROP TABLE "{table}" CASCADE'))
    engine.dispose()


if __name__ == "__main__":
    main()
