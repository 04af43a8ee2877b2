"""Artifact blobs travelling with `nbtrack push` / `nbtrack pull`.

A team shares one store (PostgreSQL) and snapshots through a git remote, but each
clone keeps its artifact blobs in its own `.nbtrack/artifacts/` — so a teammate
sees a run's artifact versions and cannot read their bytes. The git remote's
*artifact remote* is the shared place they travel through, chosen by (first wins):

1. ``--artifacts URL`` on the command line;
2. ``git config remote.<name>.nbtrackArtifacts URL`` (this clone, one git remote);
3. ``[tool.nbtrack] artifacts_remote = URL`` in pyproject.toml, with
   ``[tool.nbtrack.artifacts_remote_options]`` for fsspec (committed: every clone
   shares it).

A URL is a folder path (relative to the project) or any fsspec URL. `push` uploads
every blob of the store's stored artifact versions that this clone holds and the
artifact remote lacks; `pull` downloads every one this clone lacks and the remote
holds, checking each against its hash. Blobs are content-addressed, so both are
idempotent, and each blob appears whole or not at all (an S3 PUT is atomic; files
are written beside and renamed). When the project's artifact storage is itself
remote (``artifacts = "s3://..."``), every clone already reads and writes it: there
is nothing to carry.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

GIT_KEY = "nbtrackArtifacts"
SETTING = "artifacts_remote"


@dataclass
class BlobSync:
    """What a push or pull did with artifact blobs."""

    remote: str | None  # the artifact remote, masked; None when none is configured
    shared: str | None = None  # the project's own storage, when already remote
    moved: int = 0  # blobs uploaded (push) or downloaded (pull)
    size: int = 0  # their bytes
    present: int = 0  # blobs the receiving side already had
    stranded: int = 0  # push: blobs only here; pull: blobs in no place this clone reaches


def needed_hashes(store_url: str) -> set[str]:
    """Every blob the store's stored artifact versions hold (files and manifests)."""
    from nbtrack.store import artifact_tables as at
    from nbtrack.store import open_store

    url = sa.engine.make_url(store_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return set()  # no store yet: nothing to carry (and none is created for it)
    V, B = at.artifact_versions, at.artifact_blobs
    query = (
        sa.select(B.c.hash)
        .distinct()
        .join(V, V.c.id == B.c.version_id)
        .where(V.c.stored == sa.true())
    )
    with open_store(store_url).reading() as conn:
        return {h for (h,) in conn.execute(query)}


def _is_remote_name(remote: str) -> bool:
    return not ("/" in remote or ":" in remote or Path(remote).exists())


def remote_location(
    root: Path, remote: str, override: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    """The artifact remote (URL, fsspec options) of the git remote ``remote``."""
    from nbtrack.config import read_project_settings
    from nbtrack.errors import NbtrackError
    from nbtrack.versioning._git import snapshot_repo

    settings = read_project_settings(root)
    options = settings.get(f"{SETTING}_options") or {}
    if override:
        return override, options
    if _is_remote_name(remote):
        repo = snapshot_repo(root, create=False)
        if repo is not None:
            proc = repo.run("config", "--get", f"remote.{remote}.{GIT_KEY}", check=False)
            url = proc.stdout.decode().strip()
            if proc.returncode == 0 and url:
                return url, options
    url = settings.get(SETTING)
    if url is None:
        return None
    if not isinstance(url, str) or not url:
        raise NbtrackError(
            f"[tool.nbtrack] {SETTING} in {root / 'pyproject.toml'} must be a path or URL string"
        )
    return url, options


def _open(root: Path, url: str, options: dict[str, Any]) -> Any:
    from nbtrack.artifacts.blobstore import open_blobs

    return open_blobs(root, {"artifacts": url, "artifacts_options": options}, environ={})


def same_storage(a: Any, b: Any) -> bool:
    from nbtrack.artifacts.blobstore import LocalBlobs

    if isinstance(a, LocalBlobs) and isinstance(b, LocalBlobs):
        return a.root.resolve() == b.root.resolve()
    return bool(a.url == b.url)


def _shown(storage: Any) -> str:
    return str(getattr(storage, "shown", storage.url))


def not_configured(remote: str) -> str:
    """How to give ``remote`` an artifact remote (for messages)."""
    git = (
        f"git config remote.{remote}.{GIT_KEY} URL"
        if _is_remote_name(remote)
        else "nbtrack push|pull --artifacts URL"
    )
    return (
        f"no artifact remote for {remote!r}: set one for the team in pyproject.toml "
        f'([tool.nbtrack] {SETTING} = "s3://bucket/prefix" or a shared folder) or for '
        f"this clone ({git})"
    )


def _sides(root: Path, remote: str, override: str | None) -> tuple[Any, Any, BlobSync] | BlobSync:
    """(this clone's storage, the artifact remote, an empty result) — or the final
    result when there is nothing to carry."""
    from .artifacts import storage_for

    local = storage_for(root)
    if local.remote:
        return BlobSync(remote=None, shared=_shown(local))
    where = remote_location(root, remote, override)
    if where is None:
        return BlobSync(remote=None)
    shared = _open(root, *where)
    if same_storage(local, shared):
        return BlobSync(remote=None, shared=_shown(shared))
    return local, shared, BlobSync(remote=_shown(shared))


def push_blobs(root: Path, store_url: str, remote: str, override: str | None = None) -> BlobSync:
    """Upload the blobs this clone holds that the artifact remote lacks (module doc)."""
    from .artifacts import storage_for

    sides = _sides(Path(root), remote, override)
    if isinstance(sides, BlobSync):
        if sides.shared is None:
            local = storage_for(Path(root))
            mine = {h for h, _s, _t in local.list_blobs()}
            sides.stranded = len(mine & needed_hashes(store_url)) if mine else 0
        return sides
    local, shared, done = sides
    here = {h: size for h, size, _t in local.list_blobs()}
    if not here:
        return done  # nothing logged in this clone: the store need not even exist
    needed = needed_hashes(store_url)
    here = {h: size for h, size in here.items() if h in needed}
    there = {h for h, _s, _t in shared.list_blobs()}
    for digest in sorted(here):
        if digest in there:
            done.present += 1
            continue
        shared.put_file(local.path(digest), digest)
        done.moved += 1
        done.size += here[digest]
    return done


def pull_blobs(root: Path, store_url: str, remote: str, override: str | None = None) -> BlobSync:
    """Download the blobs the store needs that this clone lacks and the artifact
    remote holds, each checked against its hash (module doc)."""
    from nbtrack.artifacts.blobstore import LocalBlobs
    from nbtrack.artifacts.errors import ArtifactStorageError

    sides = _sides(Path(root), remote, override)
    needed = needed_hashes(store_url)
    if isinstance(sides, BlobSync):
        if sides.shared is None:
            from .artifacts import storage_for

            have = {h for h, _s, _t in storage_for(Path(root)).list_blobs()}
            sides.stranded = len(needed - have)
        return sides
    local, shared, done = sides
    have = {h for h, _s, _t in local.list_blobs()}
    done.present = len(needed & have)
    there = {h: size for h, size, _t in shared.list_blobs()}
    missing = sorted(needed - have)
    done.stranded = sum(1 for h in missing if h not in there)
    with tempfile.TemporaryDirectory(prefix="nbtrack-pull-") as tmp:
        for digest in missing:
            if digest not in there:
                continue
            if isinstance(shared, LocalBlobs):
                source = shared.existing(digest)
            else:
                source = Path(tmp) / digest
                shared.download(digest, source)
            got, _st = local.put_file(source)
            if source.parent == Path(tmp):
                source.unlink()
            if got != digest:
                raise ArtifactStorageError(
                    f"blob {digest[:12]} in {done.remote} does not hold the bytes its name "
                    f"says (damaged there?): not used. {done.moved} other blob(s) were "
                    f"pulled. Ask whoever logged it to push again (nbtrack push), or "
                    f"delete the damaged copy from {done.remote}"
                )
            done.moved += 1
            done.size += there[digest]
    return done
