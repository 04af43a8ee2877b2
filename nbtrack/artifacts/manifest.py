"""Folder manifests: one entry per file (relative path, hash, size, mode) or
symlink (its target, never followed), in a canonical JSON whose hash is the
folder's version hash. Pure apart from `scan`, which walks the disk."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ArtifactError
from .hashing import hash_bytes

FORMAT = 1


@dataclass
class Entry:
    path: str  # relative, '/'-separated
    size: int
    mode: int
    hash: str = ""
    link: str | None = None
    st: os.stat_result | None = None
    source: str | None = None  # the file's path (a string: 100,000 Paths cost)

    def as_json(self) -> dict[str, Any]:
        if self.link is not None:
            return {"path": self.path, "link": self.link}
        return {"path": self.path, "hash": self.hash, "size": self.size, "mode": self.mode}


Raw = tuple[str, "os.stat_result | None", "str | None", str]  # (path, stat, link, source)


def scan_raw(folder: Path) -> list[Raw]:
    """Every file and symlink under `folder` as (relative path, stat, link target,
    source path), sorted by path; stat only, no reads. Symlinks are recorded as
    links, whatever they point at; special files (sockets, devices, fifos) are
    refused."""
    out: list[Raw] = []
    stack = [(str(folder), "")]
    while stack:
        base, rel = stack.pop()
        with os.scandir(base) as it:
            for item in it:
                name = f"{rel}{item.name}"
                if item.is_symlink():
                    out.append((name, None, os.readlink(item.path), item.path))
                elif item.is_dir(follow_symlinks=False):
                    stack.append((item.path, name + "/"))
                elif item.is_file(follow_symlinks=False):
                    out.append((name, item.stat(follow_symlinks=False), None, item.path))
                else:
                    raise ArtifactError(
                        f"{item.path} is not a regular file, folder or symlink (a socket, "
                        "device or fifo): move it out of the folder, then log it again"
                    )
    out.sort(key=lambda r: r[0])
    return out


def entries_of(raw: list[Raw]) -> list[Entry]:
    return [
        Entry(name, 0, 0, link=link)
        if st is None
        else Entry(name, st.st_size, st.st_mode & 0o7777, st=st, source=source)
        for name, st, link, source in raw
    ]


def scan(folder: Path) -> list[Entry]:
    """`scan_raw` as manifest entries (hashes not filled in yet)."""
    return entries_of(scan_raw(folder))


def stat_digest(raw: list[Raw]) -> tuple[str, int]:
    """A digest of every path, stat key, mode and link target of a scan, and the
    newest mtime (ns): the same digest means no file was touched since (the
    folder cache's key; files modified within the racy window are never cached)."""
    parts = []
    newest = 0
    for name, st, link, _source in raw:
        if st is None:
            parts.append(f"{name}\0->{link}")
        else:
            parts.append(
                f"{name}\0{st.st_dev}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_mode}"
            )
            newest = max(newest, st.st_mtime_ns)
    return hash_bytes("\n".join(parts).encode("utf-8", "surrogateescape")), newest


def manifest_bytes(entries: list[Entry]) -> bytes:
    doc = {"format": FORMAT, "entries": [e.as_json() for e in entries]}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def manifest_hash(data: bytes) -> str:
    return hash_bytes(data)


def parse_manifest(data: bytes) -> list[dict[str, Any]]:
    doc = json.loads(data)
    return list(doc["entries"])
