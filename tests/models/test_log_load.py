"""log_model / load_model with real libraries (scikit-learn, PyTorch CPU, cloudpickle):
flavors, signatures, references (name:vN, latest, a run), and what is recorded."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

import nbtrack
from nbtrack.models import ModelError, ModelVersionWarning

sys.path.insert(0, str(Path(__file__).parent))

torch = pytest.importorskip("torch")


def _digits_model() -> tuple[object, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    X, y = load_digits(return_X_y=True)
    return LogisticRegression(max_iter=200).fit(X[:300], y[:300]), X, y


def test_sklearn_model_round_trips_with_signature_and_made_by(backend: str, project: Path) -> None:
    model, X, y = _digits_model()
    with nbtrack.start_run(name="train") as run:
        version = nbtrack.log_model(model, "digits-lr", example=X[:5])
    info = version.meta["model"]
    assert version.type == "model" and info["flavor"] == "sklearn"
    assert info["signature"] == {"type": "numpy.ndarray", "dtype": "float64", "shape": [5, 64]}
    assert info["libraries"]["scikit-learn"] and info["class"].endswith(":LogisticRegression")
    assert version.run_id == run.id
    loaded = nbtrack.load_model("digits-lr:v1")
    assert (loaded.predict(X) == model.predict(X)).all()
    # The same fitted model again is the same version; a refit makes v2.
    assert nbtrack.log_model(model, "digits-lr").ref == "digits-lr:v1"
    model.set_params(C=0.5).fit(X[:300], y[:300])
    assert nbtrack.log_model(model, "digits-lr").ref == "digits-lr:v2"
    assert nbtrack.load_model("digits-lr:latest").C == 0.5
    assert nbtrack.load_model("digits-lr").C == 0.5


def test_a_dataframe_example_records_its_columns(project: Path) -> None:
    import pandas as pd

    model, X, _ = _digits_model()
    frame = pd.DataFrame(X[:3, :2], columns=["a", "b"])
    version = nbtrack.log_model(model, "m", example=frame)
    sig = version.meta["model"]["signature"]
    assert sig["columns"] == [{"name": "a", "dtype": "float64"}, {"name": "b", "dtype": "float64"}]
    assert version.meta["model"]["example"]["columns"] == ["a", "b"]


def test_pytorch_state_dict_of_an_importable_class(project: Path) -> None:
    from torch_models import TinyMLP

    torch.manual_seed(0)
    net = TinyMLP(hidden=8).eval()
    x = torch.randn(5, 4)
    version = nbtrack.log_model(net, "mlp", example=x)
    info = version.meta["model"]
    assert info["format"] == "state_dict" and info["class"] == "torch_models:TinyMLP"
    assert info["signature"]["dtype"] == "torch.float32" and info["signature"]["shape"] == [5, 4]
    loaded = nbtrack.load_model("mlp:v1")
    assert type(loaded) is TinyMLP and not loaded.training
    assert torch.equal(loaded(x), net(x))
    # The stored file is a plain state_dict: loadable without running code.
    blob = next((project / ".nbtrack" / "artifacts" / "blobs").glob(f"*/{version.hash}"))
    state = torch.load(blob, weights_only=True)
    assert set(state) == set(net.state_dict())


def test_pytorch_class_needing_args_uses_init_args_or_pickles_the_module(project: Path) -> None:
    from torch_models import NeedsArgs

    net = NeedsArgs(width=6)
    x = torch.randn(2, 4)
    with_args = nbtrack.log_model(net, "wide", init_args={"width": 6})
    assert with_args.meta["model"]["format"] == "state_dict"
    assert torch.equal(nbtrack.load_model("wide:v1")(x), net(x))
    without = nbtrack.log_model(net, "wide-module")
    assert without.meta["model"]["format"] == "module"
    assert torch.equal(nbtrack.load_model("wide-module")(x), net(x))


def test_a_class_defined_in_the_notebook_is_pickled_by_value(project: Path) -> None:
    # A class of __main__ (what a notebook cell defines): state_dict + path could not
    # be imported by another kernel, so the module goes whole, its class by value.
    code = """
import torch, nbtrack
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.l = torch.nn.Linear(2, 1)
    def forward(self, x):
        return self.l(x)
torch.manual_seed(1)
v = nbtrack.log_model(Net(), "nb-net")
m = nbtrack.load_model("nb-net")
print(v.meta["model"]["format"], float(m(torch.ones(1, 2))))
"""
    from process_helpers import run_python

    made = run_python(code, project).split()
    assert made[0] == "module"
    # Another process, where Net was never defined, still loads it.
    other = run_python(
        "import torch, nbtrack; m = nbtrack.load_model('nb-net'); "
        "print(float(m(torch.ones(1, 2))))",
        project,
    )
    assert float(other) == pytest.approx(float(made[1]))


def test_anything_picklable_falls_back_to_cloudpickle(project: Path) -> None:
    version = nbtrack.log_model(lambda x: x * 2, "double")
    assert version.meta["model"]["flavor"] == "cloudpickle"
    assert nbtrack.load_model("double")(21) == 42


def test_an_explicit_flavor_is_used_and_an_unknown_one_refused(project: Path) -> None:
    model, X, _ = _digits_model()
    version = nbtrack.log_model(model, "lr-pickled", flavor="cloudpickle")
    assert version.meta["model"]["flavor"] == "cloudpickle"
    assert (nbtrack.load_model("lr-pickled").predict(X) == model.predict(X)).all()
    with pytest.raises(ModelError, match="unknown model flavor 'onnx'.*sklearn, pytorch"):
        nbtrack.log_model(model, "x", flavor="onnx")


def test_a_run_reference_loads_the_model_that_run_logged(backend: str, project: Path) -> None:
    model, X, _ = _digits_model()
    with nbtrack.start_run(name="train") as one:
        nbtrack.log_model(model, "digits-lr")
    with nbtrack.start_run(name="train") as two:
        nbtrack.log_model(model, "copy-a", flavor="cloudpickle")
        nbtrack.log_model({"w": 1}, "copy-b")
    assert (nbtrack.load_model(one.ref).predict(X) == model.predict(X)).all()
    with pytest.raises(ModelError, match=r"several models \(copy-a:v1, copy-b:v1\)"):
        nbtrack.load_model(two.ref)
    with nbtrack.start_run(name="empty") as empty:
        pass
    with pytest.raises(ModelError, match="logged no model"):
        nbtrack.load_model(empty.ref)
    with pytest.raises(ModelError, match="no model, registered model or run matches 'nope'"):
        nbtrack.load_model("nope")


def test_loading_records_an_input_edge_of_the_active_run(project: Path) -> None:
    model, _, _ = _digits_model()
    nbtrack.log_model(model, "digits-lr")
    with nbtrack.start_run(name="evaluate") as run:
        nbtrack.load_model("digits-lr:v1")
    assert [v.ref for v in nbtrack.get_run(run.ref).inputs] == ["digits-lr:v1"]


def test_another_major_library_version_warns_naming_both(project: Path) -> None:
    model, _, _ = _digits_model()
    version = nbtrack.log_model(model, "digits-lr")
    from nbtrack.artifacts.context import context_for
    from nbtrack.store.artifact_tables import artifact_versions as V

    meta = dict(version.meta)
    meta["model"] = {**meta["model"], "libraries": {"scikit-learn": "0.24.2"}}
    with context_for().store.writing() as conn:
        conn.execute(sa.update(V).where(V.c.id == version.id).values(meta=json.dumps(meta)))
    import sklearn

    with pytest.warns(ModelVersionWarning) as caught:
        nbtrack.load_model("digits-lr")
    text = str(caught[0].message)
    assert "scikit-learn 0.24.2" in text and f"scikit-learn {sklearn.__version__}" in text
    # The same major version loads quietly.
    meta["model"]["libraries"] = {"scikit-learn": sklearn.__version__.split(".")[0] + ".0.0"}
    with context_for().store.writing() as conn:
        conn.execute(sa.update(V).where(V.c.id == version.id).values(meta=json.dumps(meta)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)
        nbtrack.load_model("digits-lr")


def test_a_container_built_empty_without_args_is_saved_whole(project: Path) -> None:
    # nn.Sequential() builds with no arguments, but empty: its state_dict alone could
    # not be loaded back, so the module is saved whole.
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
    version = nbtrack.log_model(net, "seq")
    assert version.meta["model"]["format"] == "module"
    x = torch.randn(2, 3)
    assert torch.equal(nbtrack.load_model("seq")(x), net(x))


def test_a_keras_model_round_trips_when_keras_is_installed(project: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("keras") is None:  # in the test extra: installed in CI
        pytest.skip("keras is not installed")
    # In a process of its own: Keras (over torch) loaded in the test process breaks
    # the IPython shells later tests make there (their captured output is closed).
    code = """
import os
os.environ["KERAS_BACKEND"] = "torch"  # Keras 3 over the CPU torch of the tests
import keras, numpy as np, nbtrack
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
version = nbtrack.log_model(model, "k")
x = np.ones((1, 4), dtype="float32")
same = np.allclose(nbtrack.load_model("k").predict(x, verbose=0), model.predict(x, verbose=0))
print(version.meta["model"]["flavor"], same)
"""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["keras", "True"]
