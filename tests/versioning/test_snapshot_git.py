"""commit_snapshot / read_snapshot / ref_for_notebook on real git repositories."""

from __future__ import annotations

import multiprocessing
import subprocess
from pathlib import Path

import pytest
from versioning_helpers import git, inside_work_tree

from nbtrack.errors import NbtrackError
from nbtrack.versioning import (
    GitUnavailableError,
    SnapshotNotFoundError,
    commit_snapshot,
    read_snapshot,
    ref_for_notebook,
)

FILES = {
    "cell.py": b"lr = 0.1\n",
    "run.json": b'{"id": "r1"}\n',
    "notebook.ipynb": '{"cells": [], "note": "λ ✓"}\n'.encode(),
    "empty.txt": b"",
    "data/bin/blob.bin": bytes(range(256)) * 4,
}


def test_outside_git_uses_a_private_bare_repository(plain_dir: Path) -> None:
    ref = ref_for_notebook(plain_dir, plain_dir / "train.ipynb")
    first = commit_snapshot(plain_dir, FILES, ref, "train#1")
    private = plain_dir / ".nbtrack" / "snapshots.git"
    assert (private / "HEAD").is_file()
    assert not (plain_dir / ".git").exists()
    assert not inside_work_tree(plain_dir)  # the user's folder did not become a repository
    assert git(private, "rev-parse", "--is-bare-repository").strip() == "true"
    assert read_snapshot(plain_dir, first) == FILES

    second = commit_snapshot(plain_dir, {"cell.py": b"lr = 0.2\n"}, ref, "train#2\n\nbody")
    log = git(private, "log", "--format=%H %P %s", ref).splitlines()
    assert log == [f"{second} {first} train#2", f"{first}  train#1"]
    assert read_snapshot(plain_dir, second) == {"cell.py": b"lr = 0.2\n"}
    assert read_snapshot(plain_dir, first[:10]) == FILES  # abbreviated ids work too


def test_inside_git_writes_the_users_repository(user_repo: Path) -> None:
    sub = user_repo / "notebooks"
    sub.mkdir()
    git(user_repo, "config", "commit.gpgSign", "true")  # signing would fail: never attempted
    git(user_repo, "config", "gpg.program", "false")
    ref = ref_for_notebook(sub, sub / "train.ipynb")
    commit = commit_snapshot(sub, FILES, ref, "train#1")
    assert git(user_repo, "rev-parse", ref).strip() == commit
    assert (
        git(user_repo, "log", "-1", "--format=%an <%ae>", ref).strip()
        == "Ada User <ada@example.com>"
    )
    assert not (sub / ".nbtrack").exists()
    assert read_snapshot(sub, commit) == FILES
    assert read_snapshot(user_repo, commit) == FILES


def test_snapshots_made_before_git_init_stay_readable(plain_dir: Path) -> None:
    old = commit_snapshot(plain_dir, FILES, "refs/nbtrack/session", "before git init")
    git(plain_dir, "init", "-q")
    new = commit_snapshot(plain_dir, {"cell.py": b"y\n"}, "refs/nbtrack/session", "after")
    assert git(plain_dir, "rev-parse", "refs/nbtrack/session").strip() == new
    assert read_snapshot(plain_dir, old) == FILES  # found in .nbtrack/snapshots.git
    assert read_snapshot(plain_dir, new) == {"cell.py": b"y\n"}


def test_refs_can_be_pushed_and_fetched(user_repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(user_repo, "remote", "add", "origin", str(remote))
    ref = ref_for_notebook(user_repo, user_repo / "exp" / "train.ipynb")
    commit = commit_snapshot(user_repo, FILES, ref, "train#1")
    git(user_repo, "push", "-q", "origin", "refs/nbtrack/*")
    assert git(remote, "rev-parse", ref).strip() == commit

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-local", str(remote), str(clone))
    with pytest.raises(SnapshotNotFoundError, match="fetch"):
        read_snapshot(clone, commit)
    git(clone, "fetch", "-q", "origin", "refs/nbtrack/*:refs/nbtrack/*")
    assert read_snapshot(clone, commit) == FILES


@pytest.mark.parametrize(
    "name",
    [
        "train.ipynb",
        "my notebook (v2).ipynb",
        ".hidden/..weird..ipynb",
        "x.lock",
        "a.ipynb.lock",
        "-dash/@{at}~^:?*[brackets]\\.ipynb",
        "Expériences/λ ✓.ipynb",
        "trailing.",
        "per%cent.ipynb",
    ],
)
def test_notebook_refs_are_valid(tmp_path: Path, name: str) -> None:
    ref = ref_for_notebook(tmp_path, tmp_path / name)
    assert ref.startswith("refs/nbtrack/nb/")
    check = subprocess.run(["git", "check-ref-format", ref], capture_output=True)
    assert check.returncode == 0, ref


def test_refs_are_distinct_and_readable(tmp_path: Path) -> None:
    names = ["a b.ipynb", "a_b.ipynb", "a%20b.ipynb", "a..b", "a.b", "A.ipynb", "sub/a.ipynb"]
    refs = [ref_for_notebook(tmp_path, tmp_path / n) for n in names]
    assert len(set(refs)) == len(refs)
    assert ref_for_notebook(tmp_path, tmp_path / "nb" / "train.ipynb") == (
        "refs/nbtrack/nb/nb/train.ipynb"
    )
    assert ref_for_notebook(tmp_path, None) == "refs/nbtrack/session"
    outside = ref_for_notebook(tmp_path / "proj", tmp_path / "elsewhere" / "t.ipynb")
    assert outside.startswith("refs/nbtrack/ext/") and outside.endswith("/elsewhere/t.ipynb")


def test_unknown_commit_is_a_clear_error(plain_dir: Path) -> None:
    commit_snapshot(plain_dir, FILES, "refs/nbtrack/session", "s")
    for bad in ["0" * 40, "deadbeef", "--output=/tmp/x", "HEAD~1 x", ""]:
        with pytest.raises(SnapshotNotFoundError) as info:
            read_snapshot(plain_dir, bad)
        assert isinstance(info.value, NbtrackError)


def test_refs_outside_the_nbtrack_namespace_are_refused(plain_dir: Path) -> None:
    with pytest.raises(ValueError, match="refs/nbtrack/"):
        commit_snapshot(plain_dir, FILES, "refs/heads/main", "no")


def test_no_git_identity_falls_back_to_nbtrack(no_git_identity: Path, tmp_path: Path) -> None:
    repo = tmp_path / "anon"
    repo.mkdir()
    git(repo, "init", "-q")
    probe = subprocess.run(["git", "var", "GIT_AUTHOR_IDENT"], cwd=repo, capture_output=True)
    commit = commit_snapshot(repo, FILES, "refs/nbtrack/session", "s")
    ident = git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", commit).strip()
    if probe.returncode == 0:  # git guessed an identity from the host: it is used
        assert ident.split("|")[0] == probe.stdout.decode().rsplit(">", 1)[0] + ">"
    else:
        assert ident == "nbtrack <nbtrack@localhost>|nbtrack <nbtrack@localhost>"


def test_git_missing_from_path(
    plain_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(GitUnavailableError, match="git was not found on PATH") as info:
        commit_snapshot(plain_dir, FILES, "refs/nbtrack/session", "s")
    assert isinstance(info.value, NbtrackError)
    with pytest.raises(GitUnavailableError):
        read_snapshot(plain_dir, "0" * 40)
    assert not (plain_dir / ".nbtrack").exists()


def _commit_many(root: str, ref: str, tag: str, count: int, barrier) -> list[str]:
    barrier.wait()
    return [
        commit_snapshot(Path(root), {"cell.py": f"{tag} {i}\n".encode()}, ref, f"{tag}{i}")
        for i in range(count)
    ]


@pytest.mark.parametrize("in_git", [False, True])
def test_concurrent_commits_to_one_ref_all_land(tmp_path: Path, in_git: bool) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    if in_git:
        git(root, "init", "-q")
    ref = "refs/nbtrack/nb/train.ipynb"
    count = 8
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as manager, ctx.Pool(2) as pool:
        barrier = manager.Barrier(2)
        jobs = [
            pool.apply_async(_commit_many, (str(root), ref, tag, count, barrier)) for tag in "ab"
        ]
        made = [c for job in jobs for c in job.get(timeout=60)]
    repo = root if in_git else root / ".nbtrack" / "snapshots.git"
    history = git(repo, "log", "--format=%H %P", ref).splitlines()
    assert len(history) == 2 * count
    assert {line.split()[0] for line in history} == set(made)
    # One straight line: every commit but the root has exactly one parent, its predecessor.
    for line, older in zip(history, history[1:] + [None], strict=True):
        parents = line.split()[1:]
        assert parents == ([older.split()[0]] if older else [])
