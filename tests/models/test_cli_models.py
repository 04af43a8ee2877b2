"""`nbtrack models`, `nbtrack model show`, `nbtrack model alias` on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nbtrack
from nbtrack.cli import main


@pytest.fixture
def registered(project: Path) -> str:
    with nbtrack.start_run(name="train") as run:
        nbtrack.log(acc=0.9)
        nbtrack.log_model({"w": 1}, "digits-mlp", example=[[1.0, 2.0]])
    nbtrack.log_model({"w": 2}, "digits-mlp")
    nbtrack.registry.link("digits-mlp:v1", "digits-clf", aliases=["production"])
    nbtrack.registry.link("digits-mlp:v2", "digits-clf", aliases=["candidate"])
    return run.ref


def test_models_lists_registered_versions(registered: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "digits-clf" in out and "production" in out and "digits-mlp:v1" in out
    assert registered in out
    assert main(["models", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["version"], r["aliases"], r["run"]) for r in rows] == [
        (1, ["production"], registered),
        (2, ["candidate"], None),
    ]


def test_model_alias_moves_and_show_tells_the_history(
    registered: str, capsys: pytest.CaptureFixture
) -> None:
    assert main(["model", "alias", "digits-clf", "production", "v2"]) == 0
    assert capsys.readouterr().out.strip() == "digits-clf@production: moved from v1 to v2"
    assert main(["model", "show", "digits-clf"]) == 0
    out = capsys.readouterr().out
    assert "production → v2" in out and "production: v1 → v2" in out
    assert f"made by:   {registered} [train]" in out
    assert main(["model", "show", "digits-clf@production", "--format", "json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["ref"] == "digits-mlp:v2" and detail["flavor"] == "cloudpickle"
    assert main(["model", "show", "digits-mlp:v1"]) == 0
    out = capsys.readouterr().out
    assert "input:     builtins.list" in out and registered in out


def test_model_alias_on_a_missing_version_fails_with_a_message(
    registered: str, capsys: pytest.CaptureFixture
) -> None:
    assert main(["model", "alias", "digits-clf", "production", "9"]) == 1
    err = capsys.readouterr().err
    assert "has no version 9 (it has v1..v2)" in err
    assert main(["model", "show", "nothing"]) == 1
    assert "no model, registered model or run matches 'nothing'" in capsys.readouterr().err


def test_lineage_takes_a_registered_alias(registered: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["lineage", "digits-clf@production"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lineage of digits-mlp:v1") and f"made by {registered}" in out
