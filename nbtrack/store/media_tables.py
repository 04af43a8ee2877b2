"""The media index (nbtrack/media/): one row per image, figure, table, confusion
matrix, histogram or text a run logged. The bytes are blobs of the artifact
store (content-addressed, deduplicated); a row names them by hash.

It lives in `schema.metadata` (schema.py imports this module), so the store
built by the migrations is checked against it like every other table.
"""

from __future__ import annotations

import sqlalchemy as sa

from .schema import BigId, metadata

media = sa.Table(
    "nbtrack_media",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(26), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    # image | figure | table | confusion_matrix | histogram | text
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("step", sa.BigInteger),
    # The position within a group logged by one call (log_image of a list).
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("caption", sa.Text),
    # BLAKE3 of the main blob: a PNG, Parquet table, UTF-8 text or JSON bins.
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("mime", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    # JSON: width/height, the display copy's and SVG/HTML renders' hashes, rows...
    sa.Column("meta", sa.Text, nullable=False),
    sa.Column("time", sa.Double, nullable=False),
    sa.Index("ix_nbtrack_media_run", "run_id", "name", "step", "idx"),
    sa.Index("ix_nbtrack_media_hash", "hash"),
)

TABLES = (media,)
