"""Lightning, Transformers and Keras integrations with real tiny models on CPU,
outside a notebook: each records a run of its own, ended with the training."""

from __future__ import annotations

from pathlib import Path

import pytest
import tiny_models  # sets KERAS_BACKEND=torch and HF_HUB_OFFLINE=1 first

import nbtrack

pytestmark = pytest.mark.slow


def test_lightning_logger_records_hyperparams_steps_and_checkpoint(project: Path) -> None:
    logger = nbtrack.lightning.Logger(name="lit", log_model=True)
    trainer = tiny_models.lightning_trainer(logger, project, epochs=2)
    trainer.fit(tiny_models.lightning_module(), tiny_models.lightning_data())
    # test() right after fit() records into the same run, still open for it.
    assert nbtrack.get_run("lit").status == "running"
    trainer.test(trainer.lightning_module, tiny_models.lightning_data())
    with nbtrack.start_run(name="next"):  # the next run ends it first
        pass
    assert list(nbtrack.runs()["name"]) == ["next", "lit"]
    run = nbtrack.get_run("lit")
    assert run.status == "finished"
    assert run.metrics["test_loss"]["count"] == 1
    assert run.params["lr"] == 0.05 and run.params["hidden"] == 8
    steps = run.history("train_loss")["step"].tolist()
    assert steps == list(range(16))  # 2 epochs x 8 batches, by global step
    assert [(v.name, v.type) for v in run.outputs] == [("model", "model")]
    assert run.outputs[0].meta["filename"].endswith(".ckpt")
    # The checkpoint is a model version with the lightning flavor: it loads back
    # as the LightningModule, with the checkpoint's weights.
    assert run.outputs[0].meta["model"]["flavor"] == "lightning"
    assert run.outputs[0].meta["model"]["class"] == "tiny_models:Tiny"
    module = nbtrack.load_model("model:latest")
    assert isinstance(module, tiny_models.Tiny) and module.hparams.hidden == 8
    import torch

    best = torch.load(trainer.checkpoint_callback.best_model_path, weights_only=False)
    for key, value in best["state_dict"].items():
        assert torch.equal(module.state_dict()[key], value), key
    # The file is the checkpoint as Lightning wrote it: training resumes from it.
    ckpt = nbtrack.use_artifact("model:latest")
    more = tiny_models.lightning_trainer(False, project, epochs=3)
    more.fit(tiny_models.lightning_module(), tiny_models.lightning_data(), ckpt_path=str(ckpt))
    assert more.global_step == 24


LIGHTNING_SCRIPT = """
import tiny_models, nbtrack
trainer = tiny_models.lightning_trainer(nbtrack.lightning.Logger(name="lit"), ".", epochs=1)
trainer.fit(tiny_models.lightning_module(), tiny_models.lightning_data())
trainer.test(trainer.lightning_module, tiny_models.lightning_data())
trainer = tiny_models.lightning_trainer(nbtrack.lightning.Logger(name="again"), ".", epochs=1)
trainer.fit(tiny_models.lightning_module(), tiny_models.lightning_data())
"""


def test_lightning_fit_then_test_in_a_script_is_one_run(project: Path) -> None:
    """A script: fit() and test() in one run; another logger's fit() in a run of
    its own; each finished (the last one by the exit)."""
    _script(LIGHTNING_SCRIPT, project)
    assert sorted(nbtrack.runs()["name"]) == ["again", "lit"]
    lit, again = nbtrack.get_run("lit"), nbtrack.get_run("again")
    assert lit.status == again.status == "finished"
    assert lit.metrics["train_loss"]["count"] == 8 and lit.metrics["test_loss"]["count"] == 1
    assert "test_loss" not in again.metrics and again.metrics["train_loss"]["count"] == 8


def _script(code: str, project: Path) -> str:
    """Run `code` in a Python process of its own in `project`; its stdout."""
    import os
    import subprocess
    import sys

    here = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_lightning_failure_marks_run_failed_and_keeps_points(project: Path) -> None:
    logger = nbtrack.lightning.Logger(name="lit")
    trainer = tiny_models.lightning_trainer(logger, project)
    with pytest.raises(RuntimeError, match="diverged"):
        trainer.fit(tiny_models.lightning_module(fail_at=5), tiny_models.lightning_data())
    run = nbtrack.get_run("lit")
    assert run.status == "failed"
    assert "diverged at step 5" in run.error
    assert run.history("train_loss")["step"].tolist() == [0, 1, 2, 3, 4]


def test_lightning_inside_a_run_attaches_to_it(project: Path) -> None:
    with nbtrack.start_run(name="outer"):
        trainer = tiny_models.lightning_trainer(nbtrack.lightning.Logger(), project, epochs=1)
        trainer.fit(tiny_models.lightning_module(), tiny_models.lightning_data())
        assert nbtrack.active_run() is not None  # the logger did not end it
    assert list(nbtrack.runs()["name"]) == ["outer"]
    run = nbtrack.get_run("outer")
    assert run.status == "finished" and run.params["lr"] == 0.05
    assert run.metrics["train_loss"]["count"] == 8


def test_transformers_callback_records_args_steps_and_no_secret(project: Path) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    callback = nbtrack.transformers.Callback(name="bert", log_model=True)
    trainer = tiny_models.bert_trainer(callback, project / "out")
    trainer.train()
    run = nbtrack.get_run("bert")
    assert run.status == "finished"
    assert run.params["learning_rate"] == 1e-3 and run.params["num_train_epochs"] == 2
    assert "hub_token" not in run.params and "push_to_hub_token" not in run.params
    assert run.params["average_tokens_across_devices"] is True  # a flag, kept
    assert run.history("loss")["step"].tolist() == list(range(1, 9))  # 2 epochs x 4 steps
    assert [(v.name, v.type) for v in run.outputs] == [("model", "model")]
    assert run.outputs[0].meta["model"]["flavor"] == "transformers"
    loaded = nbtrack.load_model("model:latest")  # the trained model, via from_pretrained
    assert type(loaded).__name__ == "BertForSequenceClassification"
    import torch

    trained = trainer.model.state_dict()
    assert all(torch.equal(trained[k], v) for k, v in loaded.state_dict().items())
    assert "BertForSequenceClassification" in run.tags
    assert tiny_models.HUB_TOKEN.encode() not in tiny_models.stored_bytes(project / ".nbtrack")


def test_transformers_failure_marks_run_failed_and_keeps_points(project: Path) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    callback = nbtrack.transformers.Callback(name="bert")
    trainer = tiny_models.bert_trainer(callback, project / "out", fail_at_read=13)
    with pytest.raises(RuntimeError, match="corrupt example at read 13"):
        trainer.train()
    run = nbtrack.get_run("bert")
    assert run.status == "failed" and "corrupt example" in run.error
    done = trainer.state.global_step  # steps finished before the bad read (batches prefetch)
    assert done >= 1
    assert run.history("loss")["step"].tolist() == list(range(1, done + 1))  # none lost
    assert nbtrack.active_run() is None


KERAS_FIT = """
import tiny_models, nbtrack
x, y = tiny_models.keras_data()
model = tiny_models.keras_model()
callback = nbtrack.keras.Callback(name="k", log_batches=True, log_model=True)
model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0, callbacks=[callback])
loaded = nbtrack.load_model("model:latest")
same = (loaded.predict(x, verbose=0) == model.predict(x, verbose=0)).all()
print("loaded", type(loaded).__name__, bool(same))
"""


def test_keras_callback_records_epochs_batches_and_optimizer(project: Path) -> None:
    # The training runs in a process of its own: Keras loaded in the test process
    # closes the captured output of the IPython-shell tests that follow it there.
    out = _script(KERAS_FIT, project)
    # log_model=True logs a keras-flavored version that loads back as the model.
    assert "loaded Sequential True" in out
    run = nbtrack.get_run("k")
    assert run.status == "finished"
    assert run.params["optimizer.class"] == "Adam"
    assert run.params["optimizer.learning_rate"] == pytest.approx(0.01)
    assert run.history("loss")["step"].tolist() == [0, 1, 2]
    assert run.history("val_loss")["step"].tolist() == [0, 1, 2]
    assert run.history("batch/loss")["step"].tolist() == list(range(1, 10))  # 3 x 3 batches
    assert [(v.name, v.type) for v in run.outputs] == [("model", "model")]
    assert run.outputs[0].meta["model"]["flavor"] == "keras"
