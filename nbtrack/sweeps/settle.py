"""How a search sweep's trials end in its Optuna study: a finished trial told
with its value (read from its runs), a pruned or failed one with its state, a
crashed one tried once more; trials a dead driver left running recovered; a
grid's combinations queued; which ended trials count towards `trials`."""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .search import SearchSweep

_HOST = socket.gethostname()


def counted(study: Any) -> int:
    """Trials that count towards `trials`: ended, and not tried again."""
    import optuna

    ended = (
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.PRUNED,
        optuna.trial.TrialState.FAIL,
    )
    return sum(t.state in ended and not t.user_attrs.get("retried") for t in study.trials)


def queue_grid(study: Any, space: Mapping[str, Any]) -> None:
    """Queue every combination the study has not tried or queued yet (Optuna's
    GridSampler stops the study when done, which only works inside optimize())."""
    import itertools
    import json

    import optuna

    from .space import _choice

    state = optuna.trial.TrialState
    seen = {
        json.dumps(t.params, sort_keys=True)
        for t in study.get_trials(deepcopy=False)
        if t.state in (state.WAITING, state.RUNNING, state.COMPLETE, state.PRUNED)
        or (t.state == state.FAIL and not t.user_attrs.get("retried"))
    }
    names = list(space)
    for values in itertools.product(*(space[n] for n in names)):
        params = {n: _choice(v) for n, v in zip(names, values, strict=True)}
        if json.dumps(params, sort_keys=True) not in seen:
            study.enqueue_trial(params)


def recover(study: Any) -> int:
    """Trials a dead driver left running (on this machine): failed, and their
    values queued to be tried first. Another live driver's trials are left alone."""
    import optuna

    from ..processes import pid_alive

    count = 0
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        host, _, pid = str(t.user_attrs.get("driver", "")).rpartition(":")
        if host != _HOST or not pid.isdigit() or pid_alive(int(pid)):
            continue
        retry(study, t._trial_id, t.params, t.number)
        count += 1
    return count


def retry(study: Any, trial_id: int, params: dict[str, Any], number: int) -> None:
    import optuna

    storage = study._storage
    try:
        storage.set_trial_user_attr(trial_id, "retried", True)
        storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL)
    except (RuntimeError, optuna.exceptions.UpdateFinishedTrialError):
        return  # finished meanwhile (another driver): nothing to retry
    study.enqueue_trial(params, user_attrs={"retry_of": number + 1})


def interrupted(result: SearchSweep, study: Any, pending: dict[Any, Any]) -> None:
    """Ctrl-C: the trials under way end as interrupted, their values queued for
    the sweep's next call."""
    from ..query import store_for

    st = store_for(result.store_url)
    now = time.time()
    for row in st.select_runs(sweep=result.id, status="running", columns=["id", "trial"]):
        if any(trial.number == row["trial"] for _, trial, _ in pending.values()):
            st.update_run(row["id"], status="interrupted", end_time=now)
    for ot, trial, _ in pending.values():
        trial.status = "interrupted"
        retry(study, ot._trial_id, ot.params, ot.number)


def _read_runs(result: SearchSweep, trial: Any, outcome: dict[str, Any]) -> tuple:
    """A trial's runs read from the store (oldest first; `trial.runs` named), the
    metric's last value and the run that logged it."""
    from ..query import reap_crashed, store_for

    st = store_for(result.store_url)
    columns = ["id", "stem", "seq", "status", "trial", "start_time"]
    if outcome.get("runs"):  # a function trial names its run: one read by id
        rows = st.select_runs(ids=outcome["runs"], columns=columns)
    else:  # a notebook's tracked cells: the sweep's runs of this trial
        reap_crashed(st)
        rows = [
            r
            for r in st.select_runs(sweep=result.id, columns=columns)
            if r["trial"] == trial.number
        ]
    rows.reverse()  # oldest first
    trial.runs = [f"{r['stem']}#{r['seq']}" for r in rows]
    summaries = st.summaries([r["id"] for r in rows]) if rows else {}
    value, run_id = None, None
    for r in rows:
        s = summaries.get(r["id"], {}).get(result.metric)
        if s is not None and s["last"] == s["last"]:  # not NaN
            value, run_id = s["last"], r["id"]
    return rows, value, run_id


def settle(result, study, ot, trial, outcome, notebook, project) -> bool:  # type: ignore[no-untyped-def]
    """Tell Optuna how the trial ended (a function trial says so in its outcome, a
    notebook's runs are read from the store). True: try it once more."""
    import optuna

    from ..capture.environment import public_text

    if outcome.get("run"):  # a function trial's one run, as its process ended it
        ended = outcome["run"]
        rows = [{"id": ended["id"], "status": ended["status"]}]
        trial.runs = [ended["ref"]]
        value = ended.get("last")
        run_id = ended["id"] if value is not None else None
    else:
        rows, value, run_id = _read_runs(result, trial, outcome)
        if run_id is not None and len(rows) > 1:  # which of the trial's runs holds the value
            ot.set_user_attr("run", run_id)
    state = optuna.trial.TrialState
    if outcome.get("pruned") or any(r["status"] == "pruned" for r in rows):
        trial.status = "pruned"
        trial.value = value
        study.tell(ot, state=state.PRUNED)
        return False
    if outcome.get("ok"):
        if value is None:
            trial.status = "finished"
            problem = f"metric {result.metric} was never logged by trial {trial.number}"
            trial.error = problem
            result.problems.append(problem)
            study.tell(ot, state=state.FAIL)
            return False
        trial.status = "finished"
        trial.value = value
        study.tell(ot, value)
        return False
    trial.error = public_text(str(outcome.get("error") or "the trial failed"))
    if notebook is not None and outcome.get("cell") is not None:
        trial.error = f"cell {outcome['cell']} ({outcome.get('line', '')}) failed: {trial.error}"
    crashed = bool(outcome.get("crashed"))
    trial.status = "crashed" if crashed else "failed"
    if not any(r["status"] in ("failed", "crashed", "interrupted") for r in rows):
        from ..tracking import record_failed_run

        ref = record_failed_run(
            notebook=notebook.path if notebook is not None else Path(result.target),
            project=project,
            params=trial.params,
            error=f"{trial.error}\n\n{outcome.get('detail') or ''}".rstrip(),
            start_time=time.time() - trial.seconds,
            sweep=result.id,
            trial=trial.number,
            notes=f"sweep {result.id}, trial {trial.number}",
        )
        trial.runs.append(ref)
    if crashed and not ot.user_attrs.get("retry_of"):
        retry(study, ot._trial_id, ot.params, ot.number)
        return True
    study.tell(ot, state=state.FAIL)
    return False
