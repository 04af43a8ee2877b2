"""`export_runs`: the chosen runs of a store, with everything keyed by them, into
one archive (archive.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import artifacts
from .archive import BUNDLE, ArchiveWriter, TransferError, encode_rows, table_member
from .points import MEMBER as POINTS_MEMBER
from .points import read_groups
from .tables import chunks, run_tables


@dataclass(frozen=True)
class Exported:
    path: Path
    runs: int
    points: int
    snapshots: int
    artifacts: int = 0  # artifact versions (metadata)
    blobs: int = 0  # blobs carried (--with-artifacts)
    blobs_missing: int = 0  # blobs the source storage no longer holds
    snapshots_missing: int = 0  # the runs' snapshot commits project_root's repos lack


def export_runs(
    store_url: str,
    path: str | Path,
    refs: list[str] | None = None,
    *,
    project_root: Path | None = None,
    with_artifacts: bool = False,
    artifact_storage: Any = None,
    bundle: bool = True,
) -> Exported:
    """Write the runs named by ``refs`` (all runs when None) to the archive ``path``.

    With ``project_root``, the runs' notebook snapshots go in too, as a git bundle.
    The artifact versions the runs made or used travel as metadata (artifacts.py);
    ``with_artifacts`` adds their blobs, read from ``artifact_storage`` (default:
    the storage of ``project_root``). With ``bundle=False`` the snapshots are only
    looked for (``snapshots_missing``), not put in the archive.
    """
    from nbtrack import __version__
    from nbtrack.store import open_store
    from nbtrack.store import schema as sch
    from nbtrack.store.migrations import SCHEMA_VERSION

    store = open_store(store_url)
    if refs:
        from nbtrack.query import resolve_ref  # pandas: only when refs need resolving

        ids = list(dict.fromkeys(resolve_ref(r, store=store) for r in refs))
    else:
        with store.reading() as conn:
            ids = [r[0] for r in conn.execute(sa.select(sch.runs.c.id).order_by(sch.runs.c.id))]
    header = {
        "nbtrack_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "created": time.time(),
        "runs": len(ids),
        "origin": _origin(store_url),
    }
    writer = ArchiveWriter(Path(path), header)
    try:
        with store.reading() as conn:
            runs = _rows(conn, sch.runs, sch.runs.c.id, ids)
            writer.add(table_member(sch.runs.name), encode_rows(runs), rows=len(runs))
            env_ids = sorted({r["env_id"] for r in runs if r.get("env_id")})
            envs = _rows(conn, sch.environments, sch.environments.c.id, env_ids)
            writer.add(table_member(sch.environments.name), encode_rows(envs), rows=len(envs))
            for table in run_tables():
                rows = _rows(conn, table, table.c.run_id, ids)
                writer.add(table_member(table.name), encode_rows(rows), rows=len(rows))
            groups = list(read_groups(conn, ids))
            points = sum(g["n"] for g in groups)
            writer.add(table_member(POINTS_MEMBER), encode_rows(groups), points=points)
            art = artifacts.export_rows(conn, ids)
            for name, rows in art.items():
                writer.add(table_member(name), encode_rows(rows), rows=len(rows))
        blobs, missing = 0, 0
        if with_artifacts:
            blobs, missing = _add_blobs(writer, art, artifact_storage, project_root)
        commits = sorted({r["snapshot"] for r in runs if r.get("snapshot")})
        bundled, found = None, 0
        if project_root is not None and commits:
            if bundle:
                bundled = _bundle(project_root, commits)
                found = len(bundled[1]) if bundled else 0
            else:
                found = len(_present(project_root, commits))
        if bundled is not None:
            writer.add(BUNDLE, bundled[0], commits=bundled[1])
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return Exported(
        Path(path), len(runs), points, len(bundled[1]) if bundled else 0,
        len(art["nbtrack_artifact_versions"]), blobs, missing,
        len(commits) - found if project_root is not None else 0,
    )  # fmt: skip


def _add_blobs(
    writer: ArchiveWriter, art: dict[str, list[dict[str, Any]]], storage: Any, root: Path | None
) -> tuple[int, int]:
    """Put the stored versions' blobs in the archive; (added, missing from storage)."""
    hashes = artifacts.blob_hashes(art)
    if not hashes:
        return 0, 0
    if storage is None:
        if root is None:
            raise TransferError(
                "--with-artifacts needs the project whose artifact storage holds the blobs: "
                "run it inside the project (or pass project_root)"
            )
        storage = artifacts.storage_for(root)
    added = missing = 0
    for digest in hashes:
        if not storage.has(digest):
            missing += 1
            continue
        with storage.open(digest) as src:
            writer.add_stream(artifacts.blob_member(digest), src)
        added += 1
    return added, missing


def _origin(store_url: str) -> str:
    """Where the runs come from, for their aliases if renumbered on import: the
    project folder (SQLite store under `.nbtrack/`), the file, or the database name."""
    from nbtrack.store.run_aliases import origin_label

    url = sa.engine.make_url(store_url)
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        return origin_label(
            path.parent.parent.name if path.parent.name == ".nbtrack" else path.stem
        )
    return origin_label(url.database or url.host or "store")


def _rows(conn: sa.Connection, table: sa.Table, key: Any, ids: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    order = list(table.primary_key.columns)
    for part in chunks(ids):
        query = sa.select(table).where(key.in_(part)).order_by(*order)
        out.extend(dict(r._mapping) for r in conn.execute(query))
    return out


def _present(project_root: Path, commits: list[str]) -> set[str]:
    """The ``commits`` some snapshot repository of the project holds."""
    from nbtrack.versioning.gitstore import _repos_for_reading

    found: set[str] = set()
    for repo in _repos_for_reading(Path(project_root)):
        todo = [c for c in commits if c not in found]
        if not todo:
            break
        query = "".join(f"{c}^{{commit}}\n" for c in todo).encode()
        out = repo.run("cat-file", "--batch-check", input=query, check=False).stdout
        for commit, line in zip(todo, out.decode().splitlines(), strict=False):
            if not line.endswith(" missing"):
                found.add(commit)
    return found


def _bundle(project_root: Path, commits: list[str]) -> tuple[bytes, list[str]] | None:
    """A git bundle of the snapshot commits this project's repositories hold."""
    import tempfile

    from nbtrack.versioning.gitstore import _repos_for_reading

    for repo in _repos_for_reading(Path(project_root)):
        have = [
            c
            for c in commits
            if repo.run("cat-file", "-e", f"{c}^{{commit}}", check=False).returncode == 0
        ]
        if not have:
            continue
        refs = [f"refs/nbtrack-export/{c}" for c in have]
        try:
            for ref, commit in zip(refs, have, strict=True):
                repo.run("update-ref", ref, commit)
            with tempfile.TemporaryDirectory(prefix="nbtrack-export-") as tmp:
                out = Path(tmp) / "snapshots.bundle"
                proc = repo.run("bundle", "create", "-q", str(out), *refs, check=False)
                if proc.returncode != 0:
                    raise TransferError(
                        f"git bundle failed: {proc.stderr.decode(errors='replace').strip()}"
                    )
                return out.read_bytes(), have
        finally:
            for ref in refs:
                repo.run("update-ref", "-d", ref, check=False)
    return None
