"""nbtrack: notebook-first experiment tracking for Jupyter.

    %load_ext nbtrack
    %%track --name baseline
    lr = 1e-3
    nbtrack.log(loss=0.3)

The public API is imported lazily so that `%load_ext nbtrack` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import NbtrackError

__version__ = "0.1.0"

_LAZY = {
    "log": "tracking",
    "start_run": "tracking",
    "active_run": "tracking",
    "log_params": "tracking",
    "set_tags": "tracking",
    "set_notes": "tracking",
    "runs": "query",
    "history": "query",
    "get_run": "query",
    "Run": "query",
    "diff": "rundiff",
    "replay_script": "rundiff",
    "compare": "widgets.compare",
    "sweep": "sweeps",
    "uniform": "sweeps",
    "loguniform": "sweeps",
    "intuniform": "sweeps",
    "MedianPruner": "sweeps",
    "HyperbandPruner": "sweeps",
    "TrialPruned": "errors",
    "log_artifact": "artifacts",
    "log_dataset": "artifacts",
    "use_artifact": "artifacts",
    "use_dataset": "artifacts",
    "set_alias": "artifacts",
    "artifacts": "artifacts.reads",
    "lineage": "artifacts.lineage",
    "log_image": "media",
    "log_figure": "media",
    "log_table": "media",
    "log_confusion_matrix": "media",
    "log_histogram": "media",
    "log_text": "media",
    "log_model": "models",
    "load_model": "models",
    "registry": "models",
}

# Framework integrations, as submodules: `nbtrack.sklearn.autolog()`,
# `nbtrack.lightning.Logger()`... Imported on first use only.
_INTEGRATIONS = {
    "sklearn": "integrations.sklearn",
    "lightning": "integrations.lightning",
    "transformers": "integrations.transformers",
    "keras": "integrations.keras",
}

if TYPE_CHECKING:
    from .artifacts import log_artifact, log_dataset, set_alias, use_artifact, use_dataset
    from .artifacts.lineage import lineage
    from .artifacts.reads import artifacts
    from .errors import TrialPruned
    from .media import (
        log_confusion_matrix,
        log_figure,
        log_histogram,
        log_image,
        log_table,
        log_text,
    )
    from .models import load_model, log_model, registry
    from .query import Run, get_run, history, runs
    from .rundiff import diff, replay_script
    from .sweeps import HyperbandPruner, MedianPruner, intuniform, loguniform, sweep, uniform
    from .tracking import active_run, log, log_params, set_notes, set_tags, start_run
    from .widgets.compare import compare


def __getattr__(name: str) -> Any:
    from importlib import import_module

    if name in _INTEGRATIONS:
        submodule = import_module(f".{_INTEGRATIONS[name]}", __name__)
        globals()[name] = submodule
        return submodule
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbtrack' has no attribute {name!r}")

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The Jupyter server extension (the REST API) lives in `nbtrack.server`."""
    return [{"module": "nbtrack.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """The prebuilt JupyterLab extension (for `jupyter labextension develop`)."""
    return [{"src": "labextension", "dest": "nbtrack"}]


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext nbtrack`: register `%%track` and `%nbtrack`, and put `nbtrack`
    in the user's namespace."""
    from .magics import register

    register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .magics import unregister

    unregister(ipython)


__all__ = [
    "NbtrackError",
    "Run",
    "active_run",
    "artifacts",
    "compare",
    "diff",
    "get_run",
    "history",
    "lineage",
    "log",
    "log_params",
    "set_tags",
    "set_notes",
    "log_artifact",
    "log_dataset",
    "log_image",
    "log_figure",
    "log_table",
    "log_confusion_matrix",
    "log_histogram",
    "log_text",
    "log_model",
    "load_model",
    "registry",
    "replay_script",
    "runs",
    "set_alias",
    "start_run",
    "sweep",
    "uniform",
    "loguniform",
    "intuniform",
    "MedianPruner",
    "HyperbandPruner",
    "TrialPruned",
    "use_artifact",
    "use_dataset",
    "load_ipython_extension",
]
