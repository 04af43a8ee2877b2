"""A SQLite store's file, without SQLAlchemy: its path in a URL, its folder, its
connections' settings, and what a failed operation on it tells the user."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..config import ignore_in_git
from ..errors import StoreError
from .urls import mask_text, mask_url

SQLITE_BUSY_TIMEOUT_S = 60.0
_PREFIX = "sqlite:///"


def plain_sqlite_path(url: str) -> Path | None:
    """The file of a plain `sqlite:///path` URL (the form nbtrack writes); None for
    anything else (another driver, query options, an in-memory database)."""
    if not url.startswith(_PREFIX) or "?" in url:
        return None
    database = url[len(_PREFIX) :]
    if not database or database == ":memory:":
        return None
    return Path(database)


def prepare_sqlite_folder(path: Path) -> None:
    folder = path.parent
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the store folder {folder}: {exc}") from exc
    if created and folder.name == ".nbtrack":
        ignore_in_git(folder)  # the store never shows in `git status`


def connect(path: Path) -> sqlite3.Connection:
    """A connection as the store's engine makes them: autocommit (we issue BEGIN
    ourselves, IMMEDIATE for writes), the busy timeout, WAL."""
    db = sqlite3.connect(
        str(path), timeout=SQLITE_BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None
    )
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        db.close()
        raise
    return db


def error_for(url: str, text: str, operational: bool) -> StoreError:
    """The StoreError a user gets for a driver error whose message is `text`."""
    url = mask_url(url)
    text = mask_text(text)
    lowered = text.lower()
    if "database is locked" in lowered or "database is busy" in lowered:
        return StoreError(
            f"the store {url} stayed locked by another process for {SQLITE_BUSY_TIMEOUT_S:.0f} s; "
            "nothing was lost from this run's buffer. Find the process holding it "
            "(e.g. `fuser` on the .db file) or retry."
        )
    if "disk is full" in lowered or "no space left" in lowered:
        return StoreError(
            f"disk full: the disk holding the store {url} has no space left ({text}); "
            "nbtrack keeps the points it could not write and writes them once you free space"
        )
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return StoreError(
            f"the store {url} is corrupted or not an SQLite database ({text}); "
            "move it aside and nbtrack will start a new one, or restore it from a backup"
        )
    if "unable to open" in lowered or "readonly" in lowered or "permission" in lowered:
        return StoreError(f"cannot open the store {url} ({text}); check the path and permissions")
    first = text.strip().splitlines()[0] if text.strip() else text
    if "deadlock detected" in lowered:  # PostgreSQL aborted this transaction
        return StoreError(
            f"the store {url} cancelled this operation to end a deadlock with another "
            "transaction (nothing of it was written; it can be run again)"
        )
    if operational:
        return StoreError(f"cannot reach the store {url}: {first}")
    return StoreError(f"the store {url} refused an operation: {first}")
