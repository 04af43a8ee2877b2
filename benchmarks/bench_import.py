"""Importing from MLflow and TensorBoard, beside the source tool reading its own data.

    python benchmarks/bench_import.py [--quick]

MLflow: runs x 3 metrics x 1,000 points in an MLflow SQLite store (full: 1,000 runs;
quick: 20), read back by MLflow (`search_runs` + `get_metric_history` per run and
key) vs `nbtrack import-mlflow` (read AND written into a fresh nbtrack store).
TensorBoard: runs x 10 tags x steps (full: 100 x 10,000; quick: 3 x 1,000) written by
tensorboardX, read by tensorboard's `EventAccumulator` (all points kept) when the
`tensorboard` package is installed, vs `nbtrack import-tensorboard`.
Target: the import is faster than the source tool's own read.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def _mlflow_store(folder: Path, runs: int, points: int) -> str:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("bench")
    for i in range(runs):
        rid = client.create_run(exp, start_time=1_700_000_000_000 + i).info.run_id
        client.log_batch(
            rid,
            params=[__import__("mlflow").entities.Param("lr", str(0.001 * i))],
        )
        for key in ("loss", "acc", "lr"):
            batch = [Metric(key, s * 0.5, 1_700_000_000_000 + s, s) for s in range(points)]
            for j in range(0, points, 1000):
                client.log_batch(rid, metrics=batch[j : j + 1000])
        client.set_terminated(rid)
    return uri


def bench_mlflow(runs: int, points: int) -> None:
    from mlflow.tracking import MlflowClient

    from nbtrack.importers.mlflow_import import import_mlflow
    from nbtrack.store import open_store

    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-mlflow-"))
    t = time.perf_counter()
    uri = _mlflow_store(folder, runs, points)
    print(f"  wrote {runs} runs x 3 x {points} points with MLflow: {time.perf_counter() - t:.1f} s")
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("bench")
    t = time.perf_counter()
    n = 0
    token = None
    while True:
        page = client.search_runs([exp.experiment_id], max_results=1000, page_token=token)
        for run in page:
            for key in run.data.metrics:
                n += len(client.get_metric_history(run.info.run_id, key))
        token = page.token
        if not token:
            break
    mlflow_read = time.perf_counter() - t
    store = open_store(f"sqlite:///{folder / 'nbtrack.db'}")
    t = time.perf_counter()
    report = import_mlflow(store, uri)
    ours = time.perf_counter() - t
    assert report.points == n == runs * 3 * points, (report.points, n)
    t = time.perf_counter()
    again = import_mlflow(store, uri)
    second = time.perf_counter() - t
    assert again.created == 0 and again.points == 0
    print(
        f"  MLflow reads its own {n:,} points (search_runs + get_metric_history): "
        f"{mlflow_read:.2f} s"
    )
    print(
        f"  nbtrack import-mlflow (read + write):                {ours:.2f} s "
        f"({mlflow_read / ours:.1f}x; target > 1x)"
    )
    print(f"  nbtrack import-mlflow again (nothing new):            {second:.2f} s")


def _tb_logs(folder: Path, runs: int, tags: int, steps: int) -> Path:
    from tensorboardX import SummaryWriter

    logs = folder / "logs"
    for r in range(runs):
        w = SummaryWriter(str(logs / f"run{r}"), max_queue=10_000, flush_secs=3600)
        for s in range(steps):
            for k in range(tags):
                w.add_scalar(f"tag{k}", s * 0.001 + k, s, walltime=1_700_000_000 + s)
        w.close()
    return logs


def bench_tensorboard(runs: int, tags: int, steps: int) -> None:
    from nbtrack.importers.tensorboard_import import import_tensorboard, run_dirs
    from nbtrack.store import open_store

    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-tb-"))
    t = time.perf_counter()
    logs = _tb_logs(folder, runs, tags, steps)
    print(
        f"  wrote {runs} runs x {tags} tags x {steps} steps with tensorboardX: "
        f"{time.perf_counter() - t:.1f} s"
    )
    total = runs * tags * steps
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError:
        EventAccumulator = None
    tb_read = None
    if EventAccumulator is not None:
        t = time.perf_counter()
        n = 0
        for run in run_dirs(logs):
            acc = EventAccumulator(str(run), size_guidance={"scalars": 0})
            acc.Reload()
            n += sum(len(acc.Scalars(tag)) for tag in acc.Tags()["scalars"])
        tb_read = time.perf_counter() - t
        assert n == total, (n, total)
    store = open_store(f"sqlite:///{folder / 'nbtrack.db'}")
    t = time.perf_counter()
    report = import_tensorboard(store, logs)
    ours = time.perf_counter() - t
    assert report.points == total, (report.points, total)
    if tb_read is None:
        print("  EventAccumulator: the tensorboard package is not installed (no comparison)")
    else:
        print(f"  EventAccumulator reads {total:,} points (all kept):     {tb_read:.2f} s")
    ratio = f" ({tb_read / ours:.1f}x; target > 1x)" if tb_read else ""
    print(f"  nbtrack import-tensorboard (read + write):          {ours:.2f} s{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    print("== import-mlflow")
    bench_mlflow(20 if args.quick else 1000, 1000)
    print("== import-tensorboard")
    if args.quick:
        bench_tensorboard(3, 10, 1000)
    else:
        bench_tensorboard(100, 10, 10_000)


if __name__ == "__main__":
    main()
