"""The ``.nbtrack`` archive: a zip of JSON-lines tables, a git bundle of the runs'
snapshots and a versioned manifest carrying a SHA-256 of every member.

Rows are JSON with Python's float repr (exact, bit for bit) and ``NaN`` /
``Infinity`` tokens, so every metric value survives. Reading checks the format
version first (an archive from a newer nbtrack is refused, naming both
versions) and every member's size and digest before anything is imported.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from nbtrack.errors import NbtrackError

FORMAT = "nbtrack-archive"
#: Bumped when an older nbtrack could not read what this one writes.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BUNDLE = "snapshots.bundle"
#: Members read on demand, streamed and checked as they are copied out.
LAZY_PREFIX = "blobs/"
CHUNK = 1 << 20


class TransferError(NbtrackError):
    """Runs could not be exported, imported or copied."""


class ArchiveTooNewError(TransferError):
    """The archive was written by a newer nbtrack than this one."""


class DamagedArchiveError(TransferError):
    """The archive is truncated, corrupted or not an nbtrack archive."""


def table_member(name: str) -> str:
    return f"tables/{name}.jsonl"


def encode_rows(rows: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for r in rows
    )


def decode_rows(data: bytes) -> Iterator[dict[str, Any]]:
    for line in data.splitlines():
        if line:
            yield json.loads(line)


class ArchiveWriter:
    """Write members one by one, then the manifest (last, so a cut file has none)."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = Path(path)
        self.header = header
        self.members: dict[str, dict[str, Any]] = {}
        self._tmp = self.path.with_name(f".{self.path.name}.partial")
        self._zip = zipfile.ZipFile(self._tmp, "w", compression=zipfile.ZIP_DEFLATED)

    def add(self, name: str, data: bytes, **info: Any) -> None:
        self._zip.writestr(name, data)
        self.members[name] = {
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            **info,
        }

    def add_stream(self, name: str, src: Any, **info: Any) -> None:
        """A member copied from the binary file ``src`` in chunks (artifact blobs:
        never whole in memory), stored uncompressed: large artifacts (Parquet, images,
        weights) are compressed already, and deflating them was most of export's time."""
        import time

        digest, size = hashlib.sha256(), 0
        entry = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
        entry.compress_type = zipfile.ZIP_STORED
        entry.external_attr = 0o644 << 16
        with self._zip.open(entry, "w", force_zip64=True) as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        self.members[name] = {"bytes": size, "sha256": digest.hexdigest(), **info}

    def close(self) -> None:
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, **self.header}
        manifest["members"] = self.members
        self._zip.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        self._zip.close()
        self._tmp.replace(self.path)  # no half-written archive under the final name

    def abort(self) -> None:
        self._zip.close()
        self._tmp.unlink(missing_ok=True)


def read_archive(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every member, checked; raises a `TransferError` subclass.

    Members under ``blobs/`` (artifact blobs, possibly large) are only checked to be
    present here: `extract_member` streams and checks each."""
    from nbtrack import __version__

    path = Path(path)
    damaged = (
        f"{path} is not a complete nbtrack archive (truncated or corrupted?); nothing "
        f"was imported. Export it again"
    )
    if not path.is_file():
        raise TransferError(f"{path} does not exist")
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read(MANIFEST))
            _check_version(manifest, path, __version__)
            members = {}
            for name in manifest["members"]:
                if name.startswith(LAZY_PREFIX):
                    zf.getinfo(name)  # present (KeyError: damaged)
                else:
                    members[name] = zf.read(name)
    except TransferError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise DamagedArchiveError(f"{damaged} ({exc}).") from exc
    for name, info in manifest["members"].items():
        if name not in members:
            continue
        data = members[name]
        if len(data) != info["bytes"] or hashlib.sha256(data).hexdigest() != info["sha256"]:
            raise DamagedArchiveError(f"{damaged} ({name} does not match its checksum).")
    return manifest, members


def _check_version(manifest: dict[str, Any], path: Path, ours: str) -> None:
    if manifest.get("format") != FORMAT:
        raise DamagedArchiveError(f"{path} is not an nbtrack archive (no {FORMAT} manifest)")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ArchiveTooNewError(
            f"{path} was written by nbtrack {manifest.get('nbtrack_version', '?')} "
            f"(archive format {version}); this nbtrack {ours} reads formats up to "
            f"{FORMAT_VERSION}. Upgrade nbtrack (pip install -U nbtrack) to import it."
        )


def extract_member(path: Path, name: str, info: dict[str, Any], dest: Path) -> None:
    """Copy the member ``name`` to the file ``dest`` in chunks, checking its size and
    SHA-256 against the manifest's ``info``."""
    digest, size = hashlib.sha256(), 0
    try:
        with zipfile.ZipFile(path) as zf, zf.open(name) as src, open(dest, "wb") as out:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise DamagedArchiveError(
            f"{path}: cannot read {name} ({exc}); nothing was imported. Export it again"
        ) from exc
    if size != info["bytes"] or digest.hexdigest() != info["sha256"]:
        raise DamagedArchiveError(
            f"{path} is not a complete nbtrack archive ({name} does not match its "
            "checksum); nothing was imported. Export it again"
        )
