"""What a user can get wrong, each answered by an NbtrackError saying what to do:
a model nothing can pickle, blobs that are gone, a type that is not a model."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import nbtrack
from nbtrack.models import ModelError


class HoldsALock:
    def __init__(self) -> None:
        self.lock = threading.Lock()


def test_an_unpicklable_model_names_its_type_and_the_flavors_tried(project: Path) -> None:
    with pytest.raises(ModelError) as caught:
        nbtrack.log_model(HoldsALock(), "locked")
    text = str(caught.value)
    assert "test_bad_input.HoldsALock" in text
    assert "flavors tried: cloudpickle (TypeError: cannot pickle '_thread.lock'" in text
    assert nbtrack.artifacts().empty  # nothing recorded
    assert not list((project / ".nbtrack" / "artifacts" / "tmp").iterdir())  # nothing left


def test_an_estimator_that_joblib_cannot_save_lists_both_flavors(project: Path) -> None:
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit([[0], [1]], [0, 1])
    model.lock = threading.Lock()  # type: ignore[attr-defined]
    with pytest.raises(ModelError, match=r"flavors tried: sklearn \(.*\); cloudpickle \("):
        nbtrack.log_model(model, "broken")


def test_loading_a_model_whose_blob_is_gone_says_so(backend: str, project: Path) -> None:
    version = nbtrack.log_model({"w": 1}, "m")
    blob = next((project / ".nbtrack" / "artifacts" / "blobs").glob(f"*/{version.hash}"))
    blob.chmod(0o644)
    blob.unlink()
    with pytest.raises(ModelError, match=r"stored bytes of m:v1 .* are missing .* garbage-coll"):
        nbtrack.load_model("m:v1")


def test_loading_a_model_collected_with_its_deleted_run_says_what_exists(project: Path) -> None:
    from nbtrack.artifacts import gc
    from nbtrack.artifacts.context import context_for
    from nbtrack.cli import main

    with nbtrack.start_run() as run:
        nbtrack.log_model({"w": 1}, "m")
    assert main(["rm", run.ref, "--yes"]) == 0
    ctx = context_for()
    gc.apply(ctx, gc.plan(ctx, grace=0))
    with pytest.raises(nbtrack.NbtrackError, match="no model, registered model or run"):
        nbtrack.load_model("m:v1")


def test_an_artifact_logged_without_log_model_is_not_loaded_blindly(project: Path) -> None:
    (project / "weights.bin").write_bytes(b"\0" * 10)
    nbtrack.log_artifact("weights.bin", name="weights", type="model")
    with pytest.raises(ModelError, match=r"logged without log_model.*use_artifact\('weights:v1'\)"):
        nbtrack.load_model("weights")


@pytest.mark.parametrize("ref", ["", "   ", None, 3])
def test_a_reference_that_is_not_a_string_is_refused(project: Path, ref: object) -> None:
    with pytest.raises(ModelError, match="a model reference is a string"):
        nbtrack.load_model(ref)  # type: ignore[arg-type]
