"""Parameter importances of a search sweep, from Optuna's `get_param_importances`
over the study in the store. Computed on request and cached per sweep and count
of finished trials (a new finished trial recomputes them)."""

from __future__ import annotations

import threading
from typing import Any

_cache: dict[tuple[str, str, int], dict[str, Any]] = {}
_lock = threading.Lock()


def importances(store_url: str, sweep_id: str) -> dict[str, Any]:
    """{"importances": {param: share} | None, "reason": why not | None}."""
    from .listing import _studies

    study = _studies(store_url).get(sweep_id)
    if study is None:
        return _none("a grid sweep over a notebook has no Optuna study to weigh its parameters")
    import optuna

    from .study import load_study

    loaded = load_study(store_url, sweep_id)
    done = [t for t in loaded.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if len(done) < 2:
        return _none(f"{len(done)} finished trial(s): importances need at least 2")
    key = (store_url, sweep_id, len(done))
    with _lock:
        if key in _cache:
            return _cache[key]
    try:
        shares = optuna.importance.get_param_importances(loaded)
    except (RuntimeError, ValueError) as exc:
        return _none(f"Optuna cannot weigh these trials: {exc}")
    result = {"importances": {k: float(v) for k, v in shares.items()}, "reason": None}
    with _lock:
        _cache[key] = result
    return result


def _none(reason: str) -> dict[str, Any]:
    return {"importances": None, "reason": reason}
