"""`import_archive`: load an archive (archive.py) into a store in ONE transaction,
and `copy_runs` from one store to another.

Run ids are kept, so importing twice creates nothing new: runs already in the
target are skipped with everything keyed by them. A run whose ``stem#seq`` is
taken in the target gets a number after every one in use for its stem (a name that
was that reference is renamed with it). Nothing is written unless everything is: the
archive is checked whole first, and a failed import rolls back.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from nbtrack.store.registry_runs import refresh_runs

from . import artifacts
from .archive import BUNDLE, TransferError, decode_rows, read_archive
from .artifacts import ArtifactsImported
from .points import COLUMNS as POINT_COLUMNS
from .points import MEMBER as POINTS_MEMBER
from .points import unpack_group
from .tables import all_tables, chunks, run_tables

_ATTEMPTS = 5


@dataclass
class Imported:
    runs: int = 0
    skipped: int = 0
    points: int = 0
    renumbered: dict[str, str] = field(default_factory=dict)  # old ref -> new ref
    aliases: dict[str, str] = field(default_factory=dict)  # old ref@origin -> run id
    snapshots: int = 0
    artifacts: ArtifactsImported = field(default_factory=ArtifactsImported)
    snapshots_missing: int = 0  # copy: snapshot commits the source project lacks


def import_archive(
    path: str | Path,
    store_url: str,
    *,
    project_root: Path | None = None,
    artifact_storage: Any = None,
) -> Imported:
    """Load the archive at ``path`` into the store ``store_url``; with ``project_root``,
    its snapshot commits go into that project's snapshot repository, and the
    archive's artifact blobs into its artifact storage (or ``artifact_storage``)."""
    from nbtrack.errors import StoreError
    from nbtrack.store import open_store

    manifest, members = read_archive(Path(path))
    tables = {t.name: t for t in all_tables().sorted_tables}
    data: dict[str, list[dict[str, Any]]] = {}
    for name in manifest["members"]:
        if not name.startswith("tables/"):
            continue
        tname = name[len("tables/") : -len(".jsonl")]
        rows = list(decode_rows(members[name]))
        table = tables.get(tname)
        if table is None and tname != POINTS_MEMBER:
            if rows:
                raise _too_new(manifest, f"table {tname}")
            continue
        # Points travel by run id and metric name, not the store's compact keys.
        known = POINT_COLUMNS if table is None else set(table.c.keys())
        extra = {c for r in rows for c in r} - known
        if extra:
            raise _too_new(manifest, f"column(s) {', '.join(sorted(extra))} of {tname}")
        data[tname] = rows
    storage = artifact_storage
    if storage is None and project_root is not None:
        storage = artifacts.storage_for(project_root)
    # Blobs first (content-addressed: one left by a failed import is only garbage for
    # gc), so a version is never committed before its bytes are in place.
    written = artifacts.write_blobs(storage, path, manifest) if storage is not None else 0
    store = open_store(store_url)
    for attempt in range(_ATTEMPTS):
        try:
            with store.writing() as conn:
                done = _load(conn, store, data, manifest.get("origin") or "import")
                done.artifacts, hashes = artifacts.load_rows(conn, store, data)
            break
        except StoreError as exc:
            # A concurrent writer took a run or artifact version number we chose (or
            # logged the same artifact bytes), or an import beside this one wrote the
            # same runs first (PostgreSQL: both found them missing), or the server
            # aborted this import to end a deadlock (with a link of one of its runs,
            # store/registry_metrics.py): nothing was written; again, skipping what
            # is there now.
            cause = str(exc.__cause__)
            deadlock = getattr(getattr(exc.__cause__, "orig", None), "sqlstate", None) == "40P01"
            racing = deadlock or any(
                name in cause
                for name in (
                    "uq_nbtrack_runs_stem_seq",
                    "uq_nbtrack_artifact_versions",
                    "nbtrack_runs_pkey",
                )
            )
            if not racing or attempt == _ATTEMPTS - 1:
                raise
    done.artifacts.blobs = written
    if storage is not None:
        done.artifacts.missing = sum(1 for h in set(hashes) if not storage.has(h))
    else:
        done.artifacts.unchecked = True
        carried = {n[len(artifacts.BLOB_PREFIX) :] for n in manifest["members"]}
        done.artifacts.missing = sum(1 for h in set(hashes) if h not in carried)
    if project_root is not None and BUNDLE in members:
        done.snapshots = _unbundle(Path(project_root), members[BUNDLE])
    return done


def _too_new(manifest: dict[str, Any], what: str) -> TransferError:
    from nbtrack import __version__
    from nbtrack.store.migrations import SCHEMA_VERSION

    return TransferError(
        f"the archive has {what}, which this nbtrack {__version__} (store schema "
        f"{SCHEMA_VERSION}) does not know: it was written by nbtrack "
        f"{manifest.get('nbtrack_version', '?')} (store schema "
        f"{manifest.get('schema_version', '?')}). Upgrade nbtrack to import it."
    )


def _load(
    conn: sa.Connection, store: Any, data: dict[str, list[dict[str, Any]]], origin: str
) -> Imported:
    from nbtrack.refs import ref
    from nbtrack.store import schema as sch
    from nbtrack.store.run_aliases import add_aliases, origin_label

    done = Imported()
    runs = data.get(sch.runs.name, [])
    ids = [r["id"] for r in runs]
    have: set[str] = set()
    for part in chunks(ids):
        have.update(
            r[0] for r in conn.execute(sa.select(sch.runs.c.id).where(sch.runs.c.id.in_(part)))
        )
    new = [r for r in runs if r["id"] not in have]
    done.skipped = len(runs) - len(new)
    if not new:
        return done
    new_ids = {r["id"] for r in new}
    # Sequence numbers: each run keeps its own unless its stem#seq is taken in the
    # target; those that are get numbers after every number in use (target + archive).
    taken: set[tuple[str, int]] = set()
    for stem in {r["stem"] for r in new}:
        query = sa.select(sch.runs.c.seq).where(sch.runs.c.stem == stem)
        taken.update((stem, s) for (s,) in conn.execute(query))
    clash = {r["id"] for r in new if (r["stem"], r["seq"]) in taken}
    taken.update((r["stem"], r["seq"]) for r in new if r["id"] not in clash)
    rows = []
    for r in sorted(new, key=lambda r: (r["start_time"], r["id"])):
        row = dict(r)
        if row["id"] in clash:
            old = ref(row["stem"], row["seq"])
            row["seq"] = max(s for st, s in taken if st == row["stem"]) + 1
            taken.add((row["stem"], row["seq"]))
            if row["name"] == old:
                row["name"] = ref(row["stem"], row["seq"])
            done.renumbered[old] = ref(row["stem"], row["seq"])
            done.aliases[f"{old}@{origin_label(origin)}"] = row["id"]
        rows.append(row)
    envs = data.get(sch.environments.name, [])
    if envs:
        known = set()
        for part in chunks([e["id"] for e in envs]):
            known.update(
                x
                for (x,) in conn.execute(
                    sa.select(sch.environments.c.id).where(sch.environments.c.id.in_(part))
                )
            )
        fresh = [e for e in envs if e["id"] not in known]
        if fresh:
            # Content-addressed: an import running beside this one may add the same
            # row first (archives from one machine); then it is already here.
            insert = store._dialect_insert(sch.environments).on_conflict_do_nothing(
                index_elements=["id"]
            )
            conn.execute(insert, fresh)
    conn.execute(sa.insert(sch.runs), rows)
    # Registry versions here whose (once deleted) run comes back.
    refresh_runs(conn, [r["id"] for r in rows])
    for table in run_tables():
        part_rows = [r for r in data.get(table.name, []) if r["run_id"] in new_ids]
        if part_rows:
            conn.execute(sa.insert(table), part_rows)
    groups = [g for g in data.get(POINTS_MEMBER, []) if g["run_id"] in new_ids]
    done.points = _load_points(conn, store, groups)
    add_aliases(conn, done.aliases)
    done.runs = len(rows)
    return done


def _load_points(conn: sa.Connection, store: Any, groups: list[dict[str, Any]]) -> int:
    """Insert the points of ``groups`` (points.py) with one executemany of plain
    tuples: no per-point dict, the driver's own parameter style."""
    from nbtrack.store import schema as sch

    if not groups:
        return 0
    names = sorted({g["key"] for g in groups})
    mk = sch.metric_keys
    conn.execute(
        store._dialect_insert(mk).on_conflict_do_nothing(index_elements=["key"]),
        [{"key": n} for n in names],
    )
    key_ids: dict[str, int] = {}
    for part in chunks(names):
        query = sa.select(mk.c.id, mk.c.key).where(mk.c.key.in_(part))
        key_ids.update((k, i) for i, k in conn.execute(query))
    counts: dict[str, int] = {}
    for g in groups:
        counts[g["run_id"]] = counts.get(g["run_id"], 0) + int(g["n"])
    run_keys: dict[str, int] = {}
    for run_id, n in counts.items():
        insert = sa.insert(sch.run_keys).values(run_id=run_id, points=n)
        run_keys[run_id] = conn.execute(insert.returning(sch.run_keys.c.run_key)).scalar_one()
    from nbtrack.store.chunks import insert_sql, series_chunks

    sql = insert_sql(conn.dialect.paramstyle)
    total = 0
    for run_key, key_id, points in _series(groups, run_keys, key_ids):
        conn.exec_driver_sql(sql, series_chunks(run_key, key_id, points))
        total += len(points)
    return total


def _series(groups: list[dict[str, Any]], run_keys: dict[str, int], key_ids: dict[str, int]) -> Any:
    """(run_key, key_id, its (seq, step, value, time) points in seq order) per group."""
    for g in groups:
        run_key, key_id = run_keys[g["run_id"]], key_ids[g["key"]]
        try:
            points = sorted((q, s, v, t) for s, q, v, t in unpack_group(g))
        except (ValueError, KeyError, TypeError) as exc:
            raise TransferError(
                f"the archive's points are damaged ({exc}); nothing was imported"
            ) from exc
        if points:
            yield run_key, key_id, points


def _unbundle(project_root: Path, bundle: bytes) -> int:
    from nbtrack.versioning._git import snapshot_repo

    repo = snapshot_repo(project_root, create=True)
    assert repo is not None
    with tempfile.TemporaryDirectory(prefix="nbtrack-import-") as tmp:
        path = Path(tmp) / "snapshots.bundle"
        path.write_bytes(bundle)
        proc = repo.run(
            "fetch", "--no-tags", "--quiet", str(path),
            "+refs/nbtrack-export/*:refs/nbtrack-imported/*", check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise TransferError(
                f"the runs were imported, but their snapshots could not be: git fetch of the "
                f"bundle failed: {proc.stderr.decode(errors='replace').strip()}"
            )
    prefix = "refs/nbtrack-imported/"
    return len(repo.run("for-each-ref", "--format=%(refname)", prefix).stdout.split())


def project_for_store(url: str, default: Path) -> Path:
    """The project a store belongs to: ``<dir>`` for an SQLite file under
    ``<dir>/.nbtrack/``, else ``default`` (a server database, a file elsewhere). Pure."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        path = Path(parsed.database)
        if path.parent.name == ".nbtrack":
            return path.parent.parent
    return Path(default)


def copy_runs(
    source_url: str,
    target_url: str,
    refs: list[str] | None = None,
    *,
    artifact_storage: Any = None,
    source_root: Path | None = None,
    target_root: Path | None = None,
) -> Imported:
    """Export from ``source_url`` and import into ``target_url`` (one transaction there).

    Artifact versions, edges and aliases are always copied. With the projects the
    stores belong to (``source_root``, ``target_root``), what lives in the projects
    rather than the stores follows the runs: their snapshot commits (when the two
    projects' repositories differ) and their artifact blobs (when the two projects'
    artifact storages differ). ``snapshots_missing`` counts the runs' snapshots the
    source project's repositories lack; ``artifacts.missing`` the versions whose
    files the target storage (``artifact_storage``, else ``target_root``'s) lacks."""
    from .blobsync import same_storage
    from .export import export_runs

    same_repo = (
        source_root is not None
        and target_root is not None
        and Path(source_root).resolve() == Path(target_root).resolve()
    )
    source_storage = artifacts.storage_for(source_root) if source_root is not None else None
    storage = artifact_storage
    if storage is None and target_root is not None:
        storage = artifacts.storage_for(target_root)
    carry = (
        source_storage is not None
        and storage is not None
        and not same_storage(source_storage, storage)
    )
    with tempfile.TemporaryDirectory(prefix="nbtrack-copy-") as tmp:
        path = Path(tmp) / "runs.nbtrack"
        exported = export_runs(
            source_url, path, refs, project_root=source_root, with_artifacts=carry,
            artifact_storage=source_storage, bundle=not same_repo,
        )  # fmt: skip
        done = import_archive(
            path, target_url, project_root=None if same_repo else target_root,
            artifact_storage=storage,
        )  # fmt: skip
    done.snapshots_missing = exported.snapshots_missing
    return done
