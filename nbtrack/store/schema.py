"""The current schema, as SQLAlchemy Core tables.

Migrations (migrations.py) build and upgrade stores; these tables describe the
result and are what queries are written against. A test checks that a store
built by the migrations matches them exactly.

Conventions: times are float seconds since the epoch (UTC); JSON is stored as
text; a metric value of NULL means NaN (SQLite cannot store NaN).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# BIGINT on PostgreSQL, the rowid alias on SQLite (so ids autoincrement there too).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

meta = sa.Table(
    "nbtrack_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

environments = sa.Table(
    "nbtrack_environments",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # sha256 of the JSON
    sa.Column("data", sa.Text, nullable=False),
)

runs = sa.Table(
    "nbtrack_runs",
    metadata,
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
    sa.Column("snapshot", sa.String(64)),
    # A sweep's runs share its id; `trial` numbers the parameter combination (from 1).
    sa.Column("sweep", sa.String(64)),
    sa.Column("trial", sa.Integer),
    sa.UniqueConstraint("stem", "seq", name="uq_nbtrack_runs_stem_seq"),
    sa.Index("ix_nbtrack_runs_start", "start_time"),
    sa.Index("ix_nbtrack_runs_name", "name"),
    sa.Index("ix_nbtrack_runs_sweep", "sweep", "trial"),
    # What changed since a poll (and which runs are still running), by index.
    sa.Index("ix_nbtrack_runs_status", "status"),
    sa.Index("ix_nbtrack_runs_end", "end_time"),
    sa.Index("ix_nbtrack_runs_heartbeat", "heartbeat"),
)

metrics = sa.Table(
    "nbtrack_metrics",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(26), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("value", sa.Double),
    sa.Column("time", sa.Double, nullable=False),
    # `value` makes the index cover the per-bucket extremes (store/extremes.py).
    sa.Index("ix_nbtrack_metrics_run_key_step_value", "run_id", "key", "step", "value"),
    sa.Index("ix_nbtrack_metrics_run_id", "run_id", "id"),
)

summaries = sa.Table(
    "nbtrack_summaries",
    metadata,
    sa.Column("run_id", sa.String(26), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("last", sa.Double),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.Column("min", sa.Double),
    sa.Column("max", sa.Double),
    sa.Column("count", sa.BigInteger, nullable=False),
    # The runs list: every metric key by a skip scan, runs in order of a metric's last
    # value (ties by run id) by walking the index.
    sa.Index("ix_nbtrack_summaries_key_last", "key", "last", "run_id"),
)

# Each run's params, one row per key, so that the runs list filters and sorts by a param
# through an index. `runs.params` stays the record; these rows are derived from it.
params = sa.Table(
    "nbtrack_params",
    metadata,
    sa.Column("run_id", sa.String(26), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    # 0 a number, 1 a string, 2 anything else (booleans, lists, null), 3 NaN.
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("num", sa.Double),  # the number (kind 0), else NULL
    sa.Column("text", sa.Text, nullable=False),  # the value as lowercase text
    sa.Index("ix_nbtrack_params_key_value", "key", "kind", "num", "text", "run_id"),
)

# The artifact layer's tables, in their own module, registered in `metadata`.
from . import artifact_tables  # noqa: E402,F401
