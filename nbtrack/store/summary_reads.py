"""The last value of every metric of some runs, lean enough for a million keys.

`Store.summaries` builds a dict of five fields per key; a runs table needs only
the last value. This reads (run_id, key, last) as plain tuples, in chunks of run
ids, and leaves the shape of the result to the caller (query.py builds the wide
frame from it in one go).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from . import schema

if TYPE_CHECKING:
    from .store import Store

_IN_CHUNK = 500


def last_values(store: Store, run_ids: Sequence[str] | None) -> list[tuple[str, str, float | None]]:
    """(run id, key, last value) of every summary of `run_ids` (None: of every
    run); None stands for NaN, which the store keeps as NULL."""
    t = schema.summaries
    query = sa.select(t.c.run_id, t.c.key, t.c.last)
    if run_ids is None:
        statements = [query]
    else:
        ids = list(run_ids)
        statements = [
            query.where(t.c.run_id.in_(ids[i : i + _IN_CHUNK]))
            for i in range(0, len(ids), _IN_CHUNK)
        ]
    out: list[tuple[str, str, float | None]] = []
    with store.reading() as conn:
        for stmt in statements:
            # The driver's plain tuples: no Row object per key (a million of them).
            out += conn.execute(stmt).cursor.fetchall()
    return out
