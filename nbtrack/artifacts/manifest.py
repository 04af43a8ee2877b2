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


def scan(folder: Path) -> list[Entry]:
    """Every file and symlink under `folder`, sorted by path; stat only, no reads.
    Symlinks are recorded as links, whatever they point at; special files
    (sockets, devices, fifos) are refused."""
    entries: list[Entry] = []
    stack = [(str(folder), "")]
    while stack:
        base, rel = stack.pop()
        with os.scandir(base) as it:
            for item in it:
                name = f"{rel}{item.name}"
                if item.is_symlink():
                    entries.append(Entry(name, 0, 0, link=os.readlink(item.path)))
                elif item.is_dir(follow_symlinks=False):
                    stack.append((item.path, name + "/"))
                elif item.is_file(follow_symlinks=False):
                    st = item.stat(follow_symlinks=False)
                    entries.append(
                        Entry(name, st.st_size, st.st_mode & 0o7777, st=st, source=item.path)
                    )
                else:
                    raise ArtifactError(
                        f"{item.path} is not a regular file, folder or symlink (a socket, "
                        "device or fifo): move it out of the folder, then log it again"
                    )
    entries.sort(key=lambda e: e.path)
    return entries


def manifest_bytes(entries: list[Entry]) -> bytes:
    doc = {"format": FORMAT, "entries": [e.as_json() for e in entries]}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def manifest_hash(data: bytes) -> str:
    return hash_bytes(data)


def parse_manifest(data: bytes) -> list[dict[str, Any]]:
    doc = json.loads(data)
    return list(doc["entries"])
