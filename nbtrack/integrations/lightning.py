"""PyTorch Lightning: `Trainer(logger=nbtrack.lightning.Logger())`.

Hyperparameters (`save_hyperparameters()`, `log_hyperparams`) become params,
`self.log(...)` values become metric points at the trainer's global step. In a
`%%track` cell the cell's run gets them; elsewhere the logger records its own
run. That run stays open after a stage that succeeds, so `trainer.test()`
right after `trainer.fit()` (in the same cell, or the same script) records its
metrics into the same run, as with MLflow and W&B; it ends, finished, at the end
of the cell, when the next run begins, or when the process exits. A stage that
raises ends it `failed` at once. With `log_model=True`
the best (else the last) checkpoint is logged at the end as a version of the
model `model_name` with the `lightning` flavor: the checkpoint file as Lightning
wrote it, and the LightningModule's class, so `nbtrack.load_model("model:latest")`
gives back the module (`load_from_checkpoint`; the class must be importable, or
defined in the notebook doing the loading). `log_model="all"` logs every
checkpoint as it is saved.
"""

from __future__ import annotations

import sys
from argparse import Namespace
from collections.abc import Mapping
from typing import Any

from lightning.pytorch.loggers.logger import Logger as _LightningLogger
from lightning.pytorch.utilities import rank_zero_only

from . import _run


class Logger(_LightningLogger):
    """A Lightning logger that records into nbtrack."""

    def __init__(
        self,
        name: str | None = None,
        log_model: bool | str = False,
        model_name: str = "model",
    ) -> None:
        super().__init__()
        self._run_name = name
        self._log_model = log_model
        self._model_name = model_name
        self._run: Any = None
        self._owned = False
        self._checkpoint: Any = None
        self._module_class: type | None = None
        self._pending_params: dict[str, Any] = {}

    # -- Lightning's logger interface -------------------------------------------------

    @property
    def name(self) -> str:
        return "nbtrack"

    @property
    def version(self) -> str:
        return self._run.ref if self._run is not None else "pending"

    @property
    def experiment(self) -> Any:
        """The nbtrack run being recorded (`nbtrack.tracking.ActiveRun`)."""
        return self._ensure_run()

    @rank_zero_only
    def log_hyperparams(
        self, params: Mapping[str, Any] | Namespace, *args: Any, **kwargs: Any
    ) -> None:
        if isinstance(params, Namespace):
            params = vars(params)
        from .. import tracking

        plain = _run.without_secrets(_run.plain(dict(params)))
        if plain:
            tracking.add_params(self._ensure_run(), plain)

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        values = _run.numbers(metrics)
        if values:
            self._ensure_run().log(values, step=step)

    @rank_zero_only
    def log_graph(self, model: Any, input_array: Any = None) -> None:
        # Lightning hands every logger the module when training starts: its class
        # is what loads the checkpoints back.
        self._module_class = type(model)

    @rank_zero_only
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        self._checkpoint = checkpoint_callback
        if self._log_model == "all" and self._run is not None:
            path = getattr(checkpoint_callback, "last_model_path", "") or getattr(
                checkpoint_callback, "best_model_path", ""
            )
            if path:
                _run.log_checkpoint(path, self._model_name, self._module_class)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        run, owned = self._run, self._owned
        if run is None:
            return
        ok = status in ("success", "finished")
        if ok and self._log_model is True and self._checkpoint is not None:
            path = self._checkpoint.best_model_path or self._checkpoint.last_model_path
            if path:
                _run.log_checkpoint(path, self._model_name, self._module_class)
            self._checkpoint = None  # a test() after fit() logs it not again
        if ok:
            # Open for the next stage: test() right after fit() records into this run.
            _run.linger(run, owned)
            return
        _run.fail(run, owned, sys.exc_info()[1])
        if owned:
            self._run, self._owned = None, False  # a later fit/test records a new run

    # -- nbtrack --------------------------------------------------------------------

    def _ensure_run(self) -> Any:
        if self._run is None or self._run.status != "running":
            self._run, self._owned = _run.attach(name=self._run_name, tags=["lightning"])
        return self._run
