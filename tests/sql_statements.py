"""The SQL statements a block of test code sends through an SQLAlchemy engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa


@contextmanager
def recorded(engine: sa.Engine, selects_only: bool = False) -> Iterator[list[str]]:
    """The statements sent through `engine` inside the block, in order (only the
    SELECTs, WITH queries included, when `selects_only`)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if not selects_only or statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
