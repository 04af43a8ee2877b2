"""The current schema, as SQLAlchemy Core tables.

Migrations (migrations.py) build and upgrade stores; these tables describe the
result and are what queries are written against. A test checks that a store
built by the migrations matches them exactly.

Conventions: times are float seconds since the epoch (UTC); JSON is stored as
text; metric points are packed arrays (chunks.py) that keep NaN and ±inf as they
are; a summary's value of NULL means NaN (SQLite cannot store NaN).

A new store is created from these tables directly (`migrations.create`), without
alembic; a table added elsewhere must be defined on this `metadata` too.
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
    # Who ran it: the JupyterHub user, else the OS user (`host` is the machine).
    # Not `user`: an unquoted `user` in PostgreSQL SQL is the session's user.
    sa.Column("user_name", sa.Text),
    sa.UniqueConstraint("stem", "seq", name="uq_nbtrack_runs_stem_seq"),
    sa.Index("ix_nbtrack_runs_start", "start_time"),
    sa.Index("ix_nbtrack_runs_name", "name"),
    sa.Index("ix_nbtrack_runs_sweep", "sweep", "trial"),
    # What changed since a poll (and which runs are still running), by index.
    sa.Index("ix_nbtrack_runs_status", "status"),
    sa.Index("ix_nbtrack_runs_end", "end_time"),
    sa.Index("ix_nbtrack_runs_heartbeat", "heartbeat"),
)

# A run's compact key in the chunks table (its 26-character id would be repeated in
# every point), and how many points it has: a point's `seq` numbers it within its run
# (1, 2, ...) in the order the points were committed, so the count is the cursor of
# "points written since". Allocated at a run's first points; never reused
# (AUTOINCREMENT on SQLite, a sequence on PostgreSQL).
run_keys = sa.Table(
    "nbtrack_run_keys",
    metadata,
    sa.Column("run_key", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(26), nullable=False, unique=True),
    sa.Column("points", sa.BigInteger, nullable=False),
    sqlite_autoincrement=True,
)

# Metric names, each stored once; points refer to them by id.
metric_keys = sa.Table(
    "nbtrack_metric_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.Text, nullable=False, unique=True),
)

# Metric points in chunks (chunks.py): one row per (run, metric key, flush) holding
# that flush's points of the series as packed arrays, so a flush of any size is a
# few rows and no B-tree insert per point. A rowid table, not WITHOUT ROWID: SQLite
# keeps a row of up to ~4 KB (some 170 points) in its page there, where a WITHOUT
# ROWID row moves to an overflow page of its own past ~1 KB (a 50-point chunk then
# takes 4 KB). (run_key, key_id, first_seq) finds a series' chunks in seq order,
# (run_key, last_seq) the chunks holding points written since a cursor.
chunks = sa.Table(
    "nbtrack_chunks",
    metadata,
    sa.Column("run_key", sa.Integer, nullable=False),
    sa.Column("key_id", sa.Integer, nullable=False),
    sa.Column("first_seq", sa.BigInteger, nullable=False),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("seqs", sa.LargeBinary),  # NULL: evenly spaced from first_seq to last_seq
    sa.Column("steps", sa.LargeBinary, nullable=False),
    sa.Column("vals", sa.LargeBinary, nullable=False),
    sa.Column("times", sa.LargeBinary, nullable=False),
    sa.Index("ix_nbtrack_chunks_series", "run_key", "key_id", "first_seq", unique=True),
    sa.Index("ix_nbtrack_chunks_run_seq", "run_key", "last_seq"),
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

# Tables kept in their own modules register on `metadata` when imported.
from . import artifact_tables, media_tables, registry_tables  # noqa: E402,F401
from . import run_aliases as _run_aliases  # noqa: E402,F401
from . import verdicts as _verdicts  # noqa: E402,F401
