"""Fixtures for the versioning tests: real notebooks (nbformat) and real git repositories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from versioning_helpers import git, inside_work_tree, make_notebook


@pytest.fixture
def write_notebook(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str = "train.ipynb", nb: nbformat.NotebookNode | None = None, **kw) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb if nb is not None else make_notebook(**kw), path)
        return path

    return write


@pytest.fixture
def plain_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder that is not inside any git repository."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert not inside_work_tree(root)
    return root


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A user's repository: commits, a branch, a stash, staged and untracked changes."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Ada User")
    git(root, "config", "user.email", "ada@example.com")
    (root / "a.txt").write_text("one\n")
    (root / "b.txt").write_text("bee\n")
    git(root, "add", "a.txt", "b.txt")
    git(root, "commit", "-q", "-m", "first")
    git(root, "branch", "feature")
    (root / "a.txt").write_text("stashed\n")
    git(root, "stash", "-q")
    (root / "a.txt").write_text("staged change\n")
    (root / "new.txt").write_text("staged new file\n")
    git(root, "add", "a.txt", "new.txt")
    (root / "b.txt").write_text("unstaged change\n")
    (root / "untracked.txt").write_text("not added\n")
    return root


@pytest.fixture
def no_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No git identity from config or environment (git itself may still guess one)."""
    home = tmp_path / "empty-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for var in ("EMAIL", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                "GIT_COMMITTER_EMAIL", "GIT_CONFIG", "GIT_CONFIG_COUNT"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    return home
