"""The registry on both backends: link, aliases that move with a history (user,
time, from → to), the models DataFrame with the source run's metrics, refs
through it, and the names it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

import nbtrack
from nbtrack.models import ModelError, ModelNotFoundError
from nbtrack.models.registry_records import current_user


def _three_versions() -> list[str]:
    """digits-mlp v1..v3, made by three runs (acc 0.7, 0.8, 0.9); their refs."""
    refs = []
    for i, acc in enumerate((0.7, 0.8, 0.9)):
        with nbtrack.start_run(name="train") as run:
            nbtrack.log(acc=acc)
            nbtrack.log_model({"weights": [i]}, "digits-mlp")
        refs.append(run.ref)
    return refs


def test_link_aliases_and_loading_through_the_registry(backend: str, project: Path) -> None:
    _three_versions()
    assert nbtrack.registry.link("digits-mlp:v1", "digits-classifier") == 1
    assert nbtrack.registry.link("digits-mlp:v3", "digits-classifier", aliases=["candidate"]) == 2
    assert nbtrack.registry.link("digits-mlp:v3", "digits-classifier") == 2  # once only
    assert nbtrack.registry.set_alias("digits-classifier", "production", version=1) is None
    assert nbtrack.load_model("digits-classifier@production") == {"weights": [0]}
    assert nbtrack.load_model("digits-classifier@candidate") == {"weights": [2]}
    assert nbtrack.load_model("digits-classifier:v2") == {"weights": [2]}
    assert nbtrack.load_model("digits-classifier:latest") == {"weights": [2]}
    # Moving the alias: the previous holder is kept in the history.
    assert nbtrack.registry.set_alias("digits-classifier", "production", version="v2") == 1
    assert nbtrack.load_model("digits-classifier@production") == {"weights": [2]}
    assert nbtrack.registry.delete_alias("digits-classifier", "candidate") == 2
    with pytest.raises(ModelNotFoundError, match="no alias 'candidate'.*production"):
        nbtrack.load_model("digits-classifier@candidate")

    history = nbtrack.registry.history("digits-classifier")
    moves = [(r.alias, _int(r.from_version), _int(r.to_version)) for r in history.itertuples()]
    assert moves == [
        ("candidate", None, 2),
        ("production", None, 1),
        ("production", 1, 2),
        ("candidate", 2, None),
    ]
    assert set(history["user"]) == {current_user()}
    assert history["time"].is_monotonic_increasing


def _int(value: object) -> int | None:
    import pandas as pd

    return None if value is pd.NA else int(value)  # type: ignore[call-overload]


def test_models_frame_lists_versions_aliases_source_runs_and_metrics(
    backend: str, project: Path
) -> None:
    refs = _three_versions()
    nbtrack.registry.link("digits-mlp:v2", "digits-classifier", aliases=["production"])
    nbtrack.registry.link("digits-mlp:v3", "digits-classifier", aliases=["candidate"])
    df = nbtrack.registry.models()
    assert list(df["model"]) == ["digits-classifier"] * 2
    assert list(df["version"]) == [1, 2]
    assert list(df["aliases"]) == [["production"], ["candidate"]]
    assert list(df["source"]) == ["digits-mlp:v2", "digits-mlp:v3"]
    assert list(df["flavor"]) == ["cloudpickle"] * 2
    assert list(df["run"]) == refs[1:]
    assert list(df["metrics.acc"]) == [0.8, 0.9]
    assert list(nbtrack.registry.models("nothing")["model"]) == []


def test_user_is_the_hub_user_when_set(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _three_versions()
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    nbtrack.registry.link("digits-mlp:v1", "clf", aliases=["production"])
    assert list(nbtrack.registry.history("clf")["user"]) == ["ada"]
    assert list(nbtrack.registry.models()["user"]) == ["ada"]


def test_an_alias_on_a_missing_version_is_refused(backend: str, project: Path) -> None:
    _three_versions()
    nbtrack.registry.link("digits-mlp:v1", "clf")
    with pytest.raises(ModelNotFoundError, match=r"'clf' has no version 7 \(it has v1..v1\)"):
        nbtrack.registry.set_alias("clf", "production", version=7)
    with pytest.raises(ModelNotFoundError, match="no registered model 'nope'.*clf"):
        nbtrack.registry.set_alias("nope", "production", version=1)
    with pytest.raises(ModelError, match="number like 2 or 'v2'"):
        nbtrack.registry.set_alias("clf", "production", version="two")
    with pytest.raises(nbtrack.NbtrackError, match="alias .latest. is not allowed"):
        nbtrack.registry.set_alias("clf", "latest", version=1)
    assert nbtrack.registry.history("clf").empty  # nothing half-written


def test_registry_and_artifact_names_never_collide(backend: str, project: Path) -> None:
    _three_versions()
    with pytest.raises(ModelError, match="already the name of a logged artifact"):
        nbtrack.registry.link("digits-mlp:v1", "digits-mlp")
    nbtrack.registry.link("digits-mlp:v1", "clf")
    with pytest.raises(ModelError, match="'clf' is a registered model name"):
        nbtrack.log_model({"w": 0}, "clf")
    with pytest.raises(ModelError, match="not a model"):
        nbtrack.log_dataset(__import__("pandas").DataFrame({"a": [1]}), "frame")
        nbtrack.registry.link("frame:v1", "frames")


def test_a_registered_model_survives_gc_after_its_run_is_deleted(project: Path) -> None:
    from nbtrack.artifacts import gc
    from nbtrack.artifacts.context import context_for
    from nbtrack.cli import main

    refs = _three_versions()
    nbtrack.registry.link("digits-mlp:v1", "clf", aliases=["production"])
    assert main(["rm", refs[0], refs[1], "--yes"]) == 0
    ctx = context_for()
    gc.apply(ctx, gc.plan(ctx, grace=0))
    assert nbtrack.load_model("clf@production") == {"weights": [0]}
    left = nbtrack.artifacts()
    assert list(zip(left["name"], left["version"], strict=True)) == [
        ("digits-mlp", 1),  # registered: kept
        ("digits-mlp", 3),  # its run lives
    ]
