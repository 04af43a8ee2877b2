"""The integrations inside `%%track` cells of a real notebook (nbclient kernel):
each records into the cell's run; outside a tracked cell, a training that
raises leaves its own run failed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import tiny_models
from kernels import outputs_text, run_notebook, write_notebook

import nbtrack

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent

SETUP = f"""import sys
sys.path.insert(0, {str(HERE)!r})
import tiny_models  # KERAS_BACKEND=torch, HF_HUB_OFFLINE=1
%load_ext nbtrack"""

SKLEARN = """%%track --name sk
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
nbtrack.sklearn.autolog()
X, y = load_iris(return_X_y=True)
LogisticRegression(C=0.25, max_iter=300).fit(X, y)"""

LIGHTNING = """%%track --name lit
trainer = tiny_models.lightning_trainer(nbtrack.lightning.Logger(), ".", epochs=1)
trainer.fit(tiny_models.lightning_module(), tiny_models.lightning_data())"""

# Not tracked: the logger's own run, with test() right after fit() in it, ended
# (finished) with the cell.
LIGHTNING_FIT_TEST = """logger = nbtrack.lightning.Logger(name="fit-test")
trainer = tiny_models.lightning_trainer(logger, ".", epochs=1)
trainer.fit(tiny_models.lightning_module(), tiny_models.lightning_data())
trainer.test(trainer.lightning_module, tiny_models.lightning_data())"""

KERAS = """%%track --name ker
x, y = tiny_models.keras_data()
tiny_models.keras_model().fit(x, y, epochs=2, batch_size=8, verbose=0,
                              callbacks=[nbtrack.keras.Callback()])"""

KERAS_FAILS = """import keras
class Diverge(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise FloatingPointError("loss is nan")
x, y = tiny_models.keras_data()
tiny_models.keras_model().fit(x, y, epochs=3, batch_size=8, verbose=0,
                              callbacks=[nbtrack.keras.Callback(name="kfail"), Diverge()])"""

TRANSFORMERS = """%%track --name hf
trainer = tiny_models.bert_trainer(nbtrack.transformers.Callback(), "out")
trainer.train()"""


def test_integrations_record_into_tracked_cells(project: Path) -> None:
    with_hf = all(importlib.util.find_spec(m) for m in ("transformers", "accelerate"))
    cells = [SETUP, SKLEARN, LIGHTNING, LIGHTNING_FIT_TEST, KERAS, KERAS_FAILS]
    cells += [TRANSFORMERS] if with_hf else []
    nb = run_notebook(write_notebook(project / "frameworks.ipynb", cells), allow_errors=True)
    assert "loss is nan" in outputs_text(nb)

    names = sorted(nbtrack.runs()["name"])
    assert names == sorted(["sk", "lit", "fit-test", "ker", "kfail"] + (["hf"] if with_hf else []))

    sk = nbtrack.get_run("sk")
    assert sk.status == "finished" and sk.params["C"] == 0.25
    assert "LogisticRegression" in sk.tags and "training_score" in sk.metrics

    lit = nbtrack.get_run("lit")
    assert lit.status == "finished" and lit.params["hidden"] == 8
    assert lit.history("train_loss")["step"].tolist() == list(range(8))

    fit_test = nbtrack.get_run("fit-test")  # one run for fit() and test(), ended with the cell
    assert fit_test.status == "finished"
    assert fit_test.metrics["train_loss"]["count"] == 8 and "test_loss" in fit_test.metrics

    ker = nbtrack.get_run("ker")
    assert ker.status == "finished" and ker.params["optimizer.class"] == "Adam"
    assert ker.history("loss")["step"].tolist() == [0, 1]

    kfail = nbtrack.get_run("kfail")  # its own run: no %%track on that cell
    assert kfail.status == "failed" and "loss is nan" in kfail.error
    assert kfail.history("loss")["step"].tolist() == [0, 1]

    if with_hf:
        hf = nbtrack.get_run("hf")
        assert hf.status == "finished" and hf.params["learning_rate"] == 1e-3
        assert hf.history("loss")["step"].tolist() == list(range(1, 9))
        assert tiny_models.HUB_TOKEN.encode() not in tiny_models.stored_bytes(project / ".nbtrack")
