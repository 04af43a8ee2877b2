"""Snapshots as ordinary git commits on hidden refs (``refs/nbtrack/...``).

Inside a git work tree the project's own repository is used; elsewhere a
private bare repository at ``<project root>/.nbtrack/snapshots.git``. Only
plumbing is used (``hash-object``, ``mktree``, ``commit-tree``, a
compare-and-swap ``update-ref``), so HEAD, the index, the working tree,
branches and the stash are never touched, and ``git log <ref>`` works like for
any other ref. Share snapshots with ``nbtrack push`` / ``nbtrack pull``
(remote.py): each clone pushes to its own namespace on the remote, so two
clones snapshotting one notebook never reject each other's push.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from nbtrack.versioning._git import Repo, identity_env, private_repo, snapshot_repo
from nbtrack.versioning._git import work_tree_repo as _work_tree_repo
from nbtrack.versioning.errors import (
    GitCommandError,
    SnapshotError,
    SnapshotNotFoundError,
)

REF_PREFIX = "refs/nbtrack/"
SESSION_REF = REF_PREFIX + "session"
_NOTEBOOK_REFS = REF_PREFIX + "nb/"
_EXTERNAL_REFS = REF_PREFIX + "ext/"

#: Retry jitter from a private generator: the user's `random` state is recorded
#: at cell start and replayed by `nbtrack verify`, so this thread must not draw from it.
_jitter = random.Random()

#: Attempts at the compare-and-swap ``update-ref`` before giving up.
MAX_ATTEMPTS = 50

_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+=,@")


# --------------------------------------------------------------------------- refs


def _encode_component(name: str) -> str:
    """One path component as a valid, injective ref component (``%XX`` escapes)."""
    out: list[str] = []
    for i, ch in enumerate(name):
        if ch in _SAFE:
            out.append(ch)
        elif ch == "." and 0 < i < len(name) - 1 and name[i - 1] != ".":
            out.append(ch)  # keeps "train.ipynb" readable; no leading/trailing dot, no ".."
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
    encoded = "".join(out)
    if encoded.endswith(".lock"):
        encoded = encoded[: -len(".lock")] + "%2Elock"
    return encoded


def ref_for_notebook(project_root: Path, notebook_path: Path | None) -> str:
    """The hidden ref holding the snapshots of one notebook.

    ``refs/nbtrack/nb/<path relative to the project root>`` (each character
    outside ``[A-Za-z0-9._-+=,@]`` written as ``%XX``, so distinct paths give
    distinct refs), ``refs/nbtrack/ext/<absolute path>`` for a notebook outside
    the project, and ``refs/nbtrack/session`` when there is no notebook.
    """
    if notebook_path is None:
        return SESSION_REF
    root = Path(project_root).resolve()
    path = Path(notebook_path).resolve()
    try:
        parts: tuple[str, ...] = path.relative_to(root).parts
        prefix = _NOTEBOOK_REFS
    except ValueError:
        parts = path.parts[1:]  # drop the anchor ("/" or "C:\\")
        prefix = _EXTERNAL_REFS
    if not parts:
        return SESSION_REF
    return prefix + "/".join(_encode_component(p) for p in parts)


def _check_ref(ref: str) -> None:
    if not ref.startswith(REF_PREFIX) or ref == REF_PREFIX:
        raise ValueError(f"snapshot refs live under {REF_PREFIX}, got {ref!r}")


# --------------------------------------------------------------------------- writing


def _check_path(path: str) -> tuple[str, ...]:
    parts = tuple(path.split("/"))
    if any(p in ("", ".", "..", ".git") or "\0" in p for p in parts):
        raise ValueError(f"invalid path in a snapshot: {path!r}")
    return parts


def _write_blobs(repo: Repo, files: dict[str, bytes]) -> dict[str, str]:
    """Store every file as a blob with a single ``hash-object`` call; path -> sha."""
    names = sorted(files)
    with tempfile.TemporaryDirectory(prefix="nbtrack-snapshot-") as tmp:
        paths = []
        for i, name in enumerate(names):
            p = os.path.join(tmp, str(i))
            with open(p, "wb") as f:
                f.write(files[name])
            paths.append(p)
        proc = repo.run(
            "hash-object", "-w", "--no-filters", "--stdin-paths",
            input=("\n".join(paths) + "\n").encode(),
        )  # fmt: skip
    shas = proc.stdout.decode().split()
    if len(shas) != len(names):
        raise GitCommandError(f"git hash-object returned {len(shas)} ids for {len(names)} files")
    return dict(zip(names, shas, strict=True))


def _write_tree(repo: Repo, blobs: dict[str, str]) -> str:
    """Build (nested) trees with ``mktree``, deepest directories first; root tree sha."""
    entries: dict[tuple[str, ...], list[str]] = {(): []}
    for path, sha in blobs.items():
        parts = _check_path(path)
        for depth in range(1, len(parts)):
            entries.setdefault(parts[:depth], [])
        entries[parts[:-1]].append(f"100644 blob {sha}\t{parts[-1]}")
    tree_sha = ""
    for d in sorted(entries, key=len, reverse=True):
        payload = "".join(e + "\0" for e in entries[d]).encode()
        tree_sha = repo.run("mktree", "-z", input=payload).stdout.decode().strip()
        if d:
            entries[d[:-1]].append(f"040000 tree {tree_sha}\t{d[-1]}")
    return tree_sha  # the root, which sorts last


def _current(repo: Repo, ref: str) -> str | None:
    """The commit ``ref`` points at, or None when it does not exist yet."""
    proc = repo.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    sha = proc.stdout.decode().strip()
    return sha if proc.returncode == 0 and sha else None


def _commit_tree(
    repo: Repo, tree: str, parent: str | None, message: str, env: dict[str, str] | None
) -> tuple[str, dict[str, str] | None]:
    """``commit-tree``; on an identity error retry once with nbtrack's fallback identity."""
    # --no-gpg-sign: a user's commit.gpgSign must not make a snapshot wait for a passphrase.
    args = ["commit-tree", "--no-gpg-sign", tree, *(["-p", parent] if parent else []), "-F", "-"]
    data = message.encode()
    proc = repo.run(*args, input=data, env=env, check=False)
    if proc.returncode != 0 and env is None:
        env = identity_env(repo)
        proc = repo.run(*args, input=data, env=env, check=False)
    if proc.returncode != 0:
        raise GitCommandError(
            f"git commit-tree failed: {proc.stderr.decode(errors='replace').strip()}"
        )
    return proc.stdout.decode().strip(), env


def commit_snapshot(project_root: Path, files: dict[str, bytes], ref: str, message: str) -> str:
    """Commit ``files`` (path in the snapshot -> bytes) on ``ref``; return the commit sha.

    The parent is the ref's current commit. The ref moves by compare-and-swap,
    retried on a race, so concurrent writers to one ref all land, one after the
    other. Raises `GitUnavailableError` without git, `GitCommandError` if git fails.
    """
    _check_ref(ref)
    root = Path(project_root)
    if not root.is_dir():
        raise SnapshotError(f"cannot snapshot into {root}: it is not a directory")
    repo = snapshot_repo(root, create=True)
    assert repo is not None  # create=True always yields a repository
    tree = _write_tree(repo, _write_blobs(repo, files))
    env: dict[str, str] | None = None
    stuck = 0
    for attempt in range(MAX_ATTEMPTS):
        parent = _current(repo, ref)
        commit, env = _commit_tree(repo, tree, parent, message, env)
        proc = repo.run(
            "update-ref", "-m", "nbtrack: snapshot", ref, commit, parent or "", check=False
        )
        if proc.returncode == 0:
            return commit
        error = proc.stderr.decode(errors="replace").strip()
        # Lost a race: another process moved the ref (or holds its lock). Re-parent
        # and retry; but a ref that stays put while we keep failing is a real error.
        stuck = 0 if _current(repo, ref) != parent else stuck + 1
        if stuck >= 5:
            raise GitCommandError(f"git update-ref {ref} failed: {error}")
        time.sleep(_jitter.uniform(0.001, 0.005) * min(attempt + 1, 10))
    raise GitCommandError(
        f"could not move {ref} after {MAX_ATTEMPTS} attempts: other processes kept "
        f"updating it ({error})"
    )


# --------------------------------------------------------------------------- reading


def _repos_for_reading(project_root: Path) -> list[Repo]:
    repos = [r for r in (_work_tree_repo(project_root),) if r is not None]
    private = private_repo(project_root, create=False)
    if private is not None:
        repos.append(private)  # snapshots made before the project became a git repository
    return repos


def _cat_blobs(repo: Repo, shas: list[str]) -> list[bytes]:
    """Contents of many blobs with one ``cat-file --batch`` call, in order."""
    proc = repo.run("cat-file", "--batch", input=("\n".join(shas) + "\n").encode())
    out, pos, blobs = proc.stdout, 0, []
    for sha in shas:
        eol = out.index(b"\n", pos)
        header = out[pos:eol].split()
        if len(header) != 3 or header[1] != b"blob":
            raise GitCommandError(f"git cat-file could not read blob {sha}: {out[pos:eol]!r}")
        size = int(header[2])
        blobs.append(out[eol + 1 : eol + 1 + size])
        pos = eol + 1 + size + 1  # content is followed by a newline
    return blobs


def read_ref_file(project_root: Path, ref: str, path: str) -> bytes | None:
    """One file of the snapshot ``ref`` points at (e.g. the previous run's
    ``run.json``), or None when the ref or the file does not exist yet."""
    _check_ref(ref)
    _check_path(path)
    repo = snapshot_repo(Path(project_root), create=False)
    if repo is None:
        return None
    proc = repo.run("cat-file", "blob", f"{ref}:{path}", check=False)
    return proc.stdout if proc.returncode == 0 else None


def read_snapshot(project_root: Path, commit: str) -> dict[str, bytes]:
    """All files of snapshot ``commit`` (path -> bytes), with two git calls.

    Raises `SnapshotNotFoundError` when no repository of the project has it.
    """
    if not commit or commit.startswith("-") or any(c.isspace() for c in commit):
        raise SnapshotNotFoundError(f"{commit!r} is not a snapshot commit id")
    repos = _repos_for_reading(Path(project_root))
    for repo in repos:
        proc = repo.run("ls-tree", "-r", "-z", "--full-tree", f"{commit}^{{commit}}", check=False)
        if proc.returncode != 0:
            continue
        paths, shas = [], []
        for entry in proc.stdout.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            _mode, kind, sha = meta.split()
            if kind == b"blob":
                paths.append(path.decode("utf-8", "surrogateescape"))
                shas.append(sha.decode())
        return dict(zip(paths, _cat_blobs(repo, shas), strict=True)) if shas else {}
    where = " or ".join(str(r.git_dir or r.cwd) for r in repos) or f"{project_root} (no repository)"
    raise SnapshotNotFoundError(
        f"snapshot {commit} was not found in {where}. It may have been made in another "
        f"clone: fetch it with `nbtrack pull` (or `nbtrack pull REMOTE`)."
    )
