"""GET /runs/{ref}/snapshot and GET /diff on runs snapshotted into a real git repository."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest

import nbtrack
from nbtrack import tracking


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, capture_output=True, check=True)


def _tracked(folder: Path, name: str, lr: float, sources: list[str]) -> Any:
    path = folder / "train.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    run = tracking.begin_run(
        name=name,
        notebook=path,
        params={"lr": lr},
        cell_source=sources[-1],
        snapshot=True,
        history=sources,
    )
    nbtrack.log(loss=lr * 10)
    tracking.end_run(run)
    return run


@pytest.fixture
def snapshotted(project: Path, store_url: str) -> dict[str, Any]:
    _git(project, "init", "-q", "-b", "main")
    _git(project, "config", "user.name", "Ada")
    _git(project, "config", "user.email", "ada@example.com")
    first = _tracked(project, "first", 0.1, ["import math", "lr = 0.1\nprint(lr)"])
    second = _tracked(project, "second", 0.01, ["import math", "lr = 0.01\nprint(lr * 2)"])
    with nbtrack.start_run(name="bare"):
        nbtrack.log(loss=1.0)
    assert nbtrack.get_run("first").snapshot and nbtrack.get_run("second").snapshot
    return {"first": first, "second": second}


async def test_snapshot_is_the_notebook_as_it_ran(api: Any, snapshotted: Any) -> None:
    reply = await api("GET", "runs", "first", "snapshot")
    assert reply.status == 200
    assert reply.body["commit"] == nbtrack.get_run("first").snapshot
    notebook = reply.body["notebook"]
    assert notebook["nbformat"] == 4
    assert [c["source"] for c in notebook["cells"]] == ["import math", "lr = 0.1\nprint(lr)"]


async def test_a_run_without_snapshot_is_404_saying_why(api: Any, snapshotted: Any) -> None:
    reply = await api("GET", "runs", "bare", "snapshot")
    assert reply.status == 404
    assert "no snapshot" in reply.body["message"]


async def test_snapshot_of_an_unknown_run_is_404(api: Any, snapshotted: Any) -> None:
    assert (await api("GET", "runs", "train#99", "snapshot")).status == 404


async def test_diff_of_two_runs(api: Any, snapshotted: Any) -> None:
    reply = await api("GET", "diff", params={"a": "first", "b": "second"})
    assert reply.status == 200
    body = reply.body
    assert body["params"]["changed"] == {"lr": {"old": 0.1, "new": 0.01}}
    assert body["metrics"]["loss"]["changed"] is True
    assert "print(lr * 2)" in body["cell"]["unified"]
    notebook = body["notebook"]
    assert notebook["base"]["cells"][1]["source"] == "lr = 0.1\nprint(lr)"
    assert notebook["diff"], "nbdime's diff of the notebooks"
    expected = nbtrack.diff("first", "second").to_json()
    assert body == expected


async def test_diff_with_a_run_without_snapshot_still_compares_params(
    api: Any, snapshotted: Any
) -> None:
    reply = await api("GET", "diff", params={"a": "second", "b": "bare"})
    assert reply.status == 200
    assert reply.body["notebook"] is None and reply.body["cell"] is None
    assert reply.body["params"]["removed"] == {"lr": 0.01}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"a": "first"}, 400),
        ({"b": "first"}, 400),
        ({"a": "", "b": " "}, 400),
        ({"a": "first", "b": "nobody"}, 404),
    ],
)
async def test_bad_diff_requests(
    api: Any, snapshotted: Any, params: dict[str, str], status: int
) -> None:
    reply = await api("GET", "diff", params=params)
    assert reply.status == status and reply.body["message"]
