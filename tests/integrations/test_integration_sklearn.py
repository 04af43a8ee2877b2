"""nbtrack.sklearn.autolog() with real scikit-learn estimators, in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import nbtrack


@pytest.fixture
def autolog(project: Path) -> Iterator[None]:
    nbtrack.sklearn.autolog()
    yield
    nbtrack.sklearn.autolog(disable=True)


def _iris() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


def test_fit_records_params_training_score_and_class(autolog: None) -> None:
    from sklearn.linear_model import LogisticRegression

    X, y = _iris()
    model = LogisticRegression(C=0.5, max_iter=300).fit(X, y)
    run = nbtrack.get_run("latest")
    assert run.status == "finished"
    assert run.params["C"] == 0.5 and run.params["max_iter"] == 300
    assert run.params["estimator_class"].endswith("LogisticRegression")
    assert "LogisticRegression" in run.tags
    assert run.metrics["training_score"]["last"] == pytest.approx(model.score(X, y))


def test_search_over_pipeline_is_one_run_with_best_params(autolog: None) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _iris()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=300))])
    search = GridSearchCV(pipe, {"clf__C": [0.01, 1.0]}, cv=2).fit(X, y)
    all_runs = nbtrack.runs()
    assert len(all_runs) == 1  # the candidates' and steps' fits are part of the search
    run = nbtrack.get_run("latest")
    assert run.params["estimator__clf__max_iter"] == 300  # nested params flattened a__b
    assert run.params["estimator__scale"] == "StandardScaler"
    assert run.params["best_clf__C"] == search.best_params_["clf__C"]
    assert run.metrics["best_cv_score"]["last"] == pytest.approx(search.best_score_)
    assert "GridSearchCV" in run.tags


def test_inside_a_run_fits_attach_to_it(autolog: None) -> None:
    from sklearn.tree import DecisionTreeClassifier

    X, y = _iris()
    with nbtrack.start_run(name="mine"):
        DecisionTreeClassifier(max_depth=2).fit(X, y)
        assert nbtrack.get_run("latest").status == "running"  # not ended by the fit
    runs = nbtrack.runs()
    assert list(runs["name"]) == ["mine"]
    run = nbtrack.get_run("mine")
    assert run.status == "finished" and run.params["max_depth"] == 2
    assert "training_score" in run.metrics


def test_a_fit_that_raises_leaves_a_failed_run(autolog: None) -> None:
    from sklearn.linear_model import LogisticRegression

    X, _ = _iris()
    with pytest.raises(ValueError):
        LogisticRegression().fit(X, np.zeros(len(X)))  # one class only
    run = nbtrack.get_run("latest")
    assert run.status == "failed"
    assert "ValueError" in run.error


def test_disable_restores_every_fit(project: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    original = LogisticRegression.fit
    nbtrack.sklearn.autolog()
    assert LogisticRegression.fit is not original
    nbtrack.sklearn.autolog(disable=True)
    assert LogisticRegression.fit is original
    X, y = _iris()
    LogisticRegression(max_iter=300).fit(X, y)
    assert len(nbtrack.runs()) == 0


def test_estimators_defined_after_autolog_are_recorded(autolog: None) -> None:
    from sklearn.base import BaseEstimator

    class Mean(BaseEstimator):
        def __init__(self, shift: float = 1.0) -> None:
            self.shift = shift

        def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> Mean:
            self.mean_ = X.mean() + self.shift
            return self

    Mean(shift=2.0).fit(np.ones((3, 2)))
    run = nbtrack.get_run("latest")
    assert run.params["shift"] == 2.0 and "Mean" in run.tags
