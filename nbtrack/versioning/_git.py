"""Running git: finding the executable, choosing the repository, a commit identity.

Only git plumbing is run from here, and never a command that reads or writes
HEAD, the index, the working tree, branches or the stash.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nbtrack.versioning.errors import GitCommandError, GitUnavailableError

#: Where snapshots go when the project is not inside a git work tree.
PRIVATE_REPO = Path(".nbtrack") / "snapshots.git"

#: Identity used when git has none configured (``git var GIT_AUTHOR_IDENT`` fails).
FALLBACK_NAME = "nbtrack"
FALLBACK_EMAIL = "nbtrack@localhost"

_NO_GIT = (
    "git was not found on PATH, so nbtrack cannot commit notebook snapshots. "
    "Install git (https://git-scm.com/downloads) or add it to PATH; "
    "runs are still recorded, only without a snapshot."
)


def find_git() -> str:
    """Absolute path of the git executable, or `GitUnavailableError`."""
    git = shutil.which("git")
    if git is None:
        raise GitUnavailableError(_NO_GIT)
    return git


@dataclass(frozen=True)
class Repo:
    """A repository nbtrack writes snapshots to.

    ``git_dir`` is set for the private bare repository; for the user's own
    repository git finds it from ``cwd`` (which also handles linked worktrees).
    """

    git: str
    cwd: Path
    git_dir: Path | None = None

    @property
    def private(self) -> bool:
        return self.git_dir is not None

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``git <args>`` in this repository and capture its output."""
        cmd = [self.git]
        if self.git_dir is not None:
            cmd.append(f"--git-dir={self.git_dir}")
        cmd.extend(args)
        try:
            proc = subprocess.run(
                cmd, cwd=self.cwd, input=input, env=env, capture_output=True, check=False
            )
        except OSError as exc:  # deleted or not executable since find_git()
            raise GitUnavailableError(f"{_NO_GIT} ({exc})") from exc
        if check and proc.returncode != 0:
            raise GitCommandError(
                f"`git {' '.join(args[:2])}` failed in {self.git_dir or self.cwd}: "
                f"{proc.stderr.decode(errors='replace').strip()}"
            )
        return proc


def _c_locale() -> dict[str, str]:
    return {**os.environ, "LC_ALL": "C", "LANGUAGE": "C"}


def work_tree_repo(project_root: Path) -> Repo | None:
    """The git repository whose work tree holds ``project_root``, if any."""
    repo = Repo(find_git(), Path(project_root))
    proc = repo.run("rev-parse", "--is-inside-work-tree", env=_c_locale(), check=False)
    if proc.returncode == 0:
        # "false" means project_root is inside a .git directory: not a work tree.
        return repo if proc.stdout.strip() == b"true" else None
    err = proc.stderr.decode(errors="replace")
    if "dubious ownership" in err:
        raise GitCommandError(
            f"git refuses to use the repository holding {project_root} because it is "
            f"owned by another user. If you trust it, run: "
            f"git config --global --add safe.directory '{project_root}'"
        )
    if "not a git repository" in err:
        return None
    raise GitCommandError(f"cannot tell whether {project_root} is in a git repository: {err}")


def private_repo(project_root: Path, *, create: bool) -> Repo | None:
    """The private bare repository under ``.nbtrack/``; created on demand."""
    git = find_git()
    path = Path(project_root).resolve() / PRIVATE_REPO
    if not (path / "HEAD").is_file():
        if not create:
            return None
        _init_bare(git, path)
    return Repo(git, path, git_dir=path)


def _init_bare(git: str, path: Path) -> None:
    """Create a bare repository at ``path`` atomically: kernels may race to create it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".snapshots-", dir=path.parent))
    try:
        Repo(git, path.parent).run("init", "--bare", "--quiet", str(staging))
        try:
            staging.rename(path)
        except OSError:
            if not (path / "HEAD").is_file():
                raise  # not a lost race: a real problem with the folder
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def snapshot_repo(project_root: Path, *, create: bool = True) -> Repo | None:
    """Where snapshots of ``project_root`` live: its git repository, else the private one."""
    return work_tree_repo(project_root) or private_repo(project_root, create=create)


def identity_env(repo: Repo) -> dict[str, str]:
    """Environment for ``commit-tree``: the user's identity, else nbtrack's fallback.

    Each of author and committer falls back on its own, so a user with only
    ``GIT_AUTHOR_NAME``/``EMAIL`` set keeps that author.
    """
    env = dict(os.environ)
    for role in ("AUTHOR", "COMMITTER"):
        if repo.run("var", f"GIT_{role}_IDENT", check=False).returncode != 0:
            env[f"GIT_{role}_NAME"] = FALLBACK_NAME
            env[f"GIT_{role}_EMAIL"] = FALLBACK_EMAIL
    return env
