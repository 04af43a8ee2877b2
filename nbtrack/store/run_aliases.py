"""Run aliases: the reference an imported run had in the store it came from.

An import renumbers a run whose ``train#4`` is taken in the target; the run keeps
its old reference, qualified by where it came from (``train#4@alice-laptop``), as
an alias that `nbtrack.get_run` and every CLI command resolve.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .schema import metadata

if TYPE_CHECKING:
    from .store import Store

run_aliases = sa.Table(
    "nbtrack_run_aliases",
    metadata,
    sa.Column("alias", sa.Text, primary_key=True),
    sa.Column("run_id", sa.String(26), nullable=False),
    sa.Column("created", sa.Double, nullable=False),
)


def migrate(op: Any) -> None:
    """The schema step that adds the table (migrations.STEPS)."""
    op.create_table(
        "nbtrack_run_aliases",
        sa.Column("alias", sa.Text, primary_key=True),
        sa.Column("run_id", sa.String(26), nullable=False),
        sa.Column("created", sa.Double, nullable=False),
    )


def origin_label(text: str) -> str:
    """A short name for where runs came from, usable after ``@`` in a reference."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-") or "import"


def add_aliases(conn: sa.Connection, aliases: dict[str, str]) -> None:
    """Record alias -> run id, replacing nothing: an alias taken already stays put."""
    if not aliases:
        return
    known = {
        a
        for (a,) in conn.execute(
            sa.select(run_aliases.c.alias).where(run_aliases.c.alias.in_(list(aliases)))
        )
    }
    now = time.time()
    rows = [{"alias": a, "run_id": r, "created": now} for a, r in aliases.items() if a not in known]
    if rows:
        conn.execute(sa.insert(run_aliases), rows)


def lookup(store: Store, ref: str) -> str | None:
    """The id of the (existing) run ``ref`` is an alias of, or None."""
    from .schema import runs

    if "@" not in ref:
        return None
    query = (
        sa.select(runs.c.id)
        .select_from(run_aliases.join(runs, runs.c.id == run_aliases.c.run_id))
        .where(run_aliases.c.alias == ref.strip())
    )
    with store.reading() as conn:
        return conn.execute(query).scalar()
