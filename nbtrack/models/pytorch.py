"""PyTorch modules: the state_dict and the class's import path, or the whole
module pickled when the class cannot be rebuilt from its path.

- `state_dict` (the default when it can be loaded back): the class is defined in
  an importable module (not the notebook's `__main__`), its constructor
  needs no arguments or `log_model(..., init_args={...})` gives them (JSON
  values), and the class so built has the state's keys and shapes (checked on
  the meta device at save time). Saved with `torch.save(model.state_dict())`; loaded with
  `torch.load(weights_only=True)` (no code runs from the file), the class
  built on the `meta` device and the weights assigned (no second allocation,
  no random init).
- `module` (otherwise: a class from the notebook, or one needing arguments
  nobody gave): `torch.save(model, pickle_module=cloudpickle)`, the class by
  value when the notebook defined it; loaded with `torch.load(weights_only=False)`.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, BinaryIO


def _needs_args(cls: type) -> bool:
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return True
    return any(
        p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in params
    )


def _rebuilds(cls: type, init_args: dict[str, Any], state: dict[str, Any]) -> bool:
    """Whether `cls(**init_args)` has exactly the state's keys and shapes: built on
    the meta device (no memory, no init), so a container such as nn.Sequential,
    which builds empty without arguments, is caught before its weights are saved
    where they could not be loaded back."""
    import torch

    try:
        with torch.device("meta"):
            probe = cls(**init_args)
        got = probe.state_dict()
    except Exception:  # any constructor error: it cannot be rebuilt from its path
        return False
    return set(got) == set(state) and all(
        tuple(got[k].shape) == tuple(getattr(state[k], "shape", ())) for k in state
    )


def _importable(cls: type) -> bool:
    import importlib

    if cls.__module__ == "__main__" or "<locals>" in cls.__qualname__:
        return False
    try:
        found: Any = importlib.import_module(cls.__module__)
        for part in cls.__qualname__.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return False
    return found is cls


def save(model: Any, sink: BinaryIO, init_args: dict[str, Any] | None = None) -> dict[str, Any]:
    import torch

    cls = type(model)
    meta: dict[str, Any] = {
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "training": bool(model.training),
    }
    state = model.state_dict()
    if (
        _importable(cls)
        and (init_args is not None or not _needs_args(cls))
        and _rebuilds(cls, init_args or {}, state)
    ):
        torch.save(state, sink)
        meta["format"] = "state_dict"
        meta["init_args"] = init_args or {}
        return meta
    import cloudpickle

    torch.save(model, sink, pickle_module=cloudpickle)
    meta["format"] = "module"
    return meta


def _import_class(path: str) -> type:
    import importlib

    from .errors import ModelError

    module, _, qualname = path.partition(":")
    try:
        found: Any = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        raise ModelError(
            f"the model's class {path} cannot be imported here ({exc}): install or put "
            "on sys.path the code that defines it, then load again"
        ) from exc
    return found


def load(path: Path, meta: dict[str, Any]) -> Any:
    import torch

    if meta.get("format") == "module":
        model = torch.load(path, weights_only=False, map_location="cpu")
    else:
        cls = _import_class(meta["class"])
        state = torch.load(path, weights_only=True, map_location="cpu")
        args = meta.get("init_args") or {}
        with torch.device("meta"):
            model = cls(**args)
        model.load_state_dict(state, assign=True)
        if any(t.is_meta for t in [*model.parameters(), *model.buffers()]):
            # Buffers kept outside the state_dict: build it for real instead.
            model = cls(**args)
            model.load_state_dict(state)
    model.train(bool(meta.get("training", False)))
    return model
