"""Schema versions and the steps between them (alembic operations, no env.py).

A store records its version in `nbtrack_meta`. Opening a store upgrades it
step by step inside one write transaction; a store newer than this library is
refused before anything is written. Add a step by appending a function to
STEPS; never edit a released step.
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


def _artifacts(op: Any) -> None:
    """Artifacts and datasets versioned by content, with lineage to runs and cells
    (nbtrack/artifacts/): versions, their blobs, made/used edges, aliases."""
    from .artifact_tables import TABLES

    conn = op.get_bind()
    for table in TABLES:
        table.create(conn)


STEPS: list[Callable[[Any], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _artifacts]
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


def upgrade(conn: sa.Connection, url: str, target: int = SCHEMA_VERSION) -> int:
    """Bring the store to `target` inside the caller's write transaction; return the old version."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    version = read_version(conn)
    check_not_newer(version, url)
    if version is None:
        foreign = [t for t in sa.inspect(conn).get_table_names() if not t.startswith("nbtrack_")]
        if foreign and conn.dialect.name == "sqlite":
            raise StoreError(
                f"{mask_url(url)} is an SQLite database that nbtrack did not create (tables: "
                f"{', '.join(sorted(foreign)[:5])}); point NBTRACK_STORE at another file"
            )
        schema.meta.create(conn)
        conn.execute(sa.insert(schema.meta).values(key=VERSION_KEY, value="0"))
        version = 0
    if version >= target:
        return version
    op = Operations(MigrationContext.configure(conn))
    for step in STEPS[version:target]:
        step(op)
    conn.execute(
        sa.update(schema.meta).where(schema.meta.c.key == VERSION_KEY).values(value=str(target))
    )
    return version
