"""What every integration shares: attach to the active run or own one, end an
owned run, record tags and plain params, keep a trained model."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .. import tracking
from ..capture.environment import is_secret_name

#: Longest text kept for a param value that is not a plain number or string.
MAX_REPR = 250


def attach(
    name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: list[str] | tuple[str, ...] = (),
) -> tuple[tracking.ActiveRun, bool]:
    """The run to record into and whether this integration owns it (started it,
    so must end it): the active run (a `%%track` cell's, or `start_run`'s) when
    there is one, else a new run."""
    run = tracking.active_run()
    if run is not None and run.status == "running" and not run.ends_when_next_begins:
        if params:
            tracking.add_params(run, params)
        add_tags(run, tags)
        return run, False
    run = tracking.begin_run(name=name, params=params, tags=list(tags))
    _end_with_failing_cell(run)
    return run, True


def finish(
    run: tracking.ActiveRun | None,
    owned: bool,
    status: str = "finished",
    error: BaseException | None = None,
) -> None:
    """End `run` if this integration owns it; a run it attached to is the cell's to end."""
    if run is not None and owned and run.status == "running":
        tracking.end_run(run, status, error)


def linger(run: tracking.ActiveRun | None, owned: bool) -> None:
    """Keep an owned run open after a training stage that succeeded, so that the
    next stage of the same trainer (Lightning's `test()` after `fit()`) records
    into it, as MLflow and W&B users expect. It ends (finished) at the end of the
    IPython cell, when the next run begins, or when the process exits."""
    if run is None or not owned or run.status != "running":
        return
    run.ends_when_next_begins = True

    def end(error: BaseException | None) -> None:
        if error is None:
            finish(run, True)
        else:
            fail(run, True, error)

    _when_cell_ends(run, end)


def _when_cell_ends(run: tracking.ActiveRun, end: Callable[[BaseException | None], None]) -> None:
    """In IPython, call `end(error)` once, when the running cell has ended (`error`:
    what it raised, or None), if `run` is then still the active, running run."""
    shell = _shell()
    if shell is None:
        return

    def after_cell(result: Any) -> None:
        try:
            shell.events.unregister("post_run_cell", after_cell)
        except ValueError:
            pass
        if run.status == "running" and tracking.active_run() is run:
            end(getattr(result, "error_in_exec", None))

    shell.events.register("post_run_cell", after_cell)


def _shell() -> Any:
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def fail(run: tracking.ActiveRun | None, owned: bool, error: BaseException | None) -> None:
    """End an owned run because training raised `error` (its points are written)."""
    if error is None:
        finish(run, owned, "failed")
    else:
        finish(run, owned, tracking.status_for(error), error)


def add_tags(run: tracking.ActiveRun, tags: list[str] | tuple[str, ...]) -> None:
    """Add `tags` to a running run (kept with those it has)."""
    if not tags:
        return
    store = run.writer.store
    rows = store.select_runs(ids=[run.id], columns=["tags"])
    have = set(rows[0]["tags"] or ()) if rows else set()
    if set(tags) <= have:
        return
    store.update_run(run.id, tags=sorted(have | set(tags)))


def plain(value: Any) -> Any:
    """A param value as JSON can hold it: numbers, strings, booleans and None as
    they are, mappings and lists element-wise, anything else as its short text
    (None when that is too long to be useful)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy/torch scalars
        return plain(value.item())
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    text = repr(value)
    return text if len(text) <= MAX_REPR else None


def without_secrets(params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` without the entries whose names look secret (tokens, passwords,
    keys) and whose values could hold one: a flag or a count named like one
    (`include_num_input_tokens_seen`) is kept."""
    return {
        k: (without_secrets(v) if isinstance(v, Mapping) else v)
        for k, v in params.items()
        if not (is_secret_name(str(k)) and not isinstance(v, (bool, int, float)))
    }


def numbers(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The entries of `metrics` that are numbers (tensor scalars included)."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, bool):
            continue
        if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
            value = value.item()
        if isinstance(value, (int, float)):
            out[str(key)] = float(value)
    return out


def save_model(path: str | os.PathLike[str], name: str) -> Any:
    """Keep a trained model (a file or a folder) as artifact `name` of type model,
    linked to the active run, when no flavor can load it back."""
    from ..artifacts import log_artifact

    return log_artifact(Path(path), name=name, type="model")


def log_model(model: Any, name: str, flavor: str) -> Any:
    """Keep a trained model as a version of the model `name` saved with `flavor`,
    so that `nbtrack.load_model("name:latest")` gives it back, linked to the
    active run. The one place integrations log models."""
    from ..models.api import log_model as log

    return log(model, name, flavor=flavor)


def log_checkpoint(path: str | os.PathLike[str], name: str, module_class: type | None) -> Any:
    """Keep a Lightning checkpoint file as a `lightning` model version (loaded
    back with `module_class.load_from_checkpoint`); a plain model file when the
    module's class is unknown."""
    if module_class is None:
        return save_model(path, name)
    from ..models.flavors import Checkpoint

    return log_model(Checkpoint(Path(path), module_class), name, "lightning")


def _end_with_failing_cell(run: tracking.ActiveRun) -> None:
    """In IPython, a run owned by an integration whose cell raised (training
    died: no framework hook said so) ends failed with that cell. A script that
    dies is handled by nbtrack's exit hook."""

    def end(error: BaseException | None) -> None:
        if error is not None:
            fail(run, True, error)

    _when_cell_ends(run, end)
