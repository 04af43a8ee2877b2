"""Whether a PostgreSQL session waits for a lock another transaction holds."""

from __future__ import annotations

import sqlalchemy as sa

_WAITING = (
    "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def waits_on_a_lock(engine: sa.Engine, pid: int | None = None) -> bool:
    """Whether the session `pid`, or any session of the engine's database when
    `pid` is None, waits for a lock (a row, an advisory lock) held by another."""
    query = _WAITING + ("" if pid is None else " AND pid = :pid")
    with engine.connect() as conn:
        return conn.execute(sa.text(query), {"pid": pid}).first() is not None
