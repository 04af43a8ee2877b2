"""Which tables travel with a run, found from the schema rather than listed, so a
table or column another part of nbtrack adds travels without changes here."""

from __future__ import annotations

import sqlalchemy as sa

SPECIAL = {"nbtrack_runs", "nbtrack_run_keys", "nbtrack_chunks", "nbtrack_environments"}


def all_tables() -> sa.MetaData:
    from nbtrack.store import artifact_tables, schema, verdicts  # noqa: F401  (register tables)

    return schema.metadata


def run_tables() -> list[sa.Table]:
    """Tables keyed by run: ``run_id`` is part of the primary key (params, summaries,
    verdicts, ...). Artifact tables are carried by artifacts.py: their versions number
    per name and reference blobs outside the store."""
    out = []
    for table in all_tables().sorted_tables:
        if table.name in SPECIAL or table.name.startswith("nbtrack_artifact"):
            continue
        if "run_id" in table.primary_key.columns:
            out.append(table)
    return out


def chunks(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
