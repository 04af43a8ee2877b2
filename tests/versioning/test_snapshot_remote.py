"""`nbtrack push` / `nbtrack pull`: clones snapshotting the same notebook share
their snapshots through one bare remote with no rejection and no lost commit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from versioning_helpers import git

from nbtrack.versioning import commit_snapshot, read_snapshot, ref_for_notebook
from nbtrack.versioning.remote import CONFIG_KEY, RemoteError, pull, push


def _clone(tmp_path: Path, remote: Path, name: str) -> Path:
    path = tmp_path / name
    git(tmp_path, "clone", "-q", "--no-local", str(remote), str(path))
    git(path, "config", "user.name", name)
    git(path, "config", "user.email", f"{name}@example.com")
    return path


def _snapshot(clone: Path, text: str) -> str:
    ref = ref_for_notebook(clone, clone / "exp" / "train.ipynb")
    return commit_snapshot(clone, {"cell.py": text.encode()}, ref, text)


def _cli(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbtrack", *args],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(path), str(seed))
    (seed / "README").write_text("project\n")
    git(seed, "add", "README")
    git(seed, "-c", "user.name=s", "-c", "user.email=s@x", "commit", "-q", "-m", "init")
    git(seed, "push", "-q", "origin", "HEAD")
    return path


@pytest.mark.slow
def test_three_clones_interleaved_push_pull_lose_nothing(tmp_path: Path, remote: Path) -> None:
    clones = [_clone(tmp_path, remote, n) for n in ("ada", "bob", "cy")]
    made: list[tuple[Path, str]] = []

    def snap(i: int, text: str) -> None:
        made.append((clones[i], _snapshot(clones[i], text)))

    # Every clone snapshots the same notebook; pushes and pulls interleave.
    snap(0, "a1")
    snap(1, "b1")
    assert push(clones[0]).refs == 1
    assert push(clones[1]).refs == 1  # the old single layout rejected this push
    snap(2, "c1")
    pull(clones[2])
    snap(0, "a2")
    assert push(clones[2]).refs == 1
    pull(clones[0])
    snap(1, "b2")
    snap(2, "c2")
    # Through the CLI: exit 0, and a message naming this clone's namespace.
    for clone in clones:
        done = _cli(clone, "push")
        assert done.returncode == 0, done.stderr
        assert "refs/nbtrack-clones/" in done.stdout
    for clone in clones:
        done = _cli(clone, "pull", "origin")
        assert done.returncode == 0, done.stderr

    ids = {git(c, "config", "--get", CONFIG_KEY).strip() for c in clones}
    assert len(ids) == 3  # each clone got its own namespace on the remote
    for clone in clones:
        for _origin, commit in made:
            text = git(clone, "show", "-s", "--format=%s", commit).strip()
            assert read_snapshot(clone, commit) == {"cell.py": text.encode()}
            # reachable from a ref, so `git gc --prune=now` keeps it
            assert git(clone, "for-each-ref", "--contains", commit, "refs/").strip()
        git(clone, "gc", "-q", "--prune=now")
        for _origin, commit in made:
            assert read_snapshot(clone, commit)
    # The remote holds each clone's full history of the notebook's ref.
    heads = git(remote, "for-each-ref", "--format=%(refname)", "refs/nbtrack-clones/").split()
    assert len(heads) == 3 and all(h.endswith("/nb/exp/train.ipynb") for h in heads)
    # Local snapshot refs are untouched by pulls: each clone's own history.
    for i, clone in enumerate(clones):
        ref = ref_for_notebook(clone, clone / "exp" / "train.ipynb")
        log = git(clone, "log", "--format=%s", ref).split()
        assert log == [f"{'abc'[i]}2", f"{'abc'[i]}1"]


def test_pull_fetches_refs_pushed_in_the_old_layout(tmp_path: Path, remote: Path) -> None:
    old, new = _clone(tmp_path, remote, "old"), _clone(tmp_path, remote, "new")
    commit = _snapshot(old, "legacy")
    git(old, "push", "-q", "origin", "refs/nbtrack/*:refs/nbtrack/*")
    assert pull(new).refs == 1
    assert read_snapshot(new, commit) == {"cell.py": b"legacy"}


def test_copied_clone_sharing_an_id_gets_a_clear_error(tmp_path: Path, remote: Path) -> None:
    first = _clone(tmp_path, remote, "first")
    _snapshot(first, "one")
    push(first)
    twin = _clone(tmp_path, remote, "twin")
    git(twin, "config", CONFIG_KEY, git(first, "config", "--get", CONFIG_KEY).strip())
    _snapshot(twin, "two")
    with pytest.raises(RemoteError, match=f"git config {CONFIG_KEY}"):
        push(twin)


@pytest.mark.slow
def test_unknown_remote_name_says_how_to_add_one(tmp_path: Path, remote: Path) -> None:
    clone = _clone(tmp_path, remote, "solo")
    _snapshot(clone, "x")
    done = _cli(clone, "push", "upstream")
    assert done.returncode == 1
    assert "no git remote named 'upstream'" in done.stderr and "remote add" in done.stderr


@pytest.mark.slow
def test_checkout_of_a_run_snapshotted_in_another_clone_works_after_pull(
    tmp_path: Path, remote: Path
) -> None:
    """A team shares one store; Ada's run is checked out in Bob's clone once he pulls."""
    import json

    from nbtrack.store import open_store

    ada, bob = _clone(tmp_path, remote, "ada"), _clone(tmp_path, remote, "bob")
    url = f"sqlite:///{tmp_path / 'team.db'}"
    nb = {"cells": [], "metadata": {"who": "ada"}, "nbformat": 4, "nbformat_minor": 5}
    ref = ref_for_notebook(ada, ada / "train.ipynb")
    commit = commit_snapshot(ada, {"notebook.ipynb": json.dumps(nb).encode()}, ref, "train#1")
    store = open_store(url)
    store.create_run(
        {"id": "01aaaaaaaaaaaaaaaaaaaaaaaa", "experiment": "default", "notebook": "train.ipynb",
         "stem": "train", "status": "finished", "start_time": 1.0, "params": {}, "tags": [],
         "snapshot": commit}
    )  # fmt: skip
    out = tmp_path / "out.ipynb"
    before = _cli(bob, "--store", url, "checkout", "train#1", "-o", str(out))
    assert before.returncode == 1 and "nbtrack pull" in before.stderr
    assert _cli(ada, "push").returncode == 0
    assert _cli(bob, "pull").returncode == 0
    after = _cli(bob, "--store", url, "checkout", "train#1", "-o", str(out))
    assert after.returncode == 0, after.stderr
    assert json.loads(out.read_text())["metadata"]["who"] == "ada"
