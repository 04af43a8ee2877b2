"""Pruning from live metrics, in the trial's own process.

A search sweep tells each trial (NBTRACK_SWEEP's "search") which Optuna trial it
is. When that trial's run starts, `attach_pruner` adds a hook to the run's
`on_log`: every `nbtrack.log()` of the sweep's metric is reported to the trial
as an intermediate value at its step, and the pruner is asked at once; a trial
it stops raises `TrialPruned` from that `log()` call, which ends the run as
`pruned`. No polling: the decision is made where the value is logged.
"""

from __future__ import annotations

import base64
import math
import pickle
import sys
from typing import TYPE_CHECKING, Any

from ..errors import TrialPruned

if TYPE_CHECKING:
    from ..capture.sweep import SweepContext
    from ..tracking import ActiveRun


def pack_pruner(pruner: Any) -> str | None:
    """The pruner as text for NBTRACK_SWEEP (None: no pruning)."""
    if pruner is None:
        return None
    return base64.b64encode(pickle.dumps(pruner)).decode("ascii")


def unpack_pruner(text: str | None) -> Any:
    if not text:
        return None
    return pickle.loads(base64.b64decode(text))  # noqa: S301 - written by our own driver


def attach_pruner(run: ActiveRun, sweep: SweepContext) -> None:
    """Report the sweep's metric to its Optuna trial as the run logs it. A pruner
    that cannot be reached costs the pruning, never the run: it says so."""
    search = sweep.search or {}
    metric = search.get("metric")
    if not metric or not search.get("pruner"):
        return  # no pruner: nothing to ask, and no store write per logged step
    if metric.startswith("sys/"):
        # System metrics are logged by a background thread (sysmetrics.py), which
        # cannot stop the cell: the trial runs to its end and is judged by its value.
        message = (
            f"this sweep trial is not pruned: its metric {metric!r} is a system metric, "
            "sampled in the background; prune on a metric the cell logs"
        )
        run.warnings.append(message)
        print(f"nbtrack: {message}", file=sys.stderr)
        return
    try:
        trial = _optuna_trial(search)
    except Exception as exc:  # noqa: BLE001 - optuna or the store away: run unpruned
        message = f"this sweep trial cannot be pruned ({type(exc).__name__}: {exc})"
        run.warnings.append(message)
        print(f"nbtrack: {message}", file=sys.stderr)
        return
    reported: set[int] = set()

    def on_log(run: ActiveRun, rows: list[tuple[str, float]], step: int | None) -> None:
        for key, value in rows:
            if key != metric:
                continue
            at = step if step is not None else run.steps[key] - 1
            if at in reported or math.isnan(value):
                continue
            reported.add(at)
            trial.report(value, at)
            if trial.should_prune():
                raise TrialPruned(
                    f"sweep {sweep.id} pruned trial {sweep.trial} at step {at} "
                    f"({metric}={value:g} is not promising against the trials so far)"
                )

    run.on_log.append(on_log)


def _optuna_trial(search: dict[str, Any]) -> Any:
    import optuna

    from .study import load_study

    study = load_study(search["store"], search["study"], unpack_pruner(search.get("pruner")))
    return optuna.trial.Trial(study, int(search["trial_id"]))
