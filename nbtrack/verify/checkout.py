"""The project's files as they were when a run ran, in a verify's scratch copy.

The scratch copy starts as the project's current files (data and other files git
does not track come from there). Where the run recorded a git commit, the files
git tracks are put back as they were at that commit, files added to git since
are taken out, and the run's uncommitted changes (its recorded diff) are
applied on top. The user's own work tree and index are never touched: the files
are read from git's object store.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

_CUT = "[nbtrack: diff cut at"


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    # `git apply` in the scratch copy must act on it, never on a repository above it
    env["GIT_CEILING_DIRECTORIES"] = str(cwd.parent) if args[0] == "apply" else ""
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=env, check=False)


def _lines(done: subprocess.CompletedProcess) -> set[str]:
    return {line for line in done.stdout.decode("utf-8", "surrogateescape").splitlines() if line}


def files_at_run(target: Path, root: Path, git: dict[str, Any] | None) -> str:
    """Make `target` (a copy of `root`) hold the files of the run's commit and its
    uncommitted changes; says in words what the replay ran against."""
    commit = (git or {}).get("commit")
    if not commit:
        return "the project's current files (the run recorded no git commit)"
    short = str(commit)[:10]
    if _git(["cat-file", "-e", f"{commit}^{{commit}}"], root).returncode != 0:
        return f"the project's current files (commit {short} is not in this repository)"
    prefix = _git(["rev-parse", "--show-prefix"], root).stdout.decode().strip()
    archive = _git(["archive", "--format=tar", f"{commit}:{prefix}" if prefix else commit], root)
    if archive.returncode != 0:
        return f"the project's current files (git could not read commit {short})"
    try:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(target, filter="data")  # refuses links and paths out of it
    except (tarfile.TarError, OSError) as exc:
        return (
            f"the project's current files, partly (git's files at {short} "
            f"could not be written: {exc})"
        )
    then = _lines(_git(["ls-tree", "-r", "--name-only", f"{commit}:{prefix}"], root))
    now = _lines(_git(["ls-files"], root))
    for name in sorted(now - then):  # added to git after the run: not there then
        path = target / name
        if path.is_file() or path.is_symlink():
            path.unlink()
    diff = str((git or {}).get("diff") or "")
    if not (git or {}).get("dirty") or not diff.strip():
        return f"the project's files at commit {short}"
    if _CUT in diff:
        return f"the project's files at commit {short} (its uncommitted diff was cut at 1 MB)"
    if prefix:
        return (
            f"the project's files at commit {short} (its uncommitted changes are not "
            "applied: the project is a subfolder of its repository)"
        )
    with tempfile.NamedTemporaryFile("wb", suffix=".diff", delete=False) as handle:
        handle.write(diff.encode("utf-8", "surrogateescape"))
    try:
        applied = _git(["apply", "--whitespace=nowarn", handle.name], target)
    finally:
        os.unlink(handle.name)
    if applied.returncode != 0:
        why = applied.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        return (
            f"the project's files at commit {short} (its uncommitted changes could not "
            f"be applied: {why[0] if why else 'git apply failed'})"
        )
    return f"the project's files at commit {short} with the run's uncommitted changes"
