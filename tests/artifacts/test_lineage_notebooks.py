"""Lineage across three notebooks (prep → train → evaluate) executed in real
kernels through nbclient, with `%%track` cells, on both store backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from kernels import run_notebook, write_notebook

import nbtrack

pytestmark = pytest.mark.slow

PREP = [
    "%load_ext nbtrack",
    """%%track --name prep
import pandas as pd
from sklearn.datasets import load_digits
digits = load_digits(as_frame=True).frame
train = digits.sample(frac=0.8, random_state=0)
test = digits.drop(train.index)
nbtrack.log_dataset(train, "digits-train")
nbtrack.log_dataset(test, "digits-test")""",
]
TRAIN = [
    "%load_ext nbtrack",
    """%%track --name train
import pickle
from sklearn.linear_model import LogisticRegression
train = nbtrack.use_dataset("digits-train")
cfg = nbtrack.use_artifact("configs/base.txt")
model = LogisticRegression(max_iter=200).fit(train.drop(columns="target"), train["target"])
pickle.dump(model, open("model.pkl", "wb"))
nbtrack.log_artifact("model.pkl", name="digits-model", type="model", aliases=["candidate"])""",
]
EVALUATE = [
    "%load_ext nbtrack",
    """%%track --name evaluate
import pickle
test = nbtrack.use_dataset("digits-test")
model = pickle.load(open(nbtrack.use_artifact("digits-model:candidate"), "rb"))
nbtrack.log(acc=model.score(test.drop(columns="target"), test["target"]))""",
]


def test_lineage_across_prep_train_evaluate(backend: str, project: Path) -> None:
    (project / "configs").mkdir()
    (project / "configs" / "base.txt").write_text("max_iter=200\n")
    for name, cells in (("prep", PREP), ("train", TRAIN), ("evaluate", EVALUATE)):
        run_notebook(write_notebook(project / f"{name}.ipynb", cells))

    graph = nbtrack.lineage("digits-train")
    assert graph.upstream == []
    assert graph.downstream == ["digits-model:v1"]
    text = repr(graph)
    assert "made by prep#1 [prep] (prep.ipynb In[2])" in text
    assert "used by train#1 [train] (train.ipynb In[2])" in text
    assert "made digits-model:v1" in text and "used by evaluate#1" in text

    model = nbtrack.lineage("digits-model:candidate")
    assert sorted(model.upstream) == ["configs/base.txt:v1", "digits-train:v1"]
    assert ("train#1", "digits-model:v1", "made") in model.edges
    assert ("digits-model:v1", "evaluate#1", "used") in model.edges

    train_run = nbtrack.get_run("train#1")
    assert sorted(v.ref for v in train_run.inputs) == ["configs/base.txt:v1", "digits-train:v1"]
    assert [v.ref for v in train_run.outputs] == ["digits-model:v1"]
    users = nbtrack.runs(uses="digits-test:v1")
    assert list(users["name"]) == ["evaluate"]
