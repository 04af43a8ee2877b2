"""Search sweep benchmark, side by side in one run:

    python benchmarks/bench_sweeps.py [--quick] [--part 1|2]

1. Per-trial cost of a notebook whose work takes 1 s (`time.sleep(1)` in a
   `%%track` cell that logs 10 points), two at a time: `nbtrack.sweep` (random
   search, the local pool of kept kernels) against papermill alone on the same
   notebook (a new kernel per execution, two threads) and Optuna calling a plain
   1 s function (`n_jobs=2`, in-memory storage). Target: ≤ 0.5 s over the work.
2. Many short trials: N trials of a 0.1 s function through `nbtrack.sweep(fn,
   executor="dask")` on a LocalCluster of 2 worker processes (PostgreSQL store
   from NBTRACK_BENCH_PG_URL, else SQLite) against `optuna` with the same
   sampler (TPE) and in-memory storage, `n_jobs=2` (two threads: the 0.1 s sleep
   lets both run at once, the same parallelism as the two workers). Target:
   within 1.5x. Beside it, Optuna alone on the storage our sweep keeps its
   study in (its journal storage on the store's table `nbtrack_study_log`) and
   on its RDB storage in the same database (where earlier versions kept it),
   and our sweep again in the same process (its LocalCluster kept from the
   first: neither its start nor its close), and, with PostgreSQL, on a cluster
   that is already running (`scheduler=` its address).

"Per trial" is wall time × parallelism / trials: what one trial costs a slot.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

WORK_S = 1.0
TRACKED = """%%track --no-plot
import time
for step in range(10):
    time.sleep(work / 10)
    nbtrack.log(val_acc=x * step, step=step)
"""


def _notebook(folder: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell(f"x = 0.5\nwork = {WORK_S}")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_code_cell("%load_ext nbtrack"), params]
    nb.cells.append(nbformat.v4.new_code_cell(TRACKED))
    path = folder / "train.ipynb"
    nbformat.write(nb, path)
    return path


def _row(label: str, seconds: float, trials: int, parallel: int, work: float) -> None:
    per = seconds * parallel / trials
    print(
        f"  {label:<46} {seconds:7.1f} s   {per:5.2f} s/trial   +{per - work:5.2f} s over the work"
    )


def _steady(trials: list, work: float, ends: list[float] | None = None, parallel: int = 2) -> None:
    """A trial once its worker's kernel is up: the kernel start is paid once per
    worker, so the steady cost is what a long search pays per trial. Two views:
    a trial's own time (as its worker timed it: its next trial waits with the
    executor meanwhile), and the throughput between the completions after the
    first `parallel` (driver time included: telling Optuna, asking the next
    trial), as time per trial per slot."""
    import statistics

    if trials:
        per = statistics.median(t.seconds for t in trials)
        print(
            f"    steady state (trials 3+, median, in the worker): {per:.2f} s/trial, "
            f"+{per - work:.2f} s over the work (target ≤ +0.5 s)"
        )
    if ends and len(ends) > parallel:
        ends = sorted(ends)
        slot = (ends[-1] - ends[parallel - 1]) * parallel / (len(ends) - parallel)
        print(
            f"    steady throughput (completions after the first {parallel}, driver "
            f"included): {slot:.2f} s/trial a slot, +{slot - work:.2f} s over the work"
        )


def _clock() -> tuple[list[float], object]:
    """A list of completion times and the `on_trial` callback that fills it."""
    ends: list[float] = []
    return ends, lambda trial, sweep: ends.append(time.perf_counter())


def _timed_sweep(
    target: Any, method: str, metric: str, trials: int, **options: Any
) -> tuple[Any, float, list[float]]:
    """`nbtrack.sweep` of `target` over x in [0, 1], 2 at a time, every trial
    finished: the sweep, its wall time and its trials' completion times."""
    import nbtrack

    ends, on_trial = _clock()
    t = time.perf_counter()
    s = nbtrack.sweep(
        target,
        {"x": nbtrack.uniform(0, 1)},
        method=method,
        metric=metric,
        trials=trials,
        parallel=2,
        on_trial=on_trial,
        **options,
    )
    seconds = time.perf_counter() - t
    assert all(tr.status == "finished" for tr in s.trials), str(s)
    return s, seconds, ends


def notebooks(trials: int) -> None:
    import optuna
    import papermill

    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-sweeps-"))
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    nb = _notebook(folder)
    print(f"1. {trials} trials of a notebook doing {WORK_S:g} s of work, 2 at a time")

    t = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(
            pool.map(
                lambda i: papermill.execute_notebook(
                    str(nb),
                    str(folder / f"pm-{i}.ipynb"),
                    parameters={"x": i / trials},
                    progress_bar=False,
                    cwd=str(folder),
                ),
                range(trials),
            )
        )
    _row("papermill alone (new kernel each)", time.perf_counter() - t, trials, 2, WORK_S)

    s, seconds, ends = _timed_sweep(nb, "random", "val_acc", trials)
    _row("nbtrack.sweep (kept kernels, tracked runs)", seconds, trials, 2, WORK_S)
    _steady(s.trials[2:], WORK_S, ends)

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        time.sleep(WORK_S)
        return x

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    t = time.perf_counter()
    optuna.create_study(sampler=optuna.samplers.RandomSampler()).optimize(
        objective, n_trials=trials, n_jobs=2
    )
    _row("optuna, a plain function (no notebook)", time.perf_counter() - t, trials, 2, WORK_S)


def functions(trials: int) -> None:
    import optuna

    work = 0.1
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-sweeps-dask-"))
    os.chdir(folder)
    store = os.environ.get("NBTRACK_BENCH_PG_URL") or f"sqlite:///{folder / 'nbtrack.db'}"
    print(
        f"\n2. {trials} trials of a {work:g} s function, TPE, 2 at a time "
        f"({store.split(':')[0]}; load average {os.getloadavg()[0]:.1f})"
    )

    def train(x: float) -> float:
        time.sleep(work)
        return -((x - 0.3) ** 2)

    def objective(trial: optuna.Trial) -> float:
        return train(trial.suggest_float("x", 0, 1))

    t = time.perf_counter()
    optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler()).optimize(
        objective, n_trials=trials, n_jobs=2
    )
    base = time.perf_counter() - t
    _row("optuna, in-memory storage", base, trials, 2, work)

    # Optuna alone on the storage our sweep uses (its journal storage on the
    # store's table nbtrack_study_log), and on its RDB storage in the same
    # database (where earlier versions kept studies: ~50 statements a trial, and
    # TPE re-reads every trial at each ask).
    from nbtrack.store import open_store
    from nbtrack.sweeps.study import storage_for

    open_store(store)  # the store first: its tables beside Optuna's
    for label, storage in (
        ("optuna, its journal on our store's table", storage_for(store)),
        ("optuna, its RDB storage in the same database", _rdb_storage(store)),
    ):
        t = time.perf_counter()
        optuna.create_study(
            storage=storage,
            study_name=f"bench-{os.getpid()}-{len(label)}",
            direction="maximize",
            sampler=optuna.samplers.TPESampler(),
        ).optimize(objective, n_trials=trials, n_jobs=2)
        _row(label, time.perf_counter() - t, trials, 2, work)

    def dask_sweep(label: str, scheduler: str | None) -> None:
        cpu = time.process_time()
        s, ours, ends = _timed_sweep(
            train, "tpe", "score", trials, executor="dask", scheduler=scheduler, store=store
        )
        _row(label, ours, trials, 2, work)
        print(
            f"    ratio {ours / base:.2f}x (target ≤ 1.5x); driver CPU "
            f"{time.process_time() - cpu:.1f} s; {len(s.trials)} runs recorded"
        )
        _steady(s.trials[2:], work, ends)

    dask_sweep("nbtrack.sweep(fn, executor='dask'), 2 workers", None)
    # The sweep's LocalCluster is kept for the next sweep of this process (closed
    # at exit): a second sweep pays neither its start nor its close.
    dask_sweep("  a second sweep in this process", None)
    _close_kept_cluster()
    if not store.startswith("sqlite"):
        # A cluster that is already up (scheduler=its address): the trials alone,
        # without the LocalCluster's start that the line above pays.
        from distributed import LocalCluster

        with LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster:
            dask_sweep("  the same on a running cluster (scheduler=...)", cluster.scheduler_address)
    _, seconds, _ = _timed_sweep(train, "tpe", "score", trials, store=store)
    _row("nbtrack.sweep(fn), local pool of 2 processes", seconds, trials, 2, work)


def _close_kept_cluster() -> None:
    """Close the LocalCluster the sweeps kept (at exit otherwise), timed: the close
    the sweeps above did not wait for."""
    try:
        from nbtrack.sweeps.dask_cluster import close_local
    except ImportError:  # a version that closed its cluster at each sweep's end
        return
    t = time.perf_counter()
    close_local()
    print(f"    (the kept LocalCluster's close, at exit: {time.perf_counter() - t:.1f} s)")


def _rdb_storage(store: str) -> Any:
    """Optuna's RDBStorage on the store's database, as earlier versions used it
    (PostgreSQL: in the schema nbtrack_optuna)."""
    import optuna
    import sqlalchemy as sa

    kwargs: dict[str, Any] = {}
    if not store.startswith("sqlite"):
        engine = sa.create_engine(store)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS nbtrack_optuna")
        engine.dispose()
        kwargs = {"connect_args": {"options": "-csearch_path=nbtrack_optuna"}}
    return optuna.storages.RDBStorage(store, engine_kwargs=kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials (CI smoke)")
    parser.add_argument(
        "--part", type=int, choices=(1, 2), help="only part 1 (notebooks) or 2 (functions)"
    )
    args = parser.parse_args()
    os.environ.pop("NBTRACK_STORE", None)
    # --quick: enough trials for every line (a steady state needs a third trial).
    if args.part in (None, 1):
        notebooks(4 if args.quick else 12)
    if args.part in (None, 2):
        functions(10 if args.quick else 200)


if __name__ == "__main__":  # Dask's worker processes import this module
    main()
