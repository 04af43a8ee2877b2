"""Reproducibility verdicts on runs (`nbtrack verify`) and stale inputs flagged at
a run's start: one row per run, in a table of their own.

`verdict` is `reproduced`, `differs`, `failed` or `not checked` (NULL: never
verified); `detail` is JSON (what differs and by how much, the cell and error,
what could not be restored); `stale` is JSON (names and cells) or NULL.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .schema import metadata

if TYPE_CHECKING:
    from .store import Store

verdicts = sa.Table(
    "nbtrack_verdicts",
    metadata,
    sa.Column("run_id", sa.String(26), primary_key=True),
    sa.Column("verdict", sa.String(16)),
    sa.Column("detail", sa.Text),
    sa.Column("checked_at", sa.Double),
    sa.Column("stale", sa.Text),
    # The panel's poll asks for runs verified since its last answer.
    sa.Index("ix_nbtrack_verdicts_checked", "checked_at"),
)


def migrate(op: Any) -> None:
    """The schema step that adds the table (migrations.STEPS)."""
    op.create_table(
        "nbtrack_verdicts",
        sa.Column("run_id", sa.String(26), primary_key=True),
        sa.Column("verdict", sa.String(16)),
        sa.Column("detail", sa.Text),
        sa.Column("checked_at", sa.Double),
        sa.Column("stale", sa.Text),
    )


def _upsert(store: Store, run_id: str, values: dict[str, Any]) -> None:
    stmt = store._dialect_insert(verdicts).values(run_id=run_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[verdicts.c.run_id], set_=values)
    with store.writing() as conn:
        conn.execute(stmt)


def save_verdict(store: Store, run_id: str, verdict: str, detail: dict[str, Any]) -> None:
    _upsert(
        store,
        run_id,
        {"verdict": verdict, "detail": json.dumps(detail, default=str), "checked_at": time.time()},
    )


def save_stale(store: Store, run_id: str, stale: dict[str, Any]) -> None:
    _upsert(store, run_id, {"stale": json.dumps(stale, default=str)})


def read(store: Store, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """run id -> {"verdict", "detail", "checked_at", "stale"} for runs that have a row."""
    out: dict[str, dict[str, Any]] = {}
    if not run_ids:
        return out
    with store.reading() as conn:  # the schema step made the table: no need to look
        for i in range(0, len(run_ids), 500):
            chunk = run_ids[i : i + 500]
            for row in conn.execute(sa.select(verdicts).where(verdicts.c.run_id.in_(chunk))):
                out[row.run_id] = {
                    "verdict": row.verdict,
                    "detail": json.loads(row.detail) if row.detail else None,
                    "checked_at": row.checked_at,
                    "stale": json.loads(row.stale) if row.stale else None,
                }
    return out


def add_entries(store: Store, rows: list[dict[str, Any]]) -> None:
    """Set each run row's `verification` to its entry (None when never verified)."""
    entries = read(store, [r["id"] for r in rows]) if rows else {}
    for r in rows:
        r["verification"] = entries.get(r["id"])
