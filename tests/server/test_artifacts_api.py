"""The artifact endpoints: versions, one version, lineage, a run's inputs and
outputs; every answer checked against openapi.yaml, unauthenticated calls refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import nbtrack


@pytest.fixture
def lineage_runs(store_url: str, project: Path) -> dict[str, Any]:
    (project / "cfg.txt").write_text("a=1\n")
    with nbtrack.start_run(notebook="prep.ipynb") as prep:
        nbtrack.log_dataset(pd.DataFrame({"x": [1, 2], "<b>": ["<i>", "y"]}), "train-set")
    with nbtrack.start_run(notebook="train.ipynb") as train:
        nbtrack.use_dataset("train-set")
        nbtrack.use_artifact("cfg.txt")
        (project / "model.bin").write_bytes(b"model")
        nbtrack.log_artifact("model.bin", name="model", type="model", aliases=["candidate"])
    (project / "model.bin").write_bytes(b"model 2")
    with nbtrack.start_run(notebook="retrain.ipynb") as retrain:
        nbtrack.log_artifact("model.bin", name="model", type="model", aliases=["candidate"])
    return {"prep": prep.ref, "train": train.ref, "retrain": retrain.ref}


async def test_versions_detail_lineage_and_run_artifacts(
    api: Any, lineage_runs: dict[str, Any]
) -> None:
    listed = (await api("GET", "artifacts")).body["artifacts"]
    refs = [a["ref"] for a in listed]
    assert refs == ["cfg.txt:v1", "model:v1", "model:v2", "train-set:v1"]
    assert listed[2]["aliases"] == ["latest", "candidate"]
    assert listed[1]["made_by"] == lineage_runs["train"]
    only = (await api("GET", "artifacts", params={"name": "model"})).body["artifacts"]
    assert [a["ref"] for a in only] == ["model:v1", "model:v2"]

    detail = (await api("GET", "artifacts", "train-set:v1")).body
    assert detail["meta"]["rows"] == 2 and detail["meta"]["schema"][1]["name"] == "<b>"
    assert [u["run"] for u in detail["used_by"]] == [lineage_runs["train"]]
    # The panel's dataset preview: the first rows as text, columns as logged.
    assert detail["meta"]["preview"]["columns"] == ["x", "<b>"]
    assert detail["meta"]["preview"]["data"] == [[1, "<i>"], [2, "y"]]

    # Who moved `candidate` from v1 to v2, and when.
    moves = (await api("GET", "artifacts", "model:v1")).body["alias_history"]
    assert [(m["alias"], m["from_version"], m["version"], m["run"]) for m in moves] == [
        ("candidate", None, 1, lineage_runs["train"]),
        ("candidate", 1, 2, lineage_runs["retrain"]),
    ]
    assert moves[1]["user"] == nbtrack.get_run(lineage_runs["retrain"]).user
    assert moves[0]["time"] <= moves[1]["time"]

    graph = (await api("GET", "artifacts", "model:v1", "lineage")).body
    assert graph["root"] == "model:v1"
    assert sorted(graph["upstream"]) == ["cfg.txt:v1", "train-set:v1"]
    assert [lineage_runs["prep"], "train-set:v1", "made"] in graph["edges"]

    io = (await api("GET", "runs", lineage_runs["train"], "artifacts")).body
    assert sorted(v["ref"] for v in io["inputs"]) == ["cfg.txt:v1", "train-set:v1"]
    assert [v["ref"] for v in io["outputs"]] == ["model:v1"]


def test_alias_moves_say_where_each_alias_came_from() -> None:
    from nbtrack.artifacts.report import alias_moves

    history = [
        {"alias": "best", "version": 1},
        {"alias": "prod", "version": 1},
        {"alias": "best", "version": 3},
        {"alias": "best", "version": 2},
    ]
    assert [(m["alias"], m["from_version"], m["version"]) for m in alias_moves(history)] == [
        ("best", None, 1),
        ("prod", None, 1),
        ("best", 1, 3),
        ("best", 3, 2),
    ]


async def test_unknown_versions_are_404_and_bad_refs_400(
    api: Any, lineage_runs: dict[str, Any]
) -> None:
    missing = await api("GET", "artifacts", "model:v9")
    assert missing.status == 404 and "has no version 'v9'" in missing.body["message"]
    bad = await api("GET", "artifacts", "model:", "lineage")
    assert bad.status == 400 and "ends with ':'" in bad.body["message"]


async def test_artifact_endpoints_need_authentication(jp_fetch: Any, lineage_runs: Any) -> None:
    from tornado.httpclient import HTTPClientError

    for parts in (("artifacts",), ("artifacts", "model"), ("artifacts", "model", "lineage")):
        with pytest.raises(HTTPClientError) as caught:
            await jp_fetch("nbtrack", "api", *parts, headers={"Authorization": ""})
        assert caught.value.code == 403
