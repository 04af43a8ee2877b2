"""Snapshot benchmark: what a notebook snapshot adds to a tracked cell.

    python benchmarks/bench_snapshot.py
    python benchmarks/bench_snapshot.py --quick   # 3 repeats instead of 15, for CI

A real git repository, a 1 MB notebook of 200 cells and 200 cells of kernel
history (the versioning issue's case). Figures:

- cell-start cost: `begin_run` with a snapshot minus without (the part the
  user waits for before their code runs; target < 100 ms);
- background time: from cell start until the commit exists (the run's end
  waits for it, so a cell shorter than this ends that much later);
- building the files and committing them, each on its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

N_CELLS = 200
TARGET_BYTES = 1024 * 1024
REPEAT = 15


def _notebook(path: Path) -> list[str]:
    import nbformat

    per_cell = TARGET_BYTES // N_CELLS
    nb = nbformat.v4.new_notebook()
    sources = []
    for i in range(N_CELLS):
        source = f"# cell {i}\nvalue_{i} = compute({i}, lr=0.{i % 10 + 1})\nprint(value_{i})"
        sources.append(source)
        text = (f"step {i}: loss {1 / (i + 1):.6f}\n" * (per_cell // 28))[:per_cell]
        nb.cells.append(
            nbformat.v4.new_code_cell(
                source, outputs=[nbformat.v4.new_output("stream", name="stdout", text=text)]
            )
        )
    nbformat.write(nb, path)
    return sources


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats, for CI")
    repeat = 3 if parser.parse_args().quick else REPEAT
    if repeat != REPEAT:
        print(f"QUICK run ({repeat} repeats, for CI)")
    from nbtrack import tracking
    from nbtrack.snapshots import finish_snapshot
    from nbtrack.versioning import build_snapshot, commit_snapshot, preload
    from nbtrack.versioning.snapshot import read_notebook_bytes

    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-snap-"))
    os.chdir(folder)
    os.environ.pop("NBTRACK_STORE", None)
    subprocess.run(["git", "init", "-q"], check=True)
    nb_path = folder / "big.ipynb"
    history = _notebook(nb_path)
    size = nb_path.stat().st_size
    preload()  # what %load_ext does in the background

    def one(snapshot: bool) -> tuple[float, float]:
        t0 = time.perf_counter()
        run = tracking.begin_run(
            notebook=nb_path, cell_source=history[-1], snapshot=snapshot, history=history
        )
        started = time.perf_counter() - t0
        job = run.snapshot_job
        finish_snapshot(job, run)
        committed = time.perf_counter() - t0
        tracking.end_run(run)
        return started, committed

    one(True), one(False)  # warm up the store, git and the caches
    with_snap, without, committed = [], [], []
    for _ in range(repeat):
        s, c = one(True)
        with_snap.append(s)
        committed.append(c)
        without.append(one(False)[0])

    build, commit = [], []
    for i in range(repeat):
        t0 = time.perf_counter()
        files = build_snapshot(
            nb_path,
            history[-1],
            history,
            {"id": str(i)},
            notebook_bytes=read_notebook_bytes(nb_path),
        )
        t1 = time.perf_counter()
        commit_snapshot(folder, files, "refs/nbtrack/bench", f"bench {i}")
        t2 = time.perf_counter()
        build.append(t1 - t0)
        commit.append(t2 - t1)

    added = _median_ms(with_snap) - _median_ms(without)
    print(f"notebook: {size / 1024 / 1024:.2f} MB, {N_CELLS} cells, {len(history)} history cells")
    print(f"cell start without snapshot   {_median_ms(without):7.1f} ms (median of {repeat})")
    print(f"cell start with snapshot      {_median_ms(with_snap):7.1f} ms")
    print(f"  added at cell start         {added:7.1f} ms   (target < 100 ms)")
    print(f"commit exists after           {_median_ms(committed):7.1f} ms (background)")
    print(f"  build_snapshot              {_median_ms(build):7.1f} ms")
    print(f"  commit_snapshot             {_median_ms(commit):7.1f} ms")


if __name__ == "__main__":
    main()
