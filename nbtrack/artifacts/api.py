"""The public artifact API: log_artifact, log_dataset, use_artifact, use_dataset,
set_alias. Each records a made-by ("out") or used-by ("in") edge for the active
run and its tracked cell."""

from __future__ import annotations

import os
import stat as stat_mod
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .context import ArtifactContext, active_run, context_for, current_cell
from .errors import ArtifactError
from .manifest import Entry, entries_of, manifest_bytes, manifest_hash, scan_raw, stat_digest
from .names import check_name
from .records import Version, add_edge, record_version, resolve
from .records import set_alias as _set_alias

if TYPE_CHECKING:
    import pandas as pd


def _missing(path: Path) -> ArtifactError:
    return ArtifactError(
        f"no file or folder at {path} (relative paths start at {Path.cwd()}): check the "
        "path, or log the file first"
    )


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _hash_entries(ctx: ArtifactContext, entries: list[Entry], store: bool, prefix: str) -> None:
    """Fill in each file entry's hash: from the stat cache when its stat is
    unchanged, else by reading it (storing the blob on the way, for a local store
    when `store`)."""
    from .blobstore import LocalBlobs
    from .hashing import hash_file

    if not entries:
        return
    files = [e for e in entries if e.link is None]
    known = ctx.cache.lookup_many(prefix) if files else {}
    fresh = []
    store_now = store and isinstance(ctx.blobs, LocalBlobs)
    for e in files:
        assert e.source is not None and e.st is not None
        hit = known.get(e.source)
        if hit is not None and hit[0] == (e.st.st_dev, e.st.st_ino, e.st.st_size, e.st.st_mtime_ns):
            e.hash = hit[1]
            continue
        if store_now:
            e.hash, st = ctx.blobs.put_file(e.source)
        else:
            e.hash, st = hash_file(e.source)
        e.st = st
        e.size = st.st_size
        fresh.append((e.source, st, e.hash))
    ctx.cache.put_many(fresh)


def _store_entries(ctx: ArtifactContext, entries: list[Entry]) -> None:
    """Make sure every file's blob is in the storage (uploading what is missing)."""
    done: set[str] = set()
    for e in entries:
        if e.link is None and e.hash not in done:
            done.add(e.hash)
            if not ctx.blobs.has(e.hash):
                assert e.source is not None
                ctx.blobs.put_file(Path(e.source), e.hash)


def _content(
    ctx: ArtifactContext, path: Path, store: bool, name: str | None = None
) -> tuple[str, str, int, int, dict[str, int], dict[str, Any], list[Entry] | None, bytes | None]:
    """(kind, hash, size, files, blobs, meta, entries, manifest) of a path."""
    st = os.lstat(path)
    if stat_mod.S_ISLNK(st.st_mode):
        entries = [Entry(path.name, 0, 0, link=os.readlink(path))]
        data = manifest_bytes(entries)
        digest = manifest_hash(data)
        return "folder", digest, 0, 1, {digest: len(data)}, {"link": True}, entries, data
    if stat_mod.S_ISDIR(st.st_mode):
        raw = scan_raw(path)
        key, newest = stat_digest(raw)
        cached = ctx.cache.folder_get(str(path), key)
        if cached is not None and (
            not store or (name is not None and _existing_stored(ctx, name, cached[0]))
        ):
            # Not a file touched since its manifest was made, and (when storing) a
            # stored version of that content under this name: nothing to read or build.
            digest, size, files = cached
            return "folder", digest, size, files, {}, {}, None, None
        entries = entries_of(raw)
        _hash_entries(ctx, entries, store, str(path))
        data = manifest_bytes(entries)
        digest = manifest_hash(data)
        blobs = {e.hash: e.size for e in entries if e.link is None}
        blobs[digest] = len(data)
        size = sum(e.size for e in entries if e.link is None)
        ctx.cache.folder_put(str(path), key, newest, (digest, size, len(entries)))
        return "folder", digest, size, len(entries), blobs, {}, entries, data
    if not stat_mod.S_ISREG(st.st_mode):
        raise ArtifactError(f"{path} is not a regular file or folder: log a file or a folder")
    entry = Entry(path.name, st.st_size, stat_mod.S_IMODE(st.st_mode), st=st, source=str(path))
    _hash_entries(ctx, [entry], store, str(path))
    meta = {"filename": path.name, "mode": entry.mode}
    return "file", entry.hash, entry.size, 1, {entry.hash: entry.size}, meta, [entry], None


def _edge(ctx: ArtifactContext, version: Version, direction: str) -> None:
    run = active_run()
    if run is not None:
        add_edge(ctx.store, run.id, version.id, direction, current_cell(run))


def _aliases(ctx: ArtifactContext, version: Version, aliases: Iterable[str] | str) -> None:
    run = active_run()
    for alias in [aliases] if isinstance(aliases, str) else aliases:
        _set_alias(ctx.store, version, alias, run.id if run is not None else None)
        if alias not in version.aliases:
            version.aliases.append(alias)


def log_artifact(
    path: str | os.PathLike[str],
    name: str | None = None,
    type: str = "file",
    aliases: Iterable[str] | str = (),
) -> Version:
    """Store a file or a whole folder as a version of artifact `name` (default: the
    file or folder name). The same content returns the existing version; changed
    content makes v{n+1}. Inside a run, records the run and cell that made it."""
    p = Path(path).expanduser()
    if not os.path.lexists(p):
        raise _missing(p)
    name = check_name(name if name is not None else p.resolve().name)
    if not isinstance(type, str) or not type or len(type) > 64:
        raise ArtifactError(f"artifact type must be a short string like 'model', not {type!r}")
    ctx = context_for()
    p = p.absolute()
    if p.is_symlink() and _inside(p.resolve(), ctx.root):
        p = p.resolve()  # a link within the project: its target is the content
    run = active_run()
    version, _created = store_version(
        ctx, p, name, type, run.id if run is not None else None, current_cell(run)
    )
    _edge(ctx, version, "out")
    _aliases(ctx, version, aliases)
    return version


def store_version(
    ctx: ArtifactContext,
    p: Path,
    name: str,
    type: str,
    run_id: str | None,
    cell: dict[str, Any] | None,
) -> tuple[Version, bool]:
    """Store the file or folder at `p` by hash (unless that content is stored under
    `name` already) and record it as a version of `name` made by `run_id`.
    Returns (version, created)."""
    kind, digest, size, files, blobs, meta, entries, manifest = _content(
        ctx, p, store=True, name=name
    )
    if _existing_stored(ctx, name, digest) is None:
        if entries is not None and kind == "folder":
            _store_entries(ctx, entries)
        elif entries is not None and not ctx.blobs.has(digest):
            ctx.blobs.put_file(p, digest)
        if manifest is not None:
            ctx.blobs.put_bytes(manifest, digest)
    return record_version(
        ctx.store,
        name=name,
        type=type,
        hash=digest,
        kind=kind,
        size=size,
        files=files,
        stored=True,
        meta=meta,
        blobs=blobs,
        run_id=run_id,
        cell=cell,
    )


def _existing_stored(ctx: ArtifactContext, name: str, digest: str) -> Version | None:
    import sqlalchemy as sa

    from ..store.artifact_tables import artifact_versions as V

    with ctx.store.reading() as conn:
        row = conn.execute(
            sa.select(V.c.id).where(V.c.name == name, V.c.hash == digest, V.c.stored)
        ).first()
    return None if row is None else resolve(ctx.store, f"{name}:{digest}")


def log_dataset(
    df: pd.DataFrame, name: str, aliases: Iterable[str] | str = (), type: str = "dataset"
) -> Version:
    """Store a DataFrame as Parquet (pyarrow, zstd): the same frame gives the same
    hash in any process. Keeps its schema, row count and a small preview."""
    from .dataset import dataset_meta, write_parquet

    name = check_name(name)
    if not hasattr(df, "to_parquet") or not hasattr(df, "dtypes"):
        raise ArtifactError(
            f"log_dataset takes a pandas DataFrame, not {df.__class__.__name__}: for a file "
            "or folder use nbtrack.log_artifact(path)"
        )
    ctx = context_for()
    digest, size = ctx.blobs.put_temp(lambda tmp: write_parquet(df, tmp))
    run = active_run()
    version, _ = record_version(
        ctx.store,
        name=name,
        type=type,
        hash=digest,
        kind="dataset",
        size=size,
        files=1,
        stored=True,
        meta=dataset_meta(df),
        blobs={digest: size},
        run_id=run.id if run is not None else None,
        cell=current_cell(run),
    )
    _edge(ctx, version, "out")
    _aliases(ctx, version, aliases)
    return version


def _as_path(ref: Any, ctx: ArtifactContext) -> Path | None:
    if isinstance(ref, os.PathLike):
        p = Path(ref)
        if not os.path.lexists(p):
            raise _missing(p)
        return p
    if isinstance(ref, str) and os.path.lexists(ref):
        return Path(ref)
    return None


def use_artifact(ref_or_path: str | os.PathLike[str]) -> Path:
    """A local path to an artifact version, recorded as an input of the active run.

    A reference (`name`, `name:v2`, `name:latest`, `name:<alias>`,
    `name:<hash prefix>`) is materialized under `.nbtrack/artifacts/checkouts/`.
    A plain file or folder of the project is recorded by its hash (and DVC's,
    if DVC tracks it) and returned as it is: nothing is copied."""
    ctx = context_for()
    path = _as_path(ref_or_path, ctx)
    if path is not None:
        version = _record_input_path(ctx, path)
        _edge(ctx, version, "in")
        return path
    version = resolve(ctx.store, str(ref_or_path))
    _edge(ctx, version, "in")
    return checkout(ctx, version)


def checkout(ctx: ArtifactContext, version: Version, dest: Path | None = None) -> Path:
    """The version's content on disk (at `dest`, or in the project's checkouts)."""
    from .materialize import materialize

    if not version.stored:
        source = ctx.root / version.meta.get("source", version.name)
        if os.path.lexists(source):
            kind, digest, *_ = _content(ctx, source, store=False)
            if digest == version.hash:
                return source
        raise ArtifactError(
            f"{version.ref} was recorded as an input by its hash only (use_artifact of a "
            f"plain path) and {source} no longer holds those bytes: nbtrack cannot restore "
            "it. Use nbtrack.log_artifact(path) to keep a copy of versions you need"
        )
    if dest is None:
        base = (
            ctx.root / ".nbtrack" / "artifacts" / "checkouts" / version.name / f"v{version.version}"
        )
        dest = base / version.meta["filename"] if version.kind == "file" else base
        if version.kind == "dataset":
            dest = base / f"{version.name}.parquet"
    return materialize(ctx.blobs, ctx.cache, version.kind, version.hash, version.meta, dest)


def _record_input_path(ctx: ArtifactContext, path: Path) -> Version:
    absolute = path.absolute()
    if not _inside(absolute, ctx.root):
        raise ArtifactError(
            f"{path} is outside the project ({ctx.root}): use_artifact records project "
            "files by path; store outside files with nbtrack.log_artifact(path, name=...)"
        )
    rel = absolute.relative_to(ctx.root).as_posix()
    kind, digest, size, files, blobs, meta, _entries, _m = _content(ctx, absolute, store=False)
    meta = {**meta, "source": rel}
    from .dvc import dvc_hash

    dvc = dvc_hash(ctx.root, rel)
    if dvc is not None:
        meta["dvc"] = dvc
    version, _ = record_version(
        ctx.store,
        name=rel,
        type="dataset",
        hash=digest,
        kind=kind,
        size=size,
        files=files,
        stored=False,
        meta=meta,
        blobs=blobs,
        run_id=None,
        cell=None,
    )
    return version


def use_dataset(ref: str) -> pd.DataFrame:
    """The DataFrame of a dataset version (`name`, `name:v2`, ...), recorded as an
    input of the active run."""
    import pandas as pd

    ctx = context_for()
    version = resolve(ctx.store, ref)
    if version.kind != "dataset":
        raise ArtifactError(
            f"{version.ref} is a {version.kind}, not a dataset logged with log_dataset: "
            "use nbtrack.use_artifact for it"
        )
    _edge(ctx, version, "in")
    from .blobstore import LocalBlobs

    if isinstance(ctx.blobs, LocalBlobs):
        return pd.read_parquet(ctx.blobs.existing(version.hash))
    with ctx.blobs.open(version.hash) as f:
        return pd.read_parquet(f)


def set_alias(ref: str, alias: str) -> Version:
    """Point `alias` (e.g. 'best', 'candidate') of an artifact at a version; the
    alias moves from any other version and its history is kept."""
    ctx = context_for()
    version = resolve(ctx.store, ref)
    _aliases(ctx, version, alias)
    return version
