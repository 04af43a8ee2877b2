"""The issue's workflow through real kernels (nbclient) on both backends: prep
(log_dataset) → train (log_model) → register → evaluate loads `@production` and
records it as its input; lineage from the alias reaches the prep cell."""

from __future__ import annotations

from pathlib import Path

import pytest
from kernels import outputs_text, run_notebook, write_notebook

import nbtrack

pytestmark = pytest.mark.slow

PREP = [
    "%load_ext nbtrack",
    """%%track --name prep
from sklearn.datasets import load_digits
digits = load_digits(as_frame=True).frame
train = digits.sample(frac=0.8, random_state=0)
nbtrack.log_dataset(train, "digits-train")
nbtrack.log_dataset(digits.drop(train.index), "digits-test")""",
]
TRAIN = [
    "%load_ext nbtrack",
    """%%track --name train
from sklearn.neural_network import MLPClassifier
train = nbtrack.use_dataset("digits-train")
X, y = train.drop(columns="target"), train["target"]
model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=60, random_state=0).fit(X, y)
nbtrack.log(train_acc=model.score(X, y))
nbtrack.log_model(model, "digits-mlp", example=X[:5])""",
]
REGISTER = [
    "%load_ext nbtrack",
    """nbtrack.registry.link("digits-mlp:latest", "digits-classifier", aliases=["production"])
print(nbtrack.registry.models()[["model", "version", "aliases", "source"]].to_string())""",
]
EVALUATE = [
    "%load_ext nbtrack",
    """%%track --name evaluate
test = nbtrack.use_dataset("digits-test")
model = nbtrack.load_model("digits-classifier@production")
acc = model.score(test.drop(columns="target"), test["target"])
nbtrack.log(acc=acc)
print("acc", acc)""",
]


def test_prep_train_register_evaluate_and_lineage_from_the_alias(
    backend: str, project: Path
) -> None:
    outputs = {}
    for name, cells in (
        ("prep", PREP),
        ("train", TRAIN),
        ("register", REGISTER),
        ("evaluate", EVALUATE),
    ):
        outputs[name] = outputs_text(run_notebook(write_notebook(project / f"{name}.ipynb", cells)))
    assert "digits-classifier" in outputs["register"] and "production" in outputs["register"]
    acc = float(outputs["evaluate"].split("acc", 1)[1].split()[0])
    assert acc > 0.8  # a real model, really loaded

    evaluate = nbtrack.get_run("evaluate#1")
    assert sorted(v.ref for v in evaluate.inputs) == ["digits-mlp:v1", "digits-test:v1"]
    model = nbtrack.registry.models()
    assert model.loc[0, "run"] == "train#1" and model.loc[0, "flavor"] == "sklearn"
    assert model.loc[0, "metrics.train_acc"] > 0.8

    graph = nbtrack.lineage("digits-classifier@production")
    assert graph.root == "digits-mlp:v1"
    assert graph.upstream == ["digits-train:v1"]
    assert "evaluate#1" in graph.runs  # downstream: the run that loaded it
    text = repr(graph)
    assert "made by train#1 [train] (train.ipynb In[2])" in text
    assert "made by prep#1 [prep] (prep.ipynb In[2])" in text
