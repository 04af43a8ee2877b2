"""A search sweep: Optuna's sampler asks for trials, an executor runs them as
nbtrack runs, and each trial's objective is read back from its run.

The objective is the **last value the trial logged** for the metric (what the
model ended at, as an Optuna objective returns its final value); across
several tracked cells of one notebook, the last run that logged it. A trial
that never logs the metric finishes, counts, and is named in `problems`.

`trials` is the study's total: a sweep continued with its id (after Ctrl-C, a
crash, or with a higher `trials`) runs only the trials still missing, numbered
after the existing ones. Trials that were running when their driver died are
marked failed and their values tried again first.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..capture.params import to_json_value
from ..capture.sweep import SweepContext
from .grid import SweepError, describe, file_stem, new_sweep_id
from .settle import _HOST, counted, interrupted, queue_grid, recover, settle
from .slots import Slots, Tickets
from .space import (
    canonical,
    check_space,
    from_choice,
    grid_size,
    is_grid,
    optuna_distributions,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..query import Run

METHODS = ("grid", "random", "tpe", "cmaes")


@dataclass
class SearchTrial:
    number: int  # from 1, the run's `trial`
    params: dict[str, Any]
    status: str = "running"  # finished, pruned, failed, crashed, interrupted
    value: float | None = None
    runs: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def line(self) -> str:
        from ..capture.environment import public_text

        runs = ", ".join(self.runs) or "no run"
        value = f" = {self.value:g}" if self.value is not None else ""
        text = f"trial {self.number}: {describe(self.params)} → {self.status}{value} ({runs})"
        text += f", {self.seconds:.1f} s"
        if self.error:
            text += f"\n    {self.error}"
        return public_text(text)


@dataclass
class SearchSweep:
    """A search sweep: `best()`, `runs()`, `study`, and the trials this call ran."""

    id: str
    target: str
    metric: str | None
    goal: str
    method: str
    store_url: str
    trials: list[SearchTrial] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    output_dir: Path | None = None

    @property
    def study(self) -> Any:
        """The optuna.Study (in the store's database), for everything else."""
        from .study import load_study

        return load_study(self.store_url, self.id)

    @property
    def failed(self) -> list[SearchTrial]:
        return [t for t in self.trials if t.status in ("failed", "crashed", "interrupted")]

    def best(self) -> Run:
        """The run of the best trial so far (by the metric and goal)."""
        import optuna

        from ..query import get_run, store_for

        done = [t for t in self.study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        if not done:
            raise SweepError(
                f"no trial of sweep {self.id} has finished with a value of {self.metric} yet"
            )
        best = self.study.best_trial
        run_id = best.user_attrs.get("run")
        if run_id is None:
            rows = [
                r
                for r in store_for(self.store_url).select_runs(
                    sweep=self.id, columns=["id", "trial"]
                )
                if r["trial"] == best.number + 1
            ]
            if not rows:
                raise SweepError(f"sweep {self.id}: the run of trial {best.number + 1} is gone")
            run_id = rows[0]["id"]
        return get_run(run_id, store=self.store_url)

    def runs(self) -> pd.DataFrame:
        from ..query import runs

        return runs(sweep=self.id, store=self.store_url)

    def __str__(self) -> str:
        counts: dict[str, int] = {}
        for t in self.trials:
            counts[t.status] = counts.get(t.status, 0) + 1
        done = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no trial run"
        head = (
            f"sweep {self.id} ({self.method}, {self.goal} {self.metric}) of {self.target}: {done}"
        )
        return "\n".join([head, *(t.line() for t in self.trials), *self.problems])

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def search(
    target: str | Path | Callable[..., Any],
    space: Mapping[str, Any],
    *,
    method: str = "tpe",
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
    on_start: Callable[[SearchSweep], None] | None = None,
    on_trial: Callable[[SearchTrial, SearchSweep], None] | None = None,
) -> SearchSweep:
    if method not in METHODS:
        raise SweepError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if goal not in ("max", "min"):
        raise SweepError(f"goal must be 'max' or 'min', got {goal!r}")
    if type(parallel) is not int or parallel < 1:
        raise SweepError(f"parallel must be a whole number of at least 1, got {parallel!r}")
    if executor not in ("local", "dask"):
        raise SweepError(f"executor must be 'local' or 'dask', got {executor!r}")
    if metric is None:
        raise SweepError(
            f"a {method} search needs the metric to optimize: metric='val_acc' (a key the "
            "trials log with nbtrack.log) and goal='max' or 'min'"
        )
    checked = check_space(space)
    if method == "grid":
        if not is_grid(checked):
            raise SweepError(
                "a grid sweep needs lists of values, not ranges: use method='random' or "
                "'tpe' for uniform/loguniform/intuniform"
            )
        trials = min(trials or grid_size(checked), grid_size(checked))
    if trials is None or type(trials) is not int or trials < 1:
        raise SweepError(f"say how many trials to run: trials=40 (got {trials!r})")
    if prune is not None and not _is_pruner(prune):
        raise SweepError(
            f"prune must be an Optuna pruner, e.g. nbtrack.MedianPruner(n_warmup_steps=3), "
            f"got {prune!r}"
        )

    environ = {**os.environ, "NBTRACK_STORE": store} if store else None
    from ..config import private_folder, resolve_project
    from ..store import open_store

    notebook = None
    if callable(target):
        kind, name = "function", getattr(target, "__qualname__", None) or repr(target)
        project = resolve_project(None, environ)
    else:
        from .notebook import check_names, read_sweep_notebook

        path = Path(target).expanduser().resolve()
        notebook = read_sweep_notebook(path)
        if not (kernel_name or notebook.kernel_name):
            raise SweepError(
                f"{path.name} names no kernel (no kernelspec in its metadata): pass "
                "kernel_name='python3' (nbtrack sweep -k python3)"
            )
        check_names(notebook, sorted(checked))
        kind, name = "notebook", str(path)
        project = resolve_project(path.parent, environ)
    open_store(project.store_url)
    sid = sweep_id or new_sweep_id()
    from .driver import _SWEEP_ID

    if not _SWEEP_ID.fullmatch(sid):
        raise SweepError(f"a sweep id is 1 to 64 letters, digits, '.', '_' or '-', got {sid!r}")

    import optuna

    from .pruning import pack_pruner
    from .study import open_study

    pruner = prune if prune is not None else optuna.pruners.NopPruner()
    attrs = {
        "target": name,
        "kind": kind,
        "space": canonical(checked),
        "metric": metric,
        "goal": goal,
        "method": method,
    }
    study, existed = open_study(
        project.store_url,
        sid,
        attrs,
        direction="maximize" if goal == "max" else "minimize",
        sampler=_sampler(method, checked, seed),
        pruner=pruner,
    )
    result = SearchSweep(sid, name, metric, goal, method, project.store_url)
    if kind == "notebook":
        result.output_dir = (
            Path(output_dir) if output_dir else private_folder(project.root, "sweeps", sid)
        )
        result.output_dir.mkdir(parents=True, exist_ok=True)
    if existed:
        recover(study)
    if method == "grid":
        queue_grid(study, checked)
    remaining = trials - counted(study)
    ex = _executor(executor, scheduler, parallel, project.store_url, target, kind)
    if on_start is not None:
        on_start(result)
    dists = optuna_distributions(checked)
    search_info = {
        "store": project.store_url,
        "study": sid,
        "metric": metric,
        "pruner": pack_pruner(prune),
    }
    # asked and unfinished trials: token -> (Optuna's trial, ours, task, start time)
    pending: dict[object, list[Any]] = {}
    lock = threading.Lock()
    width = max(3, len(str(trials)))
    from .trials import pack_function

    packed = pack_function(target) if kind == "function" else None  # once, not a trial
    # A function trial's run records the git state of the folder the sweep runs
    # in, read here once for all trials, so that no worker runs `git` per trial.
    git = _git_once() if kind == "function" else True

    def ask() -> object:
        # Slots ask at once: a queued trial is claimed by one of them only (on
        # SQLite because Optuna's engine begins with BEGIN IMMEDIATE: study.py).
        ot = study.ask(dists)
        ot.set_user_attr("driver", f"{_HOST}:{os.getpid()}")
        number = ot.number + 1
        params = {k: from_choice(checked, k, v) for k, v in ot.params.items()}
        trial = SearchTrial(number, params)
        ctx = SweepContext(
            sid,
            number,
            to_json_value(_defaults(notebook) | params),
            {**search_info, "trial_id": ot._trial_id},
        )
        task = _task(
            kind,
            (target, packed),
            trial,
            ctx,
            project.store_url,
            metric,
            notebook,
            kernel_name,
            timeout,
            result.output_dir,
            width,
        )
        task.git = git
        token = object()
        with lock:
            result.trials.append(trial)
            pending[token] = [ot, trial, task, time.time()]
        return token

    def submit(token: object) -> Any:
        entry = pending[token]
        entry[3] = time.time()  # an in-process trial runs inside submit()
        return ex.submit(entry[2])

    def tell(token: object, outcome: dict[str, Any]) -> SearchTrial:
        ot, trial, _, start = pending[token]
        # Where it ran (a slot's next trial waits with the executor for its turn).
        trial.seconds = outcome.get("seconds") or time.time() - start
        if settle(result, study, ot, trial, outcome, notebook, project):
            slots.tickets.give()  # a crashed trial is tried once more
        with lock:
            del pending[token]
        return trial

    slots = Slots(parallel, Tickets(remaining), ask, submit, tell)

    def on_done(trial: SearchTrial) -> None:
        if on_trial is not None:
            on_trial(trial, result)

    try:
        slots.run(on_done)
    except BaseException:
        slots.stopping.set()
        ex.close(cancel=True)
        slots.stop()
        with lock:
            interrupted(result, study, {k: (v[0], v[1], v[3]) for k, v in pending.items()})
        raise
    finally:
        result.trials.sort(key=lambda t: t.number)
    ex.close()
    return result


def _git_once() -> dict[str, Any] | None:
    from ..capture.gitstate import git_state

    return git_state(Path.cwd())


def _is_pruner(value: Any) -> bool:
    import optuna

    return isinstance(value, optuna.pruners.BasePruner)


def _sampler(method: str, space: Mapping[str, Any], seed: int | None) -> Any:
    import optuna

    if method in ("grid", "random"):  # a grid: every combination queued (_queue_grid)
        return optuna.samplers.RandomSampler(seed=seed)
    if method == "cmaes":
        try:
            import cmaes  # noqa: F401
        except ImportError as exc:
            raise SweepError("method='cmaes' needs the cmaes package: pip install cmaes") from exc
        return optuna.samplers.CmaEsSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def _defaults(notebook: Any) -> dict[str, Any]:
    return dict(notebook.defaults) if notebook is not None else {}


def _task(
    kind, target, trial, ctx, store_url, metric, notebook, kernel_name, timeout, output_dir, width
):  # type: ignore[no-untyped-def]
    from .trials import TrialTask

    task = TrialTask(kind, trial.number, trial.params, ctx.to_env(), store_url, metric)
    if kind == "function":
        fn, task.function = target  # the function and its pickle
        task.function_name = getattr(fn, "__name__", "trial")
    else:
        task.notebook = {
            "input": str(notebook.path),
            "output": str(output_dir / f"{file_stem(trial.number, width)}.ipynb"),
            "cwd": str(notebook.path.parent),
            "kernel_name": kernel_name or notebook.kernel_name,
            "language": notebook.language,
            "timeout": timeout,
        }
    return task


def _executor(
    name: str, scheduler: str | None, parallel: int, store_url: str, target: Any, kind: str
) -> Any:
    from .executors import DaskExecutor, InProcess, LocalPool

    if name == "dask":
        return DaskExecutor(scheduler, parallel, store_url, notebooks=kind == "notebook")
    if kind == "function" and parallel == 1:
        return InProcess(target)
    return LocalPool(parallel)
