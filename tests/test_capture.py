"""What a run records about where it ran: environment and secrets, git state, notebook path."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from nbtrack.capture.environment import (
    DEFAULT_ENV_VARS,
    REDACTED,
    allowed_env_vars,
    capture_environment,
    environment_id,
    is_secret_name,
    redact,
    secret_values,
)
from nbtrack.capture.gitstate import MAX_DIFF_BYTES, git_state
from nbtrack.capture.notebook import detect_notebook_path

# -- secret names -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "API_KEY",
        "aws_secret_access_key",
        "KEY",
        "SSH_KEYFILE",
        "GITHUB_TOKEN",
        "hf_token",
        "TOKENIZERS_TOKEN",
        "CLIENT_SECRET",
        "secret",
        "DB_PASSWORD",
        "PasswordHash",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "credential",
    ],
)
def test_secret_looking_names_are_detected(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["PATH", "HOME", "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "USER", "LANG", ""]
)
def test_ordinary_names_are_not_secret(name: str) -> None:
    assert not is_secret_name(name)


# -- allow-list ---------------------------------------------------------------------


def test_only_allow_listed_variables_are_recorded() -> None:
    env = {
        "CUDA_VISIBLE_DEVICES": "0,1",
        "OMP_NUM_THREADS": "4",
        "HOME": "/home/me",
        "PATH": "/bin",
        "MY_SETTING": "x",
    }
    assert allowed_env_vars(environ=env) == {"CUDA_VISIBLE_DEVICES": "0,1", "OMP_NUM_THREADS": "4"}


def test_extra_names_extend_the_allow_list() -> None:
    env = {"MY_SETTING": "x", "OTHER": "y", "SLURM_JOB_ID": "42"}
    assert allowed_env_vars(["MY_SETTING", "MISSING"], environ=env) == {
        "SLURM_JOB_ID": "42",
        "MY_SETTING": "x",
    }


def test_secret_named_variable_is_never_recorded_even_when_allow_listed() -> None:
    env = {"WANDB_API_KEY": "abcdef123456", "HF_TOKEN": "hf_xyz987654", "MY_SETTING": "x"}
    recorded = allowed_env_vars(["WANDB_API_KEY", "HF_TOKEN", "MY_SETTING"], environ=env)
    assert recorded == {"MY_SETTING": "x"}


def test_allow_list_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_TEST_SETTING", "on")
    monkeypatch.setenv("NBTRACK_TEST_PASSWORD", "hunter2hunter2")
    recorded = allowed_env_vars(["NBTRACK_TEST_SETTING", "NBTRACK_TEST_PASSWORD"])
    assert recorded["NBTRACK_TEST_SETTING"] == "on"
    assert "NBTRACK_TEST_PASSWORD" not in recorded


def test_default_allow_list_has_no_secret_names() -> None:
    assert not any(is_secret_name(n) for n in DEFAULT_ENV_VARS)


# -- secret values and redaction ----------------------------------------------------------


def test_secret_values_are_those_of_secret_names_longest_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Passwords of stores this process opened (other tests) are secrets too: none here.
    from nbtrack.store import urls

    monkeypatch.setattr(urls, "_passwords", set())
    env = {
        "API_KEY": "short1",
        "DB_PASSWORD": "a-much-longer-secret",
        "HOME": "/home/me-long",
        "TOKEN": "1",
    }
    # "1" is too short to redact safely; HOME is not secret.
    assert secret_values(env) == ["a-much-longer-secret", "short1"]


def test_redact_replaces_secrets_in_nested_structures() -> None:
    secrets = ["s3cr3t-value", "tok_123456"]
    value = {
        "cmd": "curl -H 'auth: tok_123456' https://x",
        "args": ["--password", "s3cr3t-value", 3, None, ["deep tok_123456 deep"]],
        "nested": {"k": {"url": "https://u:s3cr3t-value@host"}},
        "s3cr3t-value": "key itself is redacted too",
        "n": 1.5,
    }
    assert redact(value, secrets) == {
        "cmd": f"curl -H 'auth: {REDACTED}' https://x",
        "args": ["--password", REDACTED, 3, None, [f"deep {REDACTED} deep"]],
        "nested": {"k": {"url": f"https://u:{REDACTED}@host"}},
        REDACTED: "key itself is redacted too",
        "n": 1.5,
    }


def test_redact_does_not_change_the_original() -> None:
    value = {"a": ["secret-one"]}
    redact(value, ["secret-one"])
    assert value == {"a": ["secret-one"]}


def test_redact_replaces_every_occurrence_and_the_longest_secret_whole() -> None:
    env = {"A_TOKEN": "abcdef", "B_TOKEN": "abcdef-ghijkl"}
    out = redact("abcdef-ghijkl then abcdef and abcdef", secret_values(env))
    assert out == f"{REDACTED} then {REDACTED} and {REDACTED}"
    assert "ghijkl" not in out


def test_redact_without_secrets_returns_the_value() -> None:
    value = {"a": "b"}
    assert redact(value, []) == {"a": "b"}


# -- capture_environment --------------------------------------------------------------------


def test_capture_environment_describes_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.setenv("NBTRACK_EXTRA_VAR", "yes")
    monkeypatch.setenv("NBTRACK_EXTRA_SECRET", "do-not-store-me")
    env = capture_environment(["NBTRACK_EXTRA_VAR", "NBTRACK_EXTRA_SECRET"])
    assert env["python"] == platform.python_version()
    assert env["platform"] == platform.platform()
    assert env["implementation"] == platform.python_implementation()
    assert env["machine"] == platform.machine()
    assert env["hostname"] == socket.gethostname()
    assert env["cpu_count"] == os.cpu_count()
    assert env["executable"] == sys.executable
    assert isinstance(env["gpu"], list)
    packages = env["packages"]
    assert "pytest" in packages
    assert packages["pytest"] == pytest.__version__
    assert all(name == name.lower() for name in packages)
    assert env["env_vars"]["OMP_NUM_THREADS"] == "3"
    assert env["env_vars"]["NBTRACK_EXTRA_VAR"] == "yes"
    assert "NBTRACK_EXTRA_SECRET" not in env["env_vars"]
    assert "do-not-store-me" not in repr(env)


def test_env_vars_are_read_at_each_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    first = capture_environment()
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    second = capture_environment()
    assert first["env_vars"]["OMP_NUM_THREADS"] == "1"
    assert second["env_vars"]["OMP_NUM_THREADS"] == "8"
    assert environment_id(first) != environment_id(second)


def test_environment_id_is_stable_for_equal_environments() -> None:
    assert environment_id({"a": 1, "b": [2]}) == environment_id({"b": [2], "a": 1})
    assert environment_id({"a": 1}) != environment_id({"a": 2})


# -- git state ------------------------------------------------------------------------------


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Git isolated from the user's configuration, and no repo above tmp_path."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{var}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{var}_EMAIL", "test@example.com")
    return tmp_path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(git_env: Path) -> Path:
    """A repository on branch `main` with one commit of `train.py`."""
    folder = git_env / "repo"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    (folder / "train.py").write_text("lr = 0.1\n")
    git(folder, "add", "train.py")
    git(folder, "commit", "-q", "-m", "first")
    return folder


def test_clean_repo_state(repo: Path) -> None:
    assert git_state(repo) == {
        "commit": git(repo, "rev-parse", "HEAD"),
        "branch": "main",
        "dirty": False,
        "diff": "",
    }


def test_state_from_a_subfolder_of_the_work_tree(repo: Path) -> None:
    sub = repo / "notebooks" / "deep"
    sub.mkdir(parents=True)
    state = git_state(sub)
    assert state is not None
    assert state["commit"] == git(repo, "rev-parse", "HEAD")
    assert state["branch"] == "main"


def test_modified_file_makes_it_dirty_with_the_diff(repo: Path) -> None:
    (repo / "train.py").write_text("lr = 0.5\n")
    state = git_state(repo)
    assert state is not None
    assert state["dirty"] is True
    assert "-lr = 0.1" in state["diff"]
    assert "+lr = 0.5" in state["diff"]
    assert "train.py" in state["diff"]


def test_staged_changes_are_in_the_diff(repo: Path) -> None:
    (repo / "new.py").write_text("added = True\n")
    git(repo, "add", "new.py")
    state = git_state(repo)
    assert state is not None
    assert state["dirty"] is True
    assert "+added = True" in state["diff"]


def test_untracked_files_do_not_make_it_dirty(repo: Path) -> None:
    (repo / "scratch.txt").write_text("notes\n")
    state = git_state(repo)
    assert state is not None
    assert state["dirty"] is False
    assert state["diff"] == ""


def test_other_branch_and_new_commit(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature/x")
    (repo / "train.py").write_text("lr = 0.2\n")
    git(repo, "commit", "-q", "-am", "second")
    state = git_state(repo)
    assert state is not None
    assert state["branch"] == "feature/x"
    assert state["commit"] == git(repo, "rev-parse", "HEAD")
    assert state["dirty"] is False


def test_detached_head_has_no_branch(repo: Path) -> None:
    commit = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "--detach")
    state = git_state(repo)
    assert state is not None
    assert state["branch"] is None
    assert state["commit"] == commit


def test_repo_without_commits(git_env: Path) -> None:
    folder = git_env / "fresh"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    assert git_state(folder) == {"commit": None, "branch": "main", "dirty": False, "diff": ""}


def test_huge_uncommitted_diff_is_cut(repo: Path) -> None:
    (repo / "big.txt").write_text("")
    git(repo, "add", "big.txt")
    git(repo, "commit", "-q", "-m", "big")
    (repo / "big.txt").write_text(("y" * 99 + "\n") * (MAX_DIFF_BYTES // 100 + 1000))
    state = git_state(repo)
    assert state is not None
    assert state["dirty"] is True
    assert state["diff"].endswith("\n[nbtrack: diff cut at 1 MB]\n")
    assert len(state["diff"].encode()) <= MAX_DIFF_BYTES + 100


def test_outside_a_repository_is_none(git_env: Path) -> None:
    folder = git_env / "plain"
    folder.mkdir()
    assert git_state(folder) is None


def test_without_git_on_path_is_none(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert git_state(repo) is None


# -- notebook path --------------------------------------------------------------------------


@pytest.fixture
def nb(tmp_path: Path) -> Path:
    folder = tmp_path / "server" / "nbs"
    folder.mkdir(parents=True)
    path = folder / "train.ipynb"
    path.write_text("{}")
    return path


def test_vscode_notebook_path(nb: Path) -> None:
    found = detect_notebook_path({"__vsc_ipynb_file__": str(nb)}, environ={}, cwd=nb.parent.parent)
    assert found == nb.resolve()


def test_session_variable_absolute(nb: Path) -> None:
    assert detect_notebook_path({"__session__": str(nb)}, environ={}, cwd=Path("/")) == nb.resolve()


def test_session_variable_relative_to_the_notebook_folder(nb: Path) -> None:
    # The kernel starts in the notebook's folder; the session name is relative
    # to the server root.
    found = detect_notebook_path({"__session__": "nbs/train.ipynb"}, environ={}, cwd=nb.parent)
    assert found == nb.resolve()


def test_jpy_session_name_absolute(nb: Path) -> None:
    assert detect_notebook_path({}, environ={"JPY_SESSION_NAME": str(nb)}, cwd=Path("/")) == (
        nb.resolve()
    )


def test_jpy_session_name_relative_to_cwd(nb: Path) -> None:
    server_root = nb.parent.parent
    found = detect_notebook_path(
        None, environ={"JPY_SESSION_NAME": "nbs/train.ipynb"}, cwd=server_root
    )
    assert found == nb.resolve()
    found = detect_notebook_path(None, environ={"JPY_SESSION_NAME": "train.ipynb"}, cwd=nb.parent)
    assert found == nb.resolve()


def test_default_cwd_and_environment_are_the_process_ones(
    nb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(nb.parent)
    monkeypatch.setenv("JPY_SESSION_NAME", "nbs/train.ipynb")
    assert detect_notebook_path() == nb.resolve()


def test_vscode_wins_over_the_session(nb: Path) -> None:
    other = nb.parent / "other.ipynb"
    other.write_text("{}")
    ns = {"__vsc_ipynb_file__": str(other), "__session__": str(nb)}
    assert detect_notebook_path(ns, environ={"JPY_SESSION_NAME": str(nb)}) == other.resolve()


def test_nonexistent_candidates_fall_through_to_an_existing_one(nb: Path) -> None:
    ns = {"__vsc_ipynb_file__": str(nb.parent / "gone.ipynb")}
    assert detect_notebook_path(ns, environ={"JPY_SESSION_NAME": str(nb)}) == nb.resolve()


def test_nonexistent_notebook_is_none(nb: Path) -> None:
    ns = {"__vsc_ipynb_file__": str(nb.parent / "gone.ipynb"), "__session__": "missing.ipynb"}
    env = {"JPY_SESSION_NAME": "nbs/also-missing.ipynb"}
    assert detect_notebook_path(ns, environ=env, cwd=nb.parent.parent) is None


def test_session_names_that_are_not_notebooks_are_ignored(nb: Path) -> None:
    console = nb.parent / "console-1a2b"
    console.write_text("")
    ns = {"__session__": str(console)}
    assert detect_notebook_path(ns, environ={"JPY_SESSION_NAME": str(console)}) is None


def test_non_string_values_are_ignored() -> None:
    ns = {"__vsc_ipynb_file__": None, "__session__": 3}
    assert detect_notebook_path(ns, environ={}) is None


def test_nothing_said_is_none(tmp_path: Path) -> None:
    assert detect_notebook_path({}, environ={}, cwd=tmp_path) is None


def test_jupytext_script_and_markdown_notebooks_are_found(tmp_path: Path) -> None:
    for name in ("paired.py", "doc.md"):
        (tmp_path / name).write_text("")
        found = detect_notebook_path({}, environ={"JPY_SESSION_NAME": name}, cwd=tmp_path)
        assert found == (tmp_path / name).resolve()
