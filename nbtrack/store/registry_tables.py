"""Tables of the model registry (nbtrack/models/registry.py): registered models,
their versions (each pointing at a model artifact version), where each alias
points now, and every alias move with who made it and when.

They live in `schema.metadata` (schema.py imports this module), so a new store
gets them and the migration step creates them in an old one.
"""

from __future__ import annotations

import sqlalchemy as sa

from .schema import BigId, metadata

# One row per registered name; alias moves lock it, so moves of one model queue.
registered_models = sa.Table(
    "nbtrack_registered_models",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("created", sa.Double, nullable=False),
    sa.Column("user", sa.Text),
)

# Version N of a registered model is one model artifact version, linked once.
registry_versions = sa.Table(
    "nbtrack_registry_versions",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("artifact_version_id", sa.String(26), nullable=False),
    # Copied at link time from the (immutable) model version, so that listings read
    # this table and the runs alone: its ref (name:vN), flavor and the run that made it.
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("flavor", sa.String(32)),
    sa.Column("run_id", sa.String(26)),
    sa.Column("created", sa.Double, nullable=False),
    sa.Column("user", sa.Text),
    # The run's ref (stem#seq) and name while it exists, else NULL: copies the
    # listing reads instead of looking each run up by its text id, kept true by
    # every write that changes them (store/registry_runs.py).
    sa.Column("run_ref", sa.Text),
    sa.Column("run_name", sa.Text),
    sa.UniqueConstraint("name", "artifact_version_id", name="uq_nbtrack_registry_versions_link"),
    sa.Index("ix_nbtrack_registry_versions_artifact", "artifact_version_id"),
    sa.Index("ix_nbtrack_registry_versions_run", "run_id"),
)

registry_aliases = sa.Table(
    "nbtrack_registry_aliases",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("alias", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("time", sa.Double, nullable=False),
    sa.Column("user", sa.Text),
)

# Every move: from_version is None for a new alias, to_version None for a delete.
registry_alias_history = sa.Table(
    "nbtrack_registry_alias_history",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("alias", sa.String(128), nullable=False),
    sa.Column("from_version", sa.Integer),
    sa.Column("to_version", sa.Integer),
    sa.Column("user", sa.Text),
    sa.Column("time", sa.Double, nullable=False),
    sa.Column("run_id", sa.String(26)),
    sa.Index("ix_nbtrack_registry_alias_history_name", "name", "id"),
)

TABLES = (registered_models, registry_versions, registry_aliases, registry_alias_history)
