"""Where the store lives: project root discovery on real folders and git repos."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nbtrack import NbtrackError
from nbtrack.config import (
    DB_FILENAME,
    STORE_DIRNAME,
    find_git_toplevel,
    find_project_root,
    resolve_project,
)


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder no git repository or .nbtrack/ above it can leak into."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.delenv("NBTRACK_STORE", raising=False)
    folder = (tmp_path / "base").resolve()
    folder.mkdir()
    return folder


def git_init(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    return folder


def mkdirs(*paths: Path) -> None:
    for path in paths:
        path.mkdir(parents=True, exist_ok=True)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# -- find_project_root ----------------------------------------------------------------


def test_plain_folder_is_its_own_root(base: Path) -> None:
    start = base / "a" / "b"
    mkdirs(start)
    assert find_project_root(start) == start


def test_nearest_nbtrack_folder_upward_wins(base: Path) -> None:
    start = base / "a" / "b" / "c"
    mkdirs(start, base / STORE_DIRNAME, base / "a" / STORE_DIRNAME)
    assert find_project_root(start) == base / "a"


def test_nbtrack_in_the_start_folder_itself(base: Path) -> None:
    mkdirs(base / "nb" / STORE_DIRNAME)
    assert find_project_root(base / "nb") == base / "nb"


def test_nbtrack_file_instead_of_folder_does_not_count(base: Path) -> None:
    start = base / "a"
    mkdirs(start)
    (base / STORE_DIRNAME).write_text("not a folder")
    assert find_project_root(start) == start


def test_git_top_level_is_the_root_without_nbtrack(base: Path) -> None:
    repo = git_init(base / "repo")
    start = repo / "notebooks" / "deep"
    mkdirs(start)
    assert find_project_root(start) == repo
    assert find_git_toplevel(start) == repo


def test_nbtrack_inside_the_repo_beats_the_git_top_level(base: Path) -> None:
    repo = git_init(base / "repo")
    start = repo / "sub" / "nb"
    mkdirs(start, repo / "sub" / STORE_DIRNAME)
    assert find_project_root(start) == repo / "sub"


def test_nbtrack_at_the_git_top_level_is_found(base: Path) -> None:
    repo = git_init(base / "repo")
    start = repo / "sub"
    mkdirs(start, repo / STORE_DIRNAME)
    assert find_project_root(start) == repo


def test_nbtrack_above_the_git_top_level_is_not_used(base: Path) -> None:
    mkdirs(base / STORE_DIRNAME)
    repo = git_init(base / "repo")
    start = repo / "sub"
    mkdirs(start)
    assert find_project_root(start) == repo


def test_nested_repo_stops_at_the_inner_top_level(base: Path) -> None:
    outer = git_init(base / "outer")
    mkdirs(outer / STORE_DIRNAME)
    inner = git_init(outer / "vendor" / "inner")
    start = inner / "nbs"
    mkdirs(start)
    assert find_project_root(start) == inner


def test_git_file_of_a_worktree_or_submodule_marks_the_top_level(base: Path) -> None:
    top = base / "wt"
    start = top / "x"
    mkdirs(start)
    (top / ".git").write_text("gitdir: /elsewhere/.git/worktrees/wt\n")
    assert find_project_root(start) == top


def test_relative_start_is_resolved(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mkdirs(base / "p" / STORE_DIRNAME, base / "p" / "q")
    monkeypatch.chdir(base / "p")
    root = find_project_root(Path("q"))
    assert root.is_absolute()
    assert root == base / "p"


# -- resolve_project: the store URL ----------------------------------------------------


def test_default_store_is_sqlite_under_the_root(base: Path) -> None:
    repo = git_init(base / "repo")
    mkdirs(repo / "nbs")
    project = resolve_project(repo / "nbs", environ={})
    assert project.root == repo
    assert project.store_url == sqlite_url(repo / STORE_DIRNAME / DB_FILENAME)
    assert project.settings == {}


def test_start_defaults_to_the_current_directory(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mkdirs(base / "here")
    monkeypatch.chdir(base / "here")
    assert resolve_project(environ={}).root == base / "here"


def test_nbtrack_store_env_var_overrides_everything(base: Path) -> None:
    (base / "pyproject.toml").write_text('[tool.nbtrack]\nstore = "sqlite:////from/pyproject.db"\n')
    url = "postgresql://user@db.example/nbtrack"
    project = resolve_project(base, environ={"NBTRACK_STORE": url})
    assert project.store_url == url
    assert project.root == base


def test_nbtrack_store_env_var_is_read_from_the_process_environment(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", "sqlite:////abs/elsewhere.db")
    assert resolve_project(base).store_url == "sqlite:////abs/elsewhere.db"


def test_empty_nbtrack_store_env_var_falls_back(base: Path) -> None:
    project = resolve_project(base, environ={"NBTRACK_STORE": ""})
    assert project.store_url == sqlite_url(base / STORE_DIRNAME / DB_FILENAME)


def test_pyproject_store_setting_is_used(base: Path) -> None:
    (base / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.nbtrack]\nstore = "postgresql://h/db"\nenv_vars = ["A"]\n'
    )
    project = resolve_project(base, environ={})
    assert project.store_url == "postgresql://h/db"
    assert project.settings == {"store": "postgresql://h/db", "env_vars": ["A"]}


def test_pyproject_relative_sqlite_path_is_relative_to_the_root(base: Path) -> None:
    repo = git_init(base / "repo")
    (repo / "pyproject.toml").write_text('[tool.nbtrack]\nstore = "sqlite:///data/runs.db"\n')
    mkdirs(repo / "nbs" / "deep")
    project = resolve_project(repo / "nbs" / "deep", environ={})
    assert project.store_url == sqlite_url(repo / "data" / "runs.db")


def test_pyproject_absolute_sqlite_path_is_kept(base: Path) -> None:
    (base / "pyproject.toml").write_text('[tool.nbtrack]\nstore = "sqlite:////var/runs.db"\n')
    assert resolve_project(base, environ={}).store_url == "sqlite:////var/runs.db"


def test_pyproject_is_read_at_the_project_root_only(base: Path) -> None:
    repo = git_init(base / "repo")
    sub = repo / "sub"
    mkdirs(sub)
    (sub / "pyproject.toml").write_text('[tool.nbtrack]\nstore = "postgresql://sub/db"\n')
    project = resolve_project(sub, environ={})
    assert project.root == repo
    assert project.store_url == sqlite_url(repo / STORE_DIRNAME / DB_FILENAME)


def test_pyproject_without_nbtrack_table_gives_the_default(base: Path) -> None:
    (base / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    project = resolve_project(base, environ={})
    assert project.settings == {}
    assert project.store_url == sqlite_url(base / STORE_DIRNAME / DB_FILENAME)


def test_malformed_pyproject_is_an_nbtrack_error_naming_the_file(base: Path) -> None:
    (base / "pyproject.toml").write_text("[tool.nbtrack\nstore = \n")
    with pytest.raises(NbtrackError) as info:
        resolve_project(base, environ={})
    assert str(base / "pyproject.toml") in str(info.value)


def test_pyproject_that_is_not_utf8_is_an_nbtrack_error(base: Path) -> None:
    (base / "pyproject.toml").write_bytes(b'[tool.nbtrack]\nstore = "\xff\xfe"\n')
    with pytest.raises(NbtrackError):
        resolve_project(base, environ={})


def test_nbtrack_setting_that_is_not_a_table_is_an_nbtrack_error(base: Path) -> None:
    (base / "pyproject.toml").write_text('[tool]\nnbtrack = "sqlite:///x.db"\n')
    with pytest.raises(NbtrackError, match="must be a table"):
        resolve_project(base, environ={})


def test_tool_key_that_is_not_a_table_is_an_nbtrack_error(base: Path) -> None:
    (base / "pyproject.toml").write_text("tool = 1\n")
    with pytest.raises(NbtrackError):
        resolve_project(base, environ={})


def test_store_setting_that_is_not_a_string_is_an_nbtrack_error(base: Path) -> None:
    (base / "pyproject.toml").write_text("[tool.nbtrack]\nstore = 5\n")
    with pytest.raises(NbtrackError):
        resolve_project(base, environ={})
