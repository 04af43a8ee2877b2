"""scikit-learn autologging, as MLflow's autolog does it:

    nbtrack.sklearn.autolog()
    LogisticRegression(C=0.5).fit(X, y)   # params, training score, class tag recorded

Every estimator's `fit` is wrapped (the original kept, `autolog(disable=True)`
restores it). Only the outermost fit is recorded: a Pipeline's steps and a
search's candidate fits are part of it. A GridSearchCV/RandomizedSearchCV
records its best params (`best_<name>`) and best cross-validated score.
"""

from __future__ import annotations

import functools
import pickle
import tempfile
import threading
from pathlib import Path
from typing import Any

from . import _run

_lock = threading.Lock()
_patched: dict[type, Any] = {}  # class -> its own original fit
_options: dict[str, Any] = {"enabled": False, "log_models": False}
# Outermost fits in progress in this process: a fit that starts while one runs
# (a Pipeline step, a search's candidate, a joblib thread worker) is part of it.
_active_fits = 0


def autolog(disable: bool = False, log_models: bool = False) -> None:
    """Record every scikit-learn `fit` from now on (`disable=True`: stop, with
    every estimator's `fit` restored). `log_models` also keeps each fitted
    estimator (pickled) as a model artifact of the run."""
    from sklearn.base import BaseEstimator

    with _lock:
        if disable:
            for cls, original in _patched.items():
                cls.fit = original
            _patched.clear()
            _options["enabled"] = False
            if "__init_subclass__" in BaseEstimator.__dict__:
                del BaseEstimator.__init_subclass__  # scikit-learn's own is inherited
            return
        _options.update(enabled=True, log_models=log_models)
        for cls in _subclasses(BaseEstimator):
            _patch(cls)
        _hook_new_classes(BaseEstimator)


def _subclasses(base: type) -> list[type]:
    """The subclasses of `base` defined so far (modules not imported yet are
    covered by the subclass hook)."""
    seen: list[type] = []
    todo = [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return seen


def _patch(cls: type) -> None:
    own = cls.__dict__.get("fit")
    if own is None or cls in _patched or getattr(own, "__nbtrack_original__", None):
        return
    _patched[cls] = own
    cls.fit = _wrap(own)


def _hook_new_classes(base: type) -> None:
    """Estimators defined after autolog() (modules imported later, user classes)
    are patched as they are defined."""
    if "__init_subclass__" in base.__dict__:
        return  # hooked already (scikit-learn's own hook lives on a parent class)

    def __init_subclass__(cls: type, **kwargs: Any) -> None:
        super(base, cls).__init_subclass__(**kwargs)  # type: ignore[misc]
        with _lock:
            if _options["enabled"]:
                _patch(cls)

    base.__init_subclass__ = classmethod(__init_subclass__)  # type: ignore[assignment]


def _wrap(original: Any) -> Any:
    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        global _active_fits
        with _lock:
            outermost = _active_fits == 0
            _active_fits += 1
        try:
            if not outermost:
                return original(self, *args, **kwargs)
            return _fit_and_record(original, self, args, kwargs)
        finally:
            with _lock:
                _active_fits -= 1

    fit.__nbtrack_original__ = original  # type: ignore[attr-defined]
    return fit


def _fit_and_record(original: Any, estimator: Any, args: tuple, kwargs: dict) -> Any:
    cls = type(estimator)
    run, owned = _run.attach(
        name=cls.__name__,
        params=estimator_params(estimator),
        tags=[cls.__name__],
    )
    try:
        result = original(estimator, *args, **kwargs)
        _record_fitted(run, estimator, args, kwargs)
    except BaseException as exc:
        _run.fail(run, owned, exc)
        raise
    _run.finish(run, owned)
    return result


def estimator_params(estimator: Any) -> dict[str, Any]:
    """`get_params(deep=True)` as params: nested estimators' params keep their
    `a__b` names, the nested estimators themselves are named by class."""
    cls = type(estimator)
    params: dict[str, Any] = {"estimator_class": f"{cls.__module__}.{cls.__qualname__}"}
    for key, value in estimator.get_params(deep=True).items():
        if hasattr(value, "get_params"):
            value = type(value).__name__
        elif isinstance(value, (list, tuple)) and _holds_estimators(value):
            continue  # a Pipeline's `steps`: its parts are the `a__b` params
        value = _run.plain(value)
        if value is not None or key not in params:
            params[key] = value
    return params


def _holds_estimators(value: list | tuple) -> bool:
    return any(
        hasattr(v, "get_params")
        or (isinstance(v, tuple) and any(hasattr(x, "get_params") for x in v))
        for v in value
    )


def _record_fitted(run: Any, estimator: Any, args: tuple, kwargs: dict) -> None:
    from .. import tracking

    best = getattr(estimator, "best_params_", None)
    if isinstance(best, dict):
        tracking.add_params(run, {f"best_{k}": _run.plain(v) for k, v in best.items()})
    metrics: dict[str, float] = {}
    score = _training_score(estimator, args, kwargs)
    if score is not None:
        metrics["training_score"] = score
    best_score = getattr(estimator, "best_score_", None)
    if best_score is not None:
        metrics.update(_run.numbers({"best_cv_score": best_score}))
    if metrics:
        run.log(metrics)
    if _options["log_models"]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.pkl"
            path.write_bytes(pickle.dumps(estimator))
            _run.save_model(path, type(estimator).__name__)


def _training_score(estimator: Any, args: tuple, kwargs: dict) -> float | None:
    """`estimator.score` on the data it was fitted on, or None when it has none."""
    if not hasattr(estimator, "score"):
        return None
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    if X is None:
        return None
    try:
        value = estimator.score(X, y) if y is not None else estimator.score(X)
    except Exception:  # noqa: BLE001 - an estimator whose score needs more than X, y
        return None
    found = _run.numbers({"s": value})
    return found.get("s")
