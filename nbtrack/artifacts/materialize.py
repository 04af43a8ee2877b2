"""Put a stored version on local disk: reflink where the file system supports it,
else a read-only hardlink where that is safe, else a copy. Never a path that,
written to, changes a stored blob."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from pathlib import Path

from .blobstore import Blobs, LocalBlobs
from .hashing import StatCache
from .manifest import parse_manifest

FICLONE = 0x40049409

# How the last file was placed, for tests and the benchmark: reflink, hardlink, copy.
last_method: str = ""


def _reflink(src: Path, dest: Path) -> bool:
    import fcntl

    try:
        with open(src, "rb") as s, open(dest, "wb") as d:
            fcntl.ioctl(d.fileno(), FICLONE, s.fileno())
        return True
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            dest.unlink()
        if exc.errno in (errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.EBADF):
            return False
        raise


def hardlink_is_safe() -> bool:
    """A read-only hardlink protects the blob only when permissions are enforced:
    never for root, who writes through a read-only mode."""
    return hasattr(os, "geteuid") and os.geteuid() != 0


def place_file(blobs: Blobs, digest: str, dest: Path, mode: int | None) -> str:
    """Write blob `digest` at `dest` (replacing what is there); returns the method."""
    global last_method
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
    try:
        if isinstance(blobs, LocalBlobs):
            src = blobs.existing(digest)
            if _reflink(src, tmp):
                method = "reflink"
            elif hardlink_is_safe() and mode is not None and not mode & 0o222:
                try:
                    os.link(src, tmp)
                    method = "hardlink"
                except OSError:
                    shutil.copyfile(src, tmp)
                    method = "copy"
            else:
                shutil.copyfile(src, tmp)
                method = "copy"
        else:
            blobs.download(digest, tmp)
            method = "download"
        if method != "hardlink" and mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    last_method = method
    return method


def _current(cache: StatCache, dest: Path, digest: str) -> bool:
    try:
        st = os.stat(dest, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return cache.get(str(dest), st) == digest


def materialize(
    blobs: Blobs, cache: StatCache, kind: str, digest: str, meta: dict, dest: Path
) -> Path:
    """The version's content at `dest` (a file path for a file or dataset, a
    folder for a folder). What is there already and unchanged is kept."""
    if kind in ("file", "dataset"):
        if not _current(cache, dest, digest):
            place_file(blobs, digest, dest, meta.get("mode", 0o644))
            cache.put_many([(str(dest), os.stat(dest), digest)], trusted=True)
        return dest
    entries = parse_manifest(blobs.read_bytes(digest))
    dest.mkdir(parents=True, exist_ok=True)
    placed = []
    for entry in entries:
        target = dest / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        if "link" in entry:
            if target.is_symlink() and os.readlink(target) == entry["link"]:
                continue
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            os.symlink(entry["link"], target)
            continue
        if _current(cache, target, entry["hash"]):
            continue
        place_file(blobs, entry["hash"], target, entry.get("mode"))
        placed.append((str(target), os.stat(target), entry["hash"]))
    cache.put_many(placed, trusted=True)
    return dest
