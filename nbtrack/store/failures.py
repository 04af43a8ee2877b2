"""What a failed write means: the store is away for now (retry, keep the points),
or it refuses these rows for their content (find and drop only those rows)."""

from __future__ import annotations

import sys

_TRANSIENT_WORDS = (
    "database is locked",
    "database is busy",
    "disk is full",
    "disk full",
    "no space left",
    "disk i/o error",
    "unable to open",
    "readonly",
    "connection",
    "server closed",
    "terminating",
    "could not connect",
    "timeout",
    "timed out",
    "the database system is",
    "cannot reach the store",
    "no such table",
    "does not exist",
    "undefinedtable",
    "read-only",
)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        orig = getattr(current, "orig", None)
        current = (
            orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
        )
    return seen


def is_transient(exc: BaseException) -> bool:
    """True when retrying the same rows later can succeed: the store is locked,
    unreachable, out of disk or restarting. False when the rows themselves are
    refused (a constraint, a value out of range, text the driver cannot encode)."""
    away: tuple[type[BaseException], ...] = (OSError,)  # refused, reset, timeouts, I/O
    sa = sys.modules.get("sqlalchemy")  # never imported: none of its errors can occur
    if sa is not None:
        away += (
            sa.exc.OperationalError,
            sa.exc.InterfaceError,
            sa.exc.DisconnectionError,
            sa.exc.TimeoutError,
        )
    links = _chain(exc)
    for link in links:
        if isinstance(link, away):
            return True
        name = type(link).__name__
        if name in ("OperationalError", "InterfaceError") and type(link).__module__.startswith(
            ("psycopg", "sqlite3")
        ):
            return True
    text = " ".join(f"{type(link).__name__} {link}" for link in links).lower()
    if any(isinstance(link, (ValueError, OverflowError, TypeError)) for link in links):
        return False
    return any(word in text for word in _TRANSIENT_WORDS)


def is_disk_full(exc: BaseException) -> bool:
    text = " ".join(str(link) for link in _chain(exc)).lower()
    return "disk is full" in text or "no space left" in text or "disk full" in text
