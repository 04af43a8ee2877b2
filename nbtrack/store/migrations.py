"""Schema versions and the steps between them (alembic operations, no env.py).

A store records its version in `nbtrack_meta`. A new store is created from
`schema.py`'s tables directly and stamped with the current version (`create`:
no alembic import, which costs a cold start ~0.15 s); an older store is
upgraded step by step inside one write transaction; a store newer than this
library is refused before anything is written. Add a step by appending a
function to STEPS (and its tables to schema.py); never edit a released step.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ..errors import StoreError
from . import schema
from .urls import mask_url

VERSION_KEY = "schema_version"


def _v1(op: Any) -> None:
    """The first schema: runs, environments, metric points and summaries."""
    op.create_table(
        "nbtrack_environments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "nbtrack_runs",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("experiment", sa.Text, nullable=False),
        sa.Column("notebook", sa.Text),
        sa.Column("stem", sa.Text, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", sa.Double, nullable=False),
        sa.Column("end_time", sa.Double),
        sa.Column("heartbeat", sa.Double),
        sa.Column("host", sa.Text),
        sa.Column("pid", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("cell_source", sa.Text),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("env_id", sa.String(64)),
        sa.Column("git", sa.Text),
        sa.UniqueConstraint("stem", "seq", name="uq_nbtrack_runs_stem_seq"),
    )
    op.create_index("ix_nbtrack_runs_start", "nbtrack_runs", ["start_time"])
    op.create_table(
        "nbtrack_metrics",
        sa.Column("id", schema.BigId, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(26), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Double),
        sa.Column("time", sa.Double, nullable=False),
    )
    op.create_index("ix_nbtrack_metrics_run_key_step", "nbtrack_metrics", ["run_id", "key", "step"])
    op.create_table(
        "nbtrack_summaries",
        sa.Column("run_id", sa.String(26), primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("last", sa.Double),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("min", sa.Double),
        sa.Column("max", sa.Double),
        sa.Column("count", sa.BigInteger, nullable=False),
    )


def _v2(op: Any) -> None:
    """Runs point at their notebook snapshot; run references by name get an index."""
    op.add_column("nbtrack_runs", sa.Column("snapshot", sa.String(64)))
    op.create_index("ix_nbtrack_runs_name", "nbtrack_runs", ["name"])


def _v3(op: Any) -> None:
    """Incremental metric reads (`after=` a point id) seek instead of scanning a run."""
    op.create_index("ix_nbtrack_metrics_run_id", "nbtrack_metrics", ["run_id", "id"])


def _v4(op: Any) -> None:
    """The (run_id, key, step) index also holds `value`: downsampling a long series
    finds each bucket's extremes in the index alone. Replaces the old index, so a
    point costs one index entry as before."""
    op.drop_index("ix_nbtrack_metrics_run_key_step", table_name="nbtrack_metrics")
    op.create_index(
        "ix_nbtrack_metrics_run_key_step_value",
        "nbtrack_metrics",
        ["run_id", "key", "step", "value"],
    )


def _v5(op: Any) -> None:
    """Runs of a parameter sweep (`nbtrack sweep`) carry its id and their trial number."""
    op.add_column("nbtrack_runs", sa.Column("sweep", sa.String(64)))
    op.add_column("nbtrack_runs", sa.Column("trial", sa.Integer))
    op.create_index("ix_nbtrack_runs_sweep", "nbtrack_runs", ["sweep", "trial"])


def _v6(op: Any) -> None:
    """The runs list filters, sorts and pages in SQL: params get a table of their own
    (one row per run and key, indexed by key and value; filled from `runs.params`),
    the summaries an index by key and last value, and runs indexes by status, end and
    heartbeat for the panel's changed-since poll."""
    from .run_list import param_rows

    op.create_table(
        "nbtrack_params",
        sa.Column("run_id", sa.String(26), primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("num", sa.Double),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_nbtrack_params_key_value", "nbtrack_params", ["key", "kind", "num", "text", "run_id"]
    )
    conn = op.get_bind()
    runs = sa.table("nbtrack_runs", sa.column("id"), sa.column("params"))
    rows: list[dict[str, Any]] = []
    for run_id, text in conn.execute(sa.select(runs.c.id, runs.c.params)).all():
        rows += param_rows(run_id, json.loads(text))
        if len(rows) >= 10_000:
            conn.execute(sa.insert(schema.params), rows)
            rows = []
    if rows:
        conn.execute(sa.insert(schema.params), rows)
    op.create_index("ix_nbtrack_summaries_key_last", "nbtrack_summaries", ["key", "last", "run_id"])
    op.create_index("ix_nbtrack_runs_status", "nbtrack_runs", ["status"])
    op.create_index("ix_nbtrack_runs_end", "nbtrack_runs", ["end_time"])
    op.create_index("ix_nbtrack_runs_heartbeat", "nbtrack_runs", ["heartbeat"])


def _v7(op: Any) -> None:
    """Reproducibility verdicts and stale-input flags, one row per run (store/verdicts.py)."""
    from .verdicts import migrate

    migrate(op)


def _v8(op: Any) -> None:
    """Metric points move to a compact table clustered by (run, key, step): runs and
    metric names become small integer keys (`nbtrack_run_keys`, `nbtrack_metric_keys`)
    instead of text repeated in every point and in two indexes, and a point's `seq`
    (its number within the run, in commit order) replaces the global id as the
    cursor of incremental reads. Every point is copied, in its order; the old table
    is dropped (SQLite keeps its pages for new points: `nbtrack doctor --compact`
    gives them back to the disk)."""
    op.create_table(
        "nbtrack_run_keys",
        sa.Column("run_key", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(26), nullable=False, unique=True),
        sa.Column("points", sa.BigInteger, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "nbtrack_metric_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.Text, nullable=False, unique=True),
    )
    op.create_table(
        "nbtrack_points",
        sa.Column("run_key", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("key_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("step", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("value", sa.Double),
        sa.Column("time", sa.Double, nullable=False),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    conn.exec_driver_sql(
        "INSERT INTO nbtrack_run_keys (run_id, points) SELECT run_id, count(*) "
        "FROM nbtrack_metrics GROUP BY run_id ORDER BY min(id)"
    )
    conn.exec_driver_sql(
        "INSERT INTO nbtrack_metric_keys (key) SELECT key FROM nbtrack_metrics "
        "GROUP BY key ORDER BY min(id)"
    )
    # SQLite builds the clustered table fastest (and densest) in its own order.
    in_order = " ORDER BY 1, 2, 3, 4" if conn.dialect.name == "sqlite" else ""
    conn.exec_driver_sql(
        "INSERT INTO nbtrack_points (run_key, key_id, step, seq, value, time) "
        "SELECT r.run_key, k.id, m.step, "
        "row_number() OVER (PARTITION BY m.run_id ORDER BY m.id), m.value, m.time "
        "FROM nbtrack_metrics m JOIN nbtrack_run_keys r ON r.run_id = m.run_id "
        "JOIN nbtrack_metric_keys k ON k.key = m.key" + in_order
    )
    op.create_index("ix_nbtrack_points_run_seq", "nbtrack_points", ["run_key", "seq"])
    op.drop_table("nbtrack_metrics")


def _v9(op: Any) -> None:
    """Artifacts and datasets versioned by content, with lineage to runs and cells
    (nbtrack/artifacts/): versions, their blobs, made/used edges, aliases."""
    from .artifact_tables import TABLES

    conn = op.get_bind()
    for table in TABLES:
        table.create(conn)


def _v10(op: Any) -> None:
    """An index on the verdicts' check time: the panel's poll reads only the runs
    verified since its last answer, not the whole table."""
    op.create_index("ix_nbtrack_verdicts_checked", "nbtrack_verdicts", ["checked_at"])


def _media(op: Any) -> None:
    """The media index (nbtrack/media/): images, figures, tables, confusion
    matrices, histograms and texts a run logged, by blob hash."""
    from .media_tables import TABLES

    conn = op.get_bind()
    for table in TABLES:
        table.create(conn)


def _run_aliases(op: Any) -> None:
    """Old references of imported, renumbered runs (store/run_aliases.py)."""
    from .run_aliases import migrate

    migrate(op)


def _registry(op: Any) -> None:
    """The model registry (nbtrack/models/): registered models, their versions,
    aliases and the alias history (store/registry_tables.py)."""
    from .registry_tables import TABLES

    conn = op.get_bind()
    for table in TABLES:
        table.create(conn)


def _run_user(op: Any) -> None:
    """Runs record who ran them (`user_name`: the JupyterHub user, else the OS user);
    `host` was recorded from the start. Older runs keep NULL: nobody knows."""
    op.add_column("nbtrack_runs", sa.Column("user_name", sa.Text))


def _chunks(op: Any) -> None:
    """Metric points move into chunks (store/chunks.py): one row per run, key and
    flush holding the points as packed arrays, so a flush costs a few rows instead of
    a B-tree insert per point. Every point is copied, series by series in seq order
    (NULL values become the NaN they stood for), in chunks of at most
    `chunks.MAX_CHUNK` points; the old table is dropped (SQLite keeps its pages for
    new chunks: `nbtrack doctor --compact` gives them back to the disk)."""
    from .chunks import insert_sql, series_chunks

    op.create_table(
        "nbtrack_chunks",
        sa.Column("run_key", sa.Integer, nullable=False),
        sa.Column("key_id", sa.Integer, nullable=False),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("seqs", sa.LargeBinary),
        sa.Column("steps", sa.LargeBinary, nullable=False),
        sa.Column("vals", sa.LargeBinary, nullable=False),
        sa.Column("times", sa.LargeBinary, nullable=False),
    )
    op.create_index(
        "ix_nbtrack_chunks_series",
        "nbtrack_chunks",
        ["run_key", "key_id", "first_seq"],
        unique=True,
    )
    op.create_index("ix_nbtrack_chunks_run_seq", "nbtrack_chunks", ["run_key", "last_seq"])
    conn = op.get_bind()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    series = conn.exec_driver_sql("SELECT DISTINCT run_key, key_id FROM nbtrack_points").all()
    read = (
        "SELECT seq, step, value, time FROM nbtrack_points "
        f"WHERE run_key = {mark} AND key_id = {mark} ORDER BY seq"
    )
    for run_key, key_id in series:
        rows = conn.exec_driver_sql(read, (run_key, key_id)).all()
        conn.exec_driver_sql(
            insert_sql(conn.dialect.paramstyle), series_chunks(run_key, key_id, rows)
        )
    op.drop_index("ix_nbtrack_points_run_seq", "nbtrack_points")
    op.drop_table("nbtrack_points")


def _registry_runs(op: Any) -> None:
    """Registry versions keep their source run's ref and name (NULL once the run is
    deleted; store/registry_runs.py), filled here from the runs, with an index on
    the run id that keeps them true when a run is renamed or deleted."""
    from .registry_runs import ALL

    # _registry creates the registry's tables as registry_tables.py has them now: a
    # store that took that step with this library has the columns already.
    table = "nbtrack_registry_versions"
    found = sa.inspect(op.get_bind())
    have = {c["name"] for c in found.get_columns(table)}
    for column in ("run_ref", "run_name"):
        if column not in have:
            op.add_column(table, sa.Column(column, sa.Text))
    if "ix_nbtrack_registry_versions_run" not in {i["name"] for i in found.get_indexes(table)}:
        op.create_index("ix_nbtrack_registry_versions_run", table, ["run_id"])
    op.get_bind().execute(sa.text(ALL))


def _registry_metrics(op: Any) -> None:
    """PostgreSQL: registry versions get copies of their run's metric summaries,
    kept by triggers (store/registry_metrics.py), filled here. Nothing on SQLite."""
    from . import registry_metrics

    registry_metrics.install(op.get_bind(), fill=True)


STEPS: list[Callable[[Any], None]] = [
    _v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9, _v10, _media, _run_aliases, _registry,
    _run_user, _chunks, _registry_runs, _registry_metrics,
]  # fmt: skip
SCHEMA_VERSION = len(STEPS)


def read_version(conn: sa.Connection) -> int | None:
    """The store's schema version, or None for a database nbtrack never initialised."""
    if not sa.inspect(conn).has_table(schema.meta.name):
        return None
    value = conn.execute(
        sa.select(schema.meta.c.value).where(schema.meta.c.key == VERSION_KEY)
    ).scalar()
    return int(value) if value is not None else 0


def check_not_newer(version: int | None, url: str) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(
            f"the store at {mask_url(url)} has schema version {version}, newer than this nbtrack "
            f"understands ({SCHEMA_VERSION}); upgrade nbtrack (pip install -U nbtrack) "
            "to use it. Nothing was written."
        )


def create(conn: sa.Connection) -> None:
    """Create the current schema in an empty database and stamp its version: what a
    new store needs, without alembic."""
    from . import registry_metrics

    schema.metadata.create_all(conn)
    registry_metrics.install(conn)
    conn.execute(sa.insert(schema.meta).values(key=VERSION_KEY, value=str(SCHEMA_VERSION)))


def upgrade(conn: sa.Connection, url: str, target: int = SCHEMA_VERSION) -> int:
    """Bring the store to `target` inside the caller's write transaction; return the old
    version (0 for a store created here)."""
    version = read_version(conn)
    check_not_newer(version, url)
    if version is None:
        foreign = [t for t in sa.inspect(conn).get_table_names() if not t.startswith("nbtrack_")]
        if foreign and conn.dialect.name == "sqlite":
            raise StoreError(
                f"{mask_url(url)} is an SQLite database that nbtrack did not create (tables: "
                f"{', '.join(sorted(foreign)[:5])}); point NBTRACK_STORE at another file"
            )
        if target == SCHEMA_VERSION:
            create(conn)
            return 0
        schema.meta.create(conn)
        conn.execute(sa.insert(schema.meta).values(key=VERSION_KEY, value="0"))
        version = 0
    if version >= target:
        return version
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    op = Operations(MigrationContext.configure(conn))
    for step in STEPS[version:target]:
        step(op)
    conn.execute(
        sa.update(schema.meta).where(schema.meta.c.key == VERSION_KEY).values(value=str(target))
    )
    return version
