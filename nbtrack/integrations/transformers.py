"""Hugging Face Transformers: `Trainer(..., callbacks=[nbtrack.transformers.Callback()])`.

TrainingArguments become params (tokens and other secrets never: they are
left out), every `on_log` dict becomes metric points at the trainer's global
step. In a `%%track` cell the cell's run gets them; elsewhere the callback
records its own run, ended when training ends (`failed` when `train()`
raises). With `log_model=True` the final model is logged with the
`transformers` flavor (its `save_pretrained` folder): `nbtrack.load_model(
"model:latest")` gives it back through the class's `from_pretrained`.
"""

from __future__ import annotations

import sys
from typing import Any

from transformers import TrainerCallback

from . import _run

#: TrainingArguments fields that are secrets whatever their value.
SECRET_ARGS = frozenset({"hub_token", "push_to_hub_token"})


class Callback(TrainerCallback):
    """A Trainer callback that records into nbtrack."""

    def __init__(
        self, name: str | None = None, log_model: bool = False, model_name: str = "model"
    ) -> None:
        self._run_name = name
        self._log_model = log_model
        self._model_name = model_name
        self._run: Any = None
        self._owned = False

    def on_init_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        _watch_train(_calling_trainer(), self)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        model = kwargs.get("model")
        tags = ["transformers"] + ([type(model).__name__] if model is not None else [])
        self._run, self._owned = _run.attach(
            name=self._run_name, params=training_params(args), tags=tags
        )

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if self._run is None or not state.is_world_process_zero or not logs:
            return
        values = _run.numbers(logs)
        if values:
            self._run.log(values, step=state.global_step)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._run is None or not state.is_world_process_zero:
            return
        model = kwargs.get("model")
        if self._log_model and model is not None:
            _run.log_model(model, self._model_name, "transformers")
        _run.finish(self._run, self._owned)
        self._run = None

    def _failed(self, error: BaseException) -> None:
        _run.fail(self._run, self._owned, error)
        self._run = None


def training_params(args: Any) -> dict[str, Any]:
    """TrainingArguments as params, secrets (hub tokens, anything named like a
    key, token or password) left out."""
    values = args.to_dict() if hasattr(args, "to_dict") else dict(vars(args))
    values = {k: v for k, v in values.items() if k not in SECRET_ARGS}
    return _run.without_secrets(_run.plain(values))


def _calling_trainer() -> Any:
    """The Trainer whose __init__ is calling the callbacks (on_init_end), if any."""
    from transformers import Trainer

    frame = sys._getframe(1)
    for _ in range(12):
        if frame is None:
            return None
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, Trainer):
            return candidate
        frame = frame.f_back
    return None


def _watch_train(trainer: Any, callback: Callback) -> None:
    """Wrap this trainer's `train` so that an exception ends the callback's own
    run as failed (no Trainer callback hears of it)."""
    if trainer is None or getattr(trainer.train, "__nbtrack_watched__", False):
        return
    original = trainer.train

    def train(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        except BaseException as exc:
            callback._failed(exc)
            raise

    train.__nbtrack_watched__ = True  # type: ignore[attr-defined]
    train.__doc__ = original.__doc__
    trainer.train = train
