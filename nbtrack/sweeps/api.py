"""`nbtrack.sweep()`: one entry point for grid sweeps and searches."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .driver import Sweep
from .driver import sweep as grid_sweep
from .search import SearchSweep, search


def sweep(
    target: str | Path | Callable[..., Any],
    space: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    method: str | None = None,
    metric: str | None = None,
    goal: str = "max",
    trials: int | None = None,
    parallel: int = 1,
    prune: Any = None,
    sweep_id: str | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    store: str | None = None,
    kernel_name: str | None = None,
    timeout: float | None = None,
    output_dir: str | Path | None = None,
    seed: int | None = None,
    on_start: Callable[[Any], None] | None = None,
    on_trial: Callable[[Any, Any], None] | None = None,
) -> Sweep | SearchSweep:
    """Run a notebook (or a function) once per trial, each trial an nbtrack run
    of one sweep:

        s = nbtrack.sweep("train.ipynb",
                          {"lr": nbtrack.loguniform(1e-4, 1e-1), "hidden": [32, 64, 128]},
                          method="tpe", metric="val_acc", goal="max", trials=40, parallel=4,
                          prune=nbtrack.MedianPruner(warmup_steps=3))
        s.best(); s.runs(); s.study

    `method`: "grid", "random", "tpe" (Bayesian) or "cmaes" (Optuna's samplers;
    the study is kept in the project's store). The objective is the last value
    of `metric` each trial logs. `trials` is the sweep's total: calling again
    with `sweep_id=s.id` continues it (after Ctrl-C, or with more trials).
    `prune`: an Optuna pruner, fed by each `nbtrack.log(metric=..., step=...)`
    in the trial's own process. `executor`: "local" (worker processes that keep
    one kernel per notebook; each trial runs the whole notebook after
    `%reset -f`) or "dask" (`scheduler` an address, or a LocalCluster).

    A notebook needs a cell tagged `parameters`. Without `metric` and with
    lists of values only, this is the grid sweep of old: every combination
    through papermill in a fresh process (`params` may then be a list of dicts).
    """
    legacy = (
        method in (None, "grid")
        and metric is None
        and trials is None
        and prune is None
        and executor == "local"
        and not callable(target)
    )
    if legacy:
        return grid_sweep(
            target,  # type: ignore[arg-type]
            space,  # type: ignore[arg-type]
            parallel=parallel,
            kernel_name=kernel_name,
            timeout=timeout,
            output_dir=output_dir,
            sweep_id=sweep_id,
            store=store,
            on_start=on_start,
            on_trial=on_trial,
        )
    if not isinstance(space, Mapping):
        from .grid import SweepError

        raise SweepError("a search needs its space as a dict of names to values or ranges")
    return search(
        target,
        space,
        method=method or "tpe",
        metric=metric,
        goal=goal,
        trials=trials,
        parallel=parallel,
        prune=prune,
        sweep_id=sweep_id,
        executor=executor,
        scheduler=scheduler,
        store=store,
        kernel_name=kernel_name,
        timeout=timeout,
        output_dir=output_dir,
        seed=seed,
        on_start=on_start,
        on_trial=on_trial,
    )
