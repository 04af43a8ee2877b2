"""Snapshots never touch the user's HEAD, index, working tree, branches or stash."""

from __future__ import annotations

from pathlib import Path

from versioning_helpers import git

from nbtrack.versioning import build_snapshot, commit_snapshot, read_snapshot, ref_for_notebook


def _state(repo: Path) -> dict[str, object]:
    """Everything of the user's that a snapshot must leave as it was."""
    index = (repo / ".git" / "index").read_bytes()  # read first: nothing below may write it
    files = {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    return {
        "index": index,
        "HEAD file": (repo / ".git" / "HEAD").read_bytes(),
        "HEAD": git(repo, "rev-parse", "HEAD"),
        "status": git(
            repo, "--no-optional-locks", "status", "--porcelain", "--untracked-files=all"
        ),
        "stash": git(repo, "stash", "list"),
        "refs": [
            line
            for line in git(repo, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
            if not line.startswith("refs/nbtrack/")
        ],
        "work tree": files,
    }


def test_user_repository_is_left_byte_for_byte(user_repo: Path, write_notebook) -> None:
    nb_dir = user_repo / "nb"
    nb_dir.mkdir()
    notebook = write_notebook("repo/nb/train.ipynb")  # untracked, like a new notebook
    git(user_repo, "--no-optional-locks", "status")  # let git settle the index's stat data
    before = _state(user_repo)
    assert "A  new.txt" in before["status"] and "?? untracked.txt" in before["status"]
    assert before["stash"] and any(r.startswith("refs/heads/feature ") for r in before["refs"])

    ref = ref_for_notebook(user_repo, notebook)
    commits = []
    for i in range(2):
        files = build_snapshot(notebook, f"lr = {i}", ["import os", f"lr = {i}"], {"id": f"r{i}"})
        commits.append(commit_snapshot(user_repo, files, ref, f"train#{i}"))
        assert read_snapshot(user_repo, commits[-1]) == files

    assert _state(user_repo) == before
    assert git(user_repo, "for-each-ref", "--format=%(refname)", "refs/nbtrack/").split() == [ref]
    assert git(user_repo, "rev-list", ref).split() == commits[::-1]
    # The snapshot commits are not reachable from any branch, HEAD or stash.
    assert git(user_repo, "branch", "--contains", commits[0]) == ""
