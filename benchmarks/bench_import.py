"""Importing from MLflow and TensorBoard, beside the source tool reading its own data.

    python benchmarks/bench_import.py [--quick]

MLflow: runs x 3 metrics x 1,000 points in an MLflow SQLite store (full: 1,000 runs;
quick: 20; the first run written by MLflow's client, the others copied from its
rows in bulk: see `_mlflow_store`), read back by MLflow (`search_runs` +
`get_metric_history` per run and key) vs `nbtrack import-mlflow` (read AND written
into a fresh nbtrack store).
TensorBoard: runs x 10 tags x steps (full: 100 x 10,000; quick: 3 x 1,000) written by
tensorboardX (one run; the others are copies of its event file), read by
tensorboard's `EventAccumulator` (all points kept) when the `tensorboard` package is
installed, vs `nbtrack import-tensorboard`.
Target: the import is faster than the source tool's own read.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def _mlflow_store(folder: Path, runs: int, points: int) -> str:
    """An MLflow SQLite store of ``runs`` runs x 3 metrics x ``points`` points.

    MLflow's client makes the store (its own schema) and the first run whole (run,
    params, 3,000 metric points by log_batch, set_terminated); every other run is a
    copy of the first's rows in every run table, made in bulk by SQL with its own run
    id, start time and ``lr`` param: the rows the client would write, whatever MLflow's
    version, in seconds instead of the hour ~5,000 client calls per 1,000 runs took."""
    import sqlite3
    import uuid

    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("bench")
    first = client.create_run(exp, start_time=1_700_000_000_000).info.run_id
    client.log_batch(first, params=[Param("lr", "0.0")])
    for key in ("loss", "acc", "lr"):
        batch = [Metric(key, s * 0.5, 1_700_000_000_000 + s, s) for s in range(points)]
        for j in range(0, points, 1000):
            client.log_batch(first, metrics=batch[j : j + 1000])
    client.set_terminated(first)
    ids = [uuid.uuid4().hex for _ in range(runs - 1)]
    db = sqlite3.connect(folder / "mlflow.db")
    with db:
        for table in ("runs", "tags", "params", "metrics", "latest_metrics"):
            cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            # The first run's rows in a small table of their own: each copy reads
            # them there, never from the table it is inserting into.
            db.execute(f"CREATE TEMP TABLE first_{table} AS SELECT * FROM {table} "
                       "WHERE run_uuid = ?", (first,))  # fmt: skip
            picked = {c: c for c in cols}
            picked["run_uuid"] = ":new AS run_uuid"
            if table == "runs":
                picked["start_time"] = "start_time + :i AS start_time"
                picked["artifact_uri"] = "REPLACE(artifact_uri, :old, :new) AS artifact_uri"
            copy = (f"INSERT INTO {table} ({', '.join(cols)}) "
                    f"SELECT {', '.join(picked.values())} FROM first_{table}")  # fmt: skip
            rows = [{"new": rid, "old": first, "i": i} for i, rid in enumerate(ids, 1)]
            db.executemany(copy, rows)
        lrs = [(str(0.001 * i), rid) for i, rid in enumerate(ids, 1)]
        db.executemany("UPDATE params SET value = ? WHERE key = 'lr' AND run_uuid = ?", lrs)
    db.close()
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
    """tensorboardX writes the first run's event file; the other runs get a copy of
    it (every run logs the same scalars, as before: 100 runs x 100,000 add_scalar
    calls took most of an hour; one run's take seconds)."""
    import shutil

    from tensorboardX import SummaryWriter

    logs = folder / "logs"
    w = SummaryWriter(str(logs / "run0"), max_queue=10_000, flush_secs=3600)
    for s in range(steps):
        for k in range(tags):
            w.add_scalar(f"tag{k}", s * 0.001 + k, s, walltime=1_700_000_000 + s)
    w.close()
    (event,) = (logs / "run0").iterdir()
    for r in range(1, runs):
        (logs / f"run{r}").mkdir()
        shutil.copyfile(event, logs / f"run{r}" / event.name)
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
    parser.add_argument("--only", choices=["mlflow", "tensorboard"], default=None,
                        help="run one half (each full half takes minutes on 2 cores)")  # fmt: skip
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    if args.only in (None, "mlflow"):
        print("== import-mlflow")
        bench_mlflow(20 if args.quick else 1000, 1000)
    if args.only in (None, "tensorboard"):
        print("== import-tensorboard")
        if args.quick:
            bench_tensorboard(3, 10, 1000)
        else:
            bench_tensorboard(100, 10, 10_000)


if __name__ == "__main__":
    main()
