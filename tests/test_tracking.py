"""The Python API: log(), start_run(), and the run lifecycle, on both backends."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import nbtrack
from nbtrack import tracking
from nbtrack.errors import MetricValueError, NbtrackError, NoActiveRunError


def test_log_outside_a_run_says_how_to_start_one(project: Path) -> None:
    with pytest.raises(NoActiveRunError, match=r"%%track.*start_run"):
        nbtrack.log(loss=1.0)
    assert isinstance(NoActiveRunError("x"), NbtrackError)


def test_start_run_records_params_tags_and_points(backend: str) -> None:
    with nbtrack.start_run(
        name="baseline",
        params={"lr": 0.1, "cfg": {"opt": "adam"}},
        tags=["cnn", "cnn", "a"],
        notes="first",
    ) as run:
        for step in range(500):
            nbtrack.log(loss=1 / (step + 1), acc=step / 500)
    got = nbtrack.get_run("baseline")
    assert got.id == run.id and got.status == "finished"
    assert got.params == {"lr": 0.1, "cfg.opt": "adam"}
    assert got.tags == ["a", "cnn"] and got.notes == "first"
    assert got.metrics["loss"]["count"] == 500 and got.metrics["loss"]["last"] == 1 / 500
    assert got.metrics["acc"]["max"] == 499 / 500
    assert got.history("loss")["step"].tolist() == list(range(500))


def test_steps_count_per_key_and_follow_explicit_steps(backend: str) -> None:
    with nbtrack.start_run() as run:
        nbtrack.log(loss=1.0)
        nbtrack.log(loss=2.0, acc=0.5)
        nbtrack.log({"loss": 3.0}, step=10)
        nbtrack.log(loss=4.0)
        run.log(acc=0.7)
    h = nbtrack.history(run.id)
    steps = {k: g["step"].tolist() for k, g in h.groupby("key")}
    assert steps == {"loss": [0, 1, 10, 11], "acc": [0, 1]}


def test_log_accepts_numpy_scalars_ints_and_bools(backend: str) -> None:
    import numpy as np

    with nbtrack.start_run() as run:
        nbtrack.log(a=np.float32(0.5), b=np.int64(3), c=True, d=7, e=np.array(2.5))
    metrics = nbtrack.get_run(run.id).metrics
    assert {k: v["last"] for k, v in metrics.items()} == {
        "a": 0.5,
        "b": 3.0,
        "c": 1.0,
        "d": 7.0,
        "e": 2.5,
    }


@pytest.mark.parametrize("bad", ["0.5", None, [1.0, 2.0], {"x": 1}, b"1"])
def test_non_numeric_metric_is_an_error_naming_the_key(project: Path, bad: object) -> None:
    with nbtrack.start_run() as run:
        nbtrack.log(fine=1.0)
        with pytest.raises(MetricValueError, match="'val_loss' must be a real number"):
            nbtrack.log(val_loss=bad)
    assert nbtrack.get_run(run.id).metrics["fine"]["count"] == 1


def test_bad_step_and_bad_data_are_errors(project: Path) -> None:
    with nbtrack.start_run():
        with pytest.raises(MetricValueError, match="step= must be an integer"):
            nbtrack.log(loss=1.0, step=1.5)
        with pytest.raises(MetricValueError, match="takes a dict or keywords"):
            nbtrack.log([("loss", 1.0)])  # type: ignore[arg-type]


def test_exception_marks_failed_keeps_points_and_propagates(backend: str) -> None:
    with pytest.raises(ZeroDivisionError):
        with nbtrack.start_run(name="boom") as run:
            nbtrack.log(loss=0.5)
            nbtrack.log(loss=0.25)
            1 / 0  # noqa: B018
    got = nbtrack.get_run("boom")
    assert got.status == "failed" and got.id == run.id
    assert "ZeroDivisionError: division by zero" in got.error
    assert "nbtrack/tracking.py" not in got.error  # the user's frames, not ours
    assert got.metrics["loss"]["count"] == 2


def test_keyboard_interrupt_marks_interrupted(backend: str) -> None:
    with pytest.raises(KeyboardInterrupt):
        with nbtrack.start_run(name="stopped"):
            nbtrack.log(loss=0.5)
            raise KeyboardInterrupt
    got = nbtrack.get_run("stopped")
    assert got.status == "interrupted" and got.metrics["loss"]["count"] == 1


def test_one_run_at_a_time(project: Path) -> None:
    with nbtrack.start_run(name="outer"):
        with pytest.raises(NbtrackError, match="outer is still active"):
            with nbtrack.start_run():
                pass
    assert nbtrack.runs()["name"].tolist() == ["outer"]


def test_logging_into_an_ended_run_is_an_error(project: Path) -> None:
    with nbtrack.start_run() as run:
        pass
    with pytest.raises(NoActiveRunError, match="has ended"):
        run.log(loss=1.0)


def test_param_named_like_a_metric_and_unicode_keys(backend: str) -> None:
    with nbtrack.start_run(name="λ-run", params={"loss": "mse", "températur": 0.7}) as run:
        nbtrack.log(loss=0.1, **{"précision": 0.9})
    df = nbtrack.runs()
    row = df[df["id"] == run.id].iloc[0]
    assert row["params.loss"] == "mse" and row["metrics.loss"] == 0.1
    assert row["params.températur"] == 0.7 and row["metrics.précision"] == 0.9
    assert nbtrack.get_run("λ-run").id == run.id


def test_non_json_params_fall_back_to_repr_and_keep_json_types(backend: str) -> None:
    class Model:
        def __repr__(self) -> str:
            return "Model(depth=3)"

    params = {"model": Model(), "layers": (64, 32), "n": 3, "lr": 0.1, "on": True, "none": None}
    with nbtrack.start_run(params=params) as run:
        pass
    got = nbtrack.get_run(run.id).params
    assert got == {
        "model": "Model(depth=3)",
        "layers": [64, 32],
        "n": 3,
        "lr": 0.1,
        "on": True,
        "none": None,
    }
    assert type(got["n"]) is int


def test_ten_megabyte_param_is_skipped_with_a_warning(backend: str) -> None:
    run = tracking.begin_run(params={"blob": "x" * 10_000_000, "lr": 0.1})
    tracking.end_run(run)
    assert any("'blob' is larger than 64 KB" in w for w in run.warnings)
    assert nbtrack.get_run(run.id).params == {"lr": 0.1}


def test_points_are_flushed_by_the_background_writer_within_half_a_second(backend: str) -> None:
    import time

    from nbtrack.store import open_store

    run = tracking.begin_run()
    nbtrack.log(loss=1.0)
    deadline = time.time() + 0.5
    store = open_store(backend)
    while time.time() < deadline and not store.summaries([run.id]):
        time.sleep(0.02)
    assert store.summaries([run.id])[run.id]["loss"]["count"] == 1
    tracking.end_run(run)


def test_nan_metric_is_kept_not_rejected(project: Path) -> None:
    with nbtrack.start_run() as run:
        nbtrack.log(loss=math.nan)
    assert math.isnan(nbtrack.get_run(run.id).history("loss")["value"][0])
