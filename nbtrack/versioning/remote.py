"""Sharing snapshots through a git remote without two clones ever colliding.

Locally every clone keeps writing ``refs/nbtrack/...`` (one ref per notebook,
moved only forward by compare-and-swap). Two clones snapshotting the same
notebook make two diverging histories of that ref, so pushing both to one
remote ref is a non-fast-forward rejection for the second. Instead each clone
pushes to its OWN namespace on the remote::

    refs/nbtrack/nb/train.ipynb  ->  refs/nbtrack-clones/<clone id>/nb/train.ipynb

The clone id (``<user>-<host>-<random>``) lives in the repository's local git
config (``nbtrack.cloneId``); ``git clone`` does not copy it, so every clone
gets its own. Only that clone writes that namespace, and its local refs only
move forward, so its pushes are always fast-forwards. Pulling fetches every
clone's namespace, forced, into ``refs/nbtrack-remote/<remote>/<clone id>/...``
(like remote-tracking branches): never rejected, and every fetched snapshot
stays reachable from a ref, so ``git gc`` keeps it and ``nbtrack diff/checkout/
replay`` find it by commit id. Refs pushed by hand in the old single layout
(``refs/nbtrack/*`` on the remote) are fetched too, under ``.../_legacy/``.
"""

from __future__ import annotations

import getpass
import re
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

from nbtrack.versioning._git import Repo, snapshot_repo
from nbtrack.versioning.errors import GitCommandError, SnapshotError
from nbtrack.versioning.gitstore import REF_PREFIX, _encode_component

#: Where each clone's snapshot refs go on the remote.
CLONES_PREFIX = "refs/nbtrack-clones/"
#: Where fetched snapshot refs go locally (one folder per remote).
FETCHED_PREFIX = "refs/nbtrack-remote/"
LEGACY = "_legacy"
CONFIG_KEY = "nbtrack.cloneId"
DEFAULT_REMOTE = "origin"

_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class RemoteError(SnapshotError):
    """Snapshots could not be pushed to or pulled from a git remote."""


@dataclass(frozen=True)
class Transfer:
    """What a push or pull did: the remote, this clone's id, refs moved."""

    remote: str
    clone_id: str
    refs: int


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-_")[:30] or "x"


def new_clone_id() -> str:
    """``<user>-<host>-<8 hex>``: readable in ``git ls-remote``, unique by the random part."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    return f"{_slug(user)}-{_slug(socket.gethostname().split('.')[0])}-{secrets.token_hex(4)}"


def clone_id(repo: Repo) -> str:
    """This clone's id from the local git config, chosen and stored on first use."""
    proc = repo.run("config", "--local", "--get", CONFIG_KEY, check=False)
    current = proc.stdout.decode().strip()
    if proc.returncode == 0 and current:
        if not _ID_OK.match(current):
            raise RemoteError(
                f"git config {CONFIG_KEY} is {current!r}, which cannot name a ref. "
                f"Set letters, digits, '.', '_' or '-': git config {CONFIG_KEY} {new_clone_id()}"
            )
        return current
    repo.run("config", "--local", CONFIG_KEY, new_clone_id())
    return repo.run("config", "--local", "--get", CONFIG_KEY).stdout.decode().strip()


def _repo(project_root: Path) -> Repo:
    repo = snapshot_repo(Path(project_root), create=False)
    if repo is None:
        raise RemoteError(
            f"{project_root} has no snapshots yet (no git repository and no "
            f".nbtrack/snapshots.git): run a tracked cell first."
        )
    return repo


def _check_remote(repo: Repo, remote: str) -> None:
    if not remote or remote.startswith("-"):
        raise RemoteError(f"{remote!r} is not a git remote name or URL")
    if "/" in remote or ":" in remote or Path(remote).exists():
        return  # a URL or a path: git reports it if it is wrong
    names = repo.run("remote", check=False).stdout.decode().split()
    if remote not in names:
        where = repo.git_dir or repo.cwd
        known = ", ".join(names) or "none"
        raise RemoteError(
            f"the repository holding the snapshots ({where}) has no git remote named "
            f"{remote!r} (remotes: {known}). Pass a URL or path instead, or add one: "
            f"git {'--git-dir=' + str(repo.git_dir) + ' ' if repo.git_dir else ''}"
            f"remote add {remote} URL"
        )


def _fetched_prefix(remote: str) -> str:
    return f"{FETCHED_PREFIX}{_encode_component(remote)}/"


def _count(repo: Repo, prefix: str) -> int:
    return len(repo.run("for-each-ref", "--format=%(refname)", prefix).stdout.split())


def push(project_root: Path, remote: str = DEFAULT_REMOTE) -> Transfer:
    """Push this clone's snapshot refs to its own namespace on ``remote``."""
    repo = _repo(project_root)
    _check_remote(repo, remote)
    me = clone_id(repo)
    refs = _count(repo, REF_PREFIX)
    if refs == 0:
        return Transfer(remote, me, 0)
    spec = f"{REF_PREFIX}*:{CLONES_PREFIX}{me}/*"
    proc = repo.run("push", "--porcelain", "--no-verify", remote, spec, check=False)
    if proc.returncode != 0:
        text = (proc.stdout + proc.stderr).decode(errors="replace").strip()
        if "non-fast-forward" in text or "[rejected]" in text or "fetch first" in text:
            raise RemoteError(
                f"{remote} refused the snapshots of clone {me!r}: its refs there are not "
                f"ancestors of this clone's. Another copy of this repository (copied rather "
                f"than cloned?) pushes under the same id. Give this clone its own id and "
                f"push again: git config {CONFIG_KEY} {new_clone_id()}"
            )
        raise GitCommandError(f"git push {remote} failed: {text}")
    return Transfer(remote, me, refs)


def pull(project_root: Path, remote: str = DEFAULT_REMOTE) -> Transfer:
    """Fetch every clone's snapshots from ``remote`` (forced, into
    ``refs/nbtrack-remote/<remote>/``), plus refs pushed in the old layout."""
    repo = _repo(project_root)
    _check_remote(repo, remote)
    me = clone_id(repo)
    local = _fetched_prefix(remote)
    specs = [f"+{CLONES_PREFIX}*:{local}*", f"+{REF_PREFIX}*:{local}{LEGACY}/*"]
    proc = repo.run("fetch", "--no-tags", "--quiet", remote, *specs, check=False)
    if proc.returncode != 0:
        text = proc.stderr.decode(errors="replace").strip()
        raise GitCommandError(f"git fetch {remote} failed: {text}")
    return Transfer(remote, me, _count(repo, local))
