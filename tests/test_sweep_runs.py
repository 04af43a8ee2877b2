"""Runs made under NBTRACK_SWEEP (what `nbtrack sweep` gives each kernel) are filed
under their sweep, on both store backends, without a kernel."""

from __future__ import annotations

import pandas as pd
import pytest

import nbtrack
from nbtrack.capture.sweep import SWEEP_ENV, SweepContext


def test_runs_of_a_sweep_carry_its_id_trial_and_parameters(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with nbtrack.start_run(name="before"):
        nbtrack.log(loss=1.0)
    for trial, lr in enumerate([0.1, 0.01], 1):
        context = SweepContext("sw-00000001", trial, {"lr": lr, "epochs": 3})
        monkeypatch.setenv(SWEEP_ENV, context.to_env())
        # What the run names itself wins: a cell that reassigns `epochs` ran with 5.
        with nbtrack.start_run(params={"epochs": 5}):
            nbtrack.log(loss=lr)
    monkeypatch.delenv(SWEEP_ENV)

    swept = nbtrack.runs(sweep="sw-00000001")
    assert list(swept["trial"]) == [2, 1]  # newest first
    assert list(swept["params.lr"]) == [0.01, 0.1] and set(swept["params.epochs"]) == {5}
    assert set(swept["sweep"]) == {"sw-00000001"}
    everything = nbtrack.runs()
    assert len(everything) == 3
    before = everything[everything["name"] == "before"].iloc[0]
    assert pd.isna(before["sweep"]) and before["trial"] is pd.NA
    assert len(nbtrack.runs(sweep="sw-ffffffff")) == 0
    run = nbtrack.get_run(swept["name"].iloc[0])
    assert (run.sweep, run.trial) == ("sw-00000001", 2)


def test_a_malformed_sweep_variable_records_the_run_outside_any_sweep_and_says_so(
    project: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SWEEP_ENV, "{not json")
    with nbtrack.start_run(params={"lr": 0.1}) as run:
        nbtrack.log(loss=0.5)
    assert any("NBTRACK_SWEEP is set but" in w and "unset the variable" in w for w in run.warnings)
    recorded = nbtrack.get_run(run.name)
    assert recorded.sweep is None and recorded.params == {"lr": 0.1}
    assert recorded.status == "finished"
