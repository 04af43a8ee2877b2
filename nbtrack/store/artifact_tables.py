"""Tables of the artifact layer (nbtrack/artifacts/): versions, aliases and their
history, the blobs each version holds, and the run edges (made/used) of lineage.

They live in `schema.metadata` (schema.py imports this module), so the store
built by the migrations is checked against them like every other table.
"""

from __future__ import annotations

import sqlalchemy as sa

from .schema import BigId, metadata

# One row per version: the same (name, hash) is never stored twice, so two
# processes logging the same bytes at once end up with one version.
artifact_versions = sa.Table(
    "nbtrack_artifact_versions",
    metadata,
    sa.Column("id", sa.String(26), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # blake3 hex of a file's bytes, or of a folder's canonical manifest.
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # file | folder | dataset
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("files", sa.Integer, nullable=False),
    # False for a plain project path recorded by use_artifact (nothing uploaded).
    sa.Column("stored", sa.Boolean, nullable=False),
    sa.Column("meta", sa.Text, nullable=False),  # JSON: schema, rows, preview, dvc, source
    sa.Column("created", sa.Double, nullable=False),
    sa.Column("run_id", sa.String(26)),
    sa.Column("cell", sa.Text),  # JSON {notebook, execution_count}
    sa.UniqueConstraint("name", "version", name="uq_nbtrack_artifact_versions_name_version"),
    sa.UniqueConstraint("name", "hash", name="uq_nbtrack_artifact_versions_name_hash"),
    sa.Index("ix_nbtrack_artifact_versions_hash", "hash"),
    sa.Index("ix_nbtrack_artifact_versions_run", "run_id"),
)

# The blobs a version holds (a folder's files and its manifest; a file's bytes).
artifact_blobs = sa.Table(
    "nbtrack_artifact_blobs",
    metadata,
    sa.Column("version_id", sa.String(26), primary_key=True),
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Index("ix_nbtrack_artifact_blobs_hash", "hash"),
)

# A run made ("out") or used ("in") a version, from one tracked cell.
artifact_edges = sa.Table(
    "nbtrack_artifact_edges",
    metadata,
    sa.Column("run_id", sa.String(26), primary_key=True),
    sa.Column("version_id", sa.String(26), primary_key=True),
    sa.Column("direction", sa.String(4), primary_key=True),
    sa.Column("cell", sa.Text),
    sa.Column("time", sa.Double, nullable=False),
    sa.Index("ix_nbtrack_artifact_edges_version", "version_id", "direction"),
)

# Where each alias of a name points now; every move is kept in the history.
artifact_aliases = sa.Table(
    "nbtrack_artifact_aliases",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("alias", sa.String(128), primary_key=True),
    sa.Column("version_id", sa.String(26), nullable=False),
    sa.Column("time", sa.Double, nullable=False),
)

artifact_alias_history = sa.Table(
    "nbtrack_artifact_alias_history",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("alias", sa.String(128), nullable=False),
    sa.Column("version_id", sa.String(26), nullable=False),
    sa.Column("time", sa.Double, nullable=False),
    sa.Column("run_id", sa.String(26)),
    sa.Index("ix_nbtrack_artifact_alias_history_name", "name", "alias"),
)

TABLES = (
    artifact_versions,
    artifact_blobs,
    artifact_edges,
    artifact_aliases,
    artifact_alias_history,
)
