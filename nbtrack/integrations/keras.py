"""Keras 3: `model.fit(..., callbacks=[nbtrack.keras.Callback()])`.

Per-epoch metrics (`loss`, `val_loss`, ...) at step = epoch, optionally
per-batch ones (`batch/loss` at the global batch count), the optimizer's
config as params (`optimizer.learning_rate`...). In a `%%track` cell the
cell's run gets them; elsewhere the callback records its own run, ended when
`fit` ends. Keras has no hook for an exception in `fit`: a run of its own left
running by one ends `failed` with the cell that raised (in IPython) or at
exit (in a script). With `log_model=True` the trained model is logged with
the `keras` flavor (`.keras`): `nbtrack.load_model("model:latest")` gives it
back.
"""

from __future__ import annotations

from typing import Any

import keras

from . import _run


class Callback(keras.callbacks.Callback):
    """A Keras callback that records into nbtrack."""

    def __init__(
        self,
        name: str | None = None,
        log_batches: bool = False,
        log_model: bool = False,
        model_name: str = "model",
    ) -> None:
        super().__init__()
        self._run_name = name
        self._log_batches = log_batches
        self._log_model = log_model
        self._model_name = model_name
        self._run: Any = None
        self._owned = False
        self._batches = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        model = self.model
        params: dict[str, Any] = {}
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None:
            params["optimizer"] = {"class": type(optimizer).__name__, **optimizer.get_config()}
        fit_params = {k: v for k, v in (self.params or {}).items() if k in ("epochs", "steps")}
        if fit_params:
            params["fit"] = fit_params
        self._run, self._owned = _run.attach(
            name=self._run_name,
            params=_run.without_secrets(_run.plain(params)),
            tags=["keras", type(model).__name__],
        )
        self._batches = 0

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._batches += 1
        if self._log_batches and self._run is not None and logs:
            values = _run.numbers(logs)
            if values:
                self._run.log({f"batch/{k}": v for k, v in values.items()}, step=self._batches)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._run is not None and logs:
            values = _run.numbers(logs)
            if values:
                self._run.log(values, step=epoch)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._run is None:
            return
        if self._log_model:
            _run.log_model(self.model, self._model_name, "keras")
        _run.finish(self._run, self._owned)
        self._run = None
