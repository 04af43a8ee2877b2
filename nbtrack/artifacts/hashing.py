"""Streaming content hashes, checked against changes while hashing, and a stat
cache so that what did not change is never read again.

The hash is BLAKE3 (the `blake3` wheel): measured on the project's 2-core
machine it hashes about 2.1 GB/s from the page cache against 1.1 GB/s for
hashlib's SHA-256 and 5.8 GB/s for xxh3-128. xxHash is faster but not
collision resistant, and a content-addressed store shared by a team must not
conflate two different files; BLAKE3 is cryptographic and twice SHA-256's speed,
so disk I/O, not the hash, is the limit.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from .errors import ArtifactError

CHUNK = 1 << 20
ATTEMPTS = 3
# A file modified within this many seconds of its hash is not cached: a write
# in the same mtime tick would otherwise go unseen (git's "racy clean" problem).
RACY_S = 2.0
HASH_NAME = "blake3"


def new_hasher() -> Any:
    from blake3 import blake3

    return blake3()


def hash_bytes(data: bytes) -> str:
    h = new_hasher()
    h.update(data)
    return str(h.hexdigest())


def stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def changed_message(path: Path) -> str:
    return (
        f"{path} changed while nbtrack hashed it ({ATTEMPTS} attempts): stop whatever is "
        "writing it (or copy it somewhere stable) and log it again"
    )


def copy_hashing(src: BinaryIO, sinks: Iterable[Callable[[memoryview], Any]]) -> tuple[str, int]:
    """Read `src` to the end in chunks, feeding the hash and every sink; (hash, bytes)."""
    h = new_hasher()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    size = 0
    sinks = list(sinks)
    while n := src.readinto(buf):
        chunk = view[:n]
        h.update(chunk)
        for sink in sinks:
            sink(chunk)
        size += n
    return str(h.hexdigest()), size


def hash_file(path: Path) -> tuple[str, os.stat_result]:
    """The file's hash, streamed (never read whole), and its stat. A file whose
    stat differs before and after is hashed again; after ATTEMPTS, an ArtifactError."""
    for _ in range(ATTEMPTS):
        before = os.stat(path)
        with open(path, "rb") as f:
            digest, _size = copy_hashing(f, [])
        after = os.stat(path)
        if stat_key(before) == stat_key(after) and after.st_ctime_ns == before.st_ctime_ns:
            return digest, after
    raise ArtifactError(changed_message(path))


def _wal(conn: sqlite3.Connection, attempts: int = 600) -> None:
    """Put the cache in WAL mode (once per file: the mode is persistent). Changing
    the mode takes a lock that SQLite's busy timeout does not wait for, so two
    processes opening a new cache at once retry here instead of failing."""
    for _ in range(attempts):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.1)
    conn.execute("PRAGMA journal_mode=WAL")  # the last try raises what SQLite says


class StatCache:
    """(device, inode, size, mtime_ns) → hash per path, in an SQLite file under
    `.nbtrack/artifacts/`, so it survives processes. A hit costs a stat."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
        _wal(self._conn)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS stat_cache (path TEXT PRIMARY KEY, dev INTEGER, "
            "ino INTEGER, size INTEGER, mtime_ns INTEGER, hash TEXT NOT NULL)"
        )
        # A folder's manifest hash keyed by the digest of its files' stat keys: an
        # unchanged folder is re-logged for one stat per file, without a manifest.
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS folder_cache (path TEXT PRIMARY KEY, "
            "stat_digest TEXT NOT NULL, hash TEXT NOT NULL, size INTEGER, files INTEGER)"
        )
        self._conn.commit()

    def folder_get(self, path: str, stat_digest: str) -> tuple[str, int, int] | None:
        """(manifest hash, size, files) of the folder when its stat digest matches."""
        with self._lock:
            row = self._conn.execute(
                "SELECT stat_digest, hash, size, files FROM folder_cache WHERE path = ?", (path,)
            ).fetchone()
        if row is None or row[0] != stat_digest:
            return None
        return str(row[1]), int(row[2]), int(row[3])

    def folder_put(
        self, path: str, stat_digest: str, newest_mtime_ns: int, value: tuple[str, int, int]
    ) -> None:
        """Remember a folder's manifest hash, unless a file in it was modified in the
        last RACY_S seconds (a write in the same mtime tick would go unseen)."""
        if time.time_ns() - newest_mtime_ns <= RACY_S * 1e9:
            return
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO folder_cache (path, stat_digest, hash, size, files) "
                "VALUES (?, ?, ?, ?, ?)",
                (path, stat_digest, *value),
            )
            self._conn.commit()

    def lookup_many(self, prefix: str) -> dict[str, tuple[tuple[int, int, int, int], str]]:
        """Every cached entry whose path is `prefix` or under it."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT path, dev, ino, size, mtime_ns, hash FROM stat_cache "
                "WHERE path = ? OR (path >= ? AND path < ?)",
                (prefix, prefix + "/", prefix + "0"),
            ).fetchall()
        return {p: ((d, i, s, m), h) for p, d, i, s, m, h in rows}

    def get(self, path: str, st: os.stat_result) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT dev, ino, size, mtime_ns, hash FROM stat_cache WHERE path = ?", (path,)
            ).fetchone()
        if row is None or tuple(row[:4]) != stat_key(st):
            return None
        return str(row[4])

    def put_many(
        self, entries: Iterable[tuple[str, os.stat_result, str]], trusted: bool = False
    ) -> None:
        """Remember hashes. Files modified in the last RACY_S seconds are left out
        unless `trusted` (nbtrack wrote them itself, from the blob of that hash)."""
        now_ns = time.time_ns()
        rows = [
            (p, *stat_key(st), h)
            for p, st, h in entries
            if trusted or now_ns - st.st_mtime_ns > RACY_S * 1e9
        ]
        if not rows:
            return
        with self._lock:
            self._conn.executemany(
                "INSERT OR REPLACE INTO stat_cache (path, dev, ino, size, mtime_ns, hash) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._conn.commit()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
