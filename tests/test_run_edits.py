"""Tags and notes from Python and the command line, and params set by computation
(`log_params`): what `runs()` shows afterwards, on both store backends."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import nbtrack
from nbtrack.cli_tags import split_changes
from nbtrack.errors import NoActiveRunError
from nbtrack.run_edits import RunEditError, new_tags


def test_new_tags_replaces_adds_and_removes() -> None:
    assert new_tags(["wip", "a"], add=["best"], remove=["wip", "absent"]) == ["a", "best"]
    assert new_tags(["wip"], ["candidate"]) == ["candidate"]
    assert new_tags([], add="one tag") == ["one tag"]  # a string is one tag
    assert new_tags(["x"], add=[" y "]) == ["x", "y"]
    with pytest.raises(RunEditError, match="non-blank"):
        new_tags([], add=["  "])
    with pytest.raises(RunEditError, match="at most 100"):
        new_tags([], [f"t{i}" for i in range(101)])
    with pytest.raises(RunEditError, match="not int"):
        new_tags([], add=[3])  # type: ignore[list-item]


def test_cli_words_split_into_added_and_removed() -> None:
    assert split_changes(["+best", "-wip", "plain", "-", "+"]) == (
        ["best", "plain", "-", "+"],
        ["wip"],
    )


def test_outside_a_run_the_active_run_edits_say_what_to_do(project: object) -> None:
    with pytest.raises(NoActiveRunError, match="get_run"):
        nbtrack.set_tags(["x"])
    with pytest.raises(NoActiveRunError, match="outside a run"):
        nbtrack.log_params(lr=0.1)


def _cli(*args: str, url: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbtrack", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "NBTRACK_STORE": url},
    )


@pytest.mark.slow
def test_tags_and_notes_from_python_and_the_cli_show_in_runs(backend: str) -> None:
    with nbtrack.start_run("train", tags=["wip"]) as run:
        assert nbtrack.set_tags(add=["candidate"]) == ["candidate", "wip"]
        nbtrack.set_notes("first try")
        run.log(loss=1.0)
    df = nbtrack.runs()
    assert df.loc[0, "tags"] == ["candidate", "wip"]
    assert nbtrack.get_run(run.id).notes == "first try"

    got = nbtrack.get_run(run.ref)
    assert got.set_tags(add=["best"], remove=["wip"]) == ["best", "candidate"]
    assert got.tags == ["best", "candidate"]
    got.set_notes("kept")
    assert nbtrack.runs().loc[0, "tags"] == ["best", "candidate"]
    assert nbtrack.get_run(run.ref).notes == "kept"

    out = _cli("tag", run.ref, "+shipped", "-candidate", url=backend)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{run.ref}: best, shipped"
    assert nbtrack.runs(tags="shipped")["ref"].tolist() == [run.ref]
    out = _cli("note", run.ref, "-", url=backend, stdin="from a pipe\nline two")
    assert out.returncode == 0, out.stderr
    assert nbtrack.get_run(run.ref).notes == "from a pipe\nline two"
    assert _cli("note", run.ref, "", url=backend).returncode == 0
    assert nbtrack.get_run(run.ref).notes is None
    bad = _cli("tag", run.ref, "+" + "x" * 201, url=backend)
    assert bad.returncode == 1 and "at most 200 characters" in bad.stderr
    missing = _cli("tag", "train#9", "+x", url=backend)
    assert missing.returncode == 1 and "train#9" in missing.stderr


@pytest.mark.slow
def test_log_params_merges_and_the_last_value_wins(backend: str) -> None:
    with nbtrack.start_run("p", params={"lr": 0.1, "layers": 2}) as run:
        nbtrack.log_params(hidden=128, lr=0.05)
        run.log_params({"opt": {"name": "adam", "beta": 0.9}})
        nbtrack.log_params(hidden=256)
    got = nbtrack.get_run(run.ref)
    assert got.params == {
        "lr": 0.05,
        "layers": 2,
        "hidden": 256,
        "opt.name": "adam",
        "opt.beta": 0.9,
    }
    df = nbtrack.runs()
    assert df.loc[0, "params.hidden"] == 256
    with pytest.raises(NoActiveRunError):
        run.log_params(late=1)
