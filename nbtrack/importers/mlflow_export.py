"""`nbtrack export-mlflow`: nbtrack runs into an MLflow store, through its client.

Each run becomes one MLflow run (tag `nbtrack.run_id`) in the MLflow experiment of
the run's experiment name: params, tags (`k=v` tags as MLflow tags, others with an
empty value), every metric point with its step and timestamp, status and times,
notebook and git commit as MLflow's own source tags. A run exported before is
skipped, so exporting twice creates nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..store.store import Store
from .mlflow_import import (
    BRANCH_TAG,
    COMMIT_TAG,
    NAME_TAG,
    NOTE_TAG,
    NOTEBOOK_TAG,
    MlflowSourceError,
    client_for,
)
from .write import SOURCE_TAG

RUN_ID_TAG = "nbtrack.run_id"
STATUS = {
    "finished": "FINISHED",
    "failed": "FAILED",
    "interrupted": "KILLED",
    "crashed": "FAILED",
    "pruned": "KILLED",
    "running": "RUNNING",
}
MAX_METRICS, MAX_PARAMS = 1000, 100  # MLflow's log_batch limits


def mlflow_tags(run: Any) -> dict[str, str]:
    """The tags of an exported run. Pure."""
    tags: dict[str, str] = {NAME_TAG: run.name}
    for tag in run.tags:
        if tag.startswith(SOURCE_TAG):
            continue
        key, _, value = tag.partition("=")
        tags[key] = value
    tags[RUN_ID_TAG] = run.id
    if run.notebook:
        tags[NOTEBOOK_TAG] = run.notebook
    if run.notes:
        tags[NOTE_TAG] = run.notes
    git = run.git or {}
    if git.get("commit"):
        tags[COMMIT_TAG] = str(git["commit"])
    if git.get("branch"):
        tags[BRANCH_TAG] = str(git["branch"])
    return tags


def _param_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _exported(client: Any, exp_id: str) -> set[str]:
    done: set[str] = set()
    token = None
    while True:
        page = client.search_runs([exp_id], max_results=1000, page_token=token, run_view_type=3)
        done.update(r.data.tags.get(RUN_ID_TAG, "") for r in page)
        token = page.token
        if not token:
            return done


def export_mlflow(
    store: Store, tracking_uri: str, refs: Sequence[str] | None = None
) -> tuple[int, int]:
    """Export runs `refs` (None: all). Returns (exported, exported before)."""
    from mlflow.entities import Metric, Param

    from .. import query

    runs = [query.get_run(ref, store=store) for ref in refs] if refs else query.list_runs(store)
    client = client_for(tracking_uri)
    try:
        exps: dict[str, tuple[str, set[str]]] = {}
        created = skipped = 0
        for run in runs:
            if run.experiment not in exps:
                exp = client.get_experiment_by_name(run.experiment)
                exp_id = exp.experiment_id if exp else client.create_experiment(run.experiment)
                exps[run.experiment] = (exp_id, _exported(client, exp_id))
            exp_id, done = exps[run.experiment]
            if run.id in done:
                skipped += 1
                continue
            tags = mlflow_tags(run)
            mrun = client.create_run(
                exp_id, start_time=int(run.start * 1000), tags=tags, run_name=tags[NAME_TAG]
            )
            mid = mrun.info.run_id
            params = [Param(k, _param_text(v)) for k, v in run.params.items()]
            for i in range(0, len(params), MAX_PARAMS):
                client.log_batch(mid, params=params[i : i + MAX_PARAMS])
            metrics = [
                Metric(key, value, int(t * 1000), int(step))
                for _r, key, step, value, t in store.points([run.id])
            ]
            for i in range(0, len(metrics), MAX_METRICS):
                client.log_batch(mid, metrics=metrics[i : i + MAX_METRICS])
            status = STATUS.get(str(run.status), "FINISHED")
            if status != "RUNNING":
                end = run.end if run.end is not None else run.start
                client.set_terminated(mid, status=status, end_time=int(end * 1000))
            done.add(run.id)
            created += 1
    except MlflowSourceError:
        raise
    except Exception as exc:
        raise MlflowSourceError(
            f"cannot write to the MLflow store at {tracking_uri}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:300]}"
        ) from exc
    return created, skipped
