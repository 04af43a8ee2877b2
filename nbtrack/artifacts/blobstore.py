"""Where blobs live: a local folder (default `<project>/.nbtrack/artifacts/`) or
any fsspec URL (`s3://bucket/prefix`, `file:///...`, ...).

A blob is stored at `blobs/<h[:2]>/<h>`. It becomes visible only complete:
written under `tmp/` and renamed (locally, and on file systems with a rename);
on object stores a PUT is atomic, so the object appears whole or not at all.
A crash mid-write leaves at most a file under `tmp/` or, on S3, an unfinished
multipart upload (invisible as an object, but its parts are kept and billed
until aborted); gc removes both.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..store.urls import mask_text, mask_url
from .errors import ArtifactError, ArtifactStorageError
from .hashing import copy_hashing, hash_file, stat_key

# Object stores whose PUT is atomic and which have no cheap rename.
_ATOMIC_PUT = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory"}
# How `list_temp` names an unfinished S3 multipart upload: `s3-upload:<bucket/key>?<id>`.
UPLOAD_MARK = "s3-upload:"


class HashingWriter(io.RawIOBase):
    """A write-only binary file that hashes what passes through it to `raw`."""

    def __init__(self, raw: Any) -> None:
        from .hashing import new_hasher

        self.raw = raw
        self.size = 0
        self._hash = new_hasher()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._hash.update(view)
        self.raw.write(view)
        self.size += len(view)
        return len(view)

    def hexdigest(self) -> str:
        return str(self._hash.hexdigest())


def blob_key(digest: str) -> str:
    return f"blobs/{digest[:2]}/{digest}"


class LocalBlobs:
    """Blobs in a folder on this machine."""

    remote = False

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = str(root)
        try:
            (root / "tmp").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArtifactStorageError(
                f"cannot create the artifact folder {root}: {exc}; check the path and "
                "permissions ([tool.nbtrack] artifacts / NBTRACK_ARTIFACTS)"
            ) from exc

    def path(self, digest: str) -> Path:
        return self.root / blob_key(digest)

    def has(self, digest: str) -> bool:
        return self.path(digest).exists()

    def size(self, digest: str) -> int | None:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            return None

    @contextlib.contextmanager
    def _temp(self) -> Iterator[Path]:
        tmp = self.root / "tmp" / f"{uuid.uuid4().hex}.part"
        try:
            yield tmp
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def _commit(self, tmp: Path, digest: str) -> None:
        final = self.path(digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)
        os.replace(tmp, final)  # same bytes if it already existed: harmless

    def put_file(self, path: Path | str, digest: str | None = None) -> tuple[str, os.stat_result]:
        """Store the file at `path`; returns (hash, stat of the source). With a known
        `digest` whose blob exists, nothing is read."""
        try:
            return self._put_file(path, digest)
        except OSError as exc:
            raise ArtifactStorageError(
                f"cannot store {path} in {self.root}: {exc.strerror or exc}. Check that the "
                "file is readable and the disk holding the artifact store has space; "
                "nothing was recorded"
            ) from exc

    def _put_file(self, path: Path | str, digest: str | None) -> tuple[str, os.stat_result]:
        # Hash (one streaming read), then copy in the kernel (copy_file_range via
        # shutil): measured 3x faster than hashing and writing from Python, and the
        # same I/O as `cat` + `cp`. A stat before the hash and after the copy
        # proves the bytes copied are the bytes hashed.
        if digest is not None and self.has(digest):
            return digest, os.stat(path)
        for _ in range(3):
            before = os.stat(path)
            with open(path, "rb") as src:
                got, _n = copy_hashing(src, [])
            if self.has(got):
                after = os.stat(path)
                if stat_key(before) == stat_key(after):
                    return got, after
                continue
            with self._temp() as tmp:
                shutil.copyfile(path, tmp)
                after = os.stat(path)
                if stat_key(before) != stat_key(after):
                    continue
                self._commit(tmp, got)
                return got, after
        from .hashing import changed_message

        raise ArtifactError(changed_message(Path(path)))

    def put_temp(self, writer: Any) -> tuple[str, int]:
        """Store what `writer(path)` writes into a fresh temporary file."""
        with self._temp() as tmp:
            writer(tmp)
            digest, st = hash_file(tmp)
            self._commit(tmp, digest)
            return digest, st.st_size

    def put_stream(self, writer: Any) -> tuple[str, int]:
        """Store what `writer(file)` writes into a binary file object, hashed on the
        way (no second read of the bytes)."""
        with self._temp() as tmp:
            with open(tmp, "wb") as raw:
                sink = HashingWriter(raw)
                writer(sink)
            digest = sink.hexdigest()
            self._commit(tmp, digest)
            return digest, sink.size

    def put_bytes(self, data: bytes, digest: str) -> None:
        if self.has(digest):
            return
        with self._temp() as tmp:
            tmp.write_bytes(data)
            self._commit(tmp, digest)

    def _missing(self, digest: str) -> ArtifactStorageError:
        return ArtifactStorageError(
            f"blob {digest[:12]} is missing from {self.root}: its files were never stored "
            "here (logged in another clone, or an archive imported without "
            "--with-artifacts) or were pruned or moved. `nbtrack pull` fetches a "
            "teammate's blobs once they `nbtrack push`; else import the archive again "
            "with --with-artifacts, or log the artifact again"
        )

    def existing(self, digest: str) -> Path:
        """The path of blob `digest`, which must be there (ArtifactStorageError)."""
        path = self.path(digest)
        if not path.is_file():
            raise self._missing(digest)
        return path

    def read_bytes(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError as exc:
            raise self._missing(digest) from exc

    def open(self, digest: str) -> Any:
        return open(self.path(digest), "rb")

    def list_blobs(self) -> Iterator[tuple[str, int, float]]:
        """(hash, size, mtime) of every stored blob."""
        base = self.root / "blobs"
        if not base.is_dir():
            return
        for sub in os.scandir(base):
            if sub.is_dir():
                for entry in os.scandir(sub.path):
                    st = entry.stat()
                    yield entry.name, st.st_size, st.st_mtime

    def list_temp(self) -> Iterator[tuple[str, int, float]]:
        base = self.root / "tmp"
        if base.is_dir():
            for entry in os.scandir(base):
                st = entry.stat()
                yield entry.path, st.st_size, st.st_mtime

    def remove(self, key: str) -> None:
        """Remove a blob (by hash) or a temporary file (by path)."""
        target = Path(key) if os.sep in key else self.path(key)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()


class RemoteBlobs:
    """Blobs under an fsspec URL. Every storage error names the URL (masked)."""

    remote = True

    def __init__(self, url: str, options: dict[str, Any] | None = None) -> None:
        self.url = url
        self.shown = mask_url(url)
        with self._errors("open"):
            from fsspec.core import url_to_fs

            self.fs, self.base = url_to_fs(url, **(options or {}))
        protocol = self.fs.protocol
        protocols = {protocol} if isinstance(protocol, str) else set(protocol)
        self.atomic_put = bool(protocols & _ATOMIC_PUT)

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except ArtifactError:
            raise
        except Exception as exc:  # fsspec back ends raise anything: name the URL
            text = mask_text(f"{type(exc).__name__}: {exc}").strip().splitlines()
            raise ArtifactStorageError(
                f"cannot {what} the artifact storage {self.shown}: "
                f"{text[0] if text else type(exc).__name__}. Check the URL, credentials and "
                "network ([tool.nbtrack] artifacts / NBTRACK_ARTIFACTS); nothing was recorded"
            ) from None

    def _key(self, digest: str) -> str:
        return f"{self.base.rstrip('/')}/{blob_key(digest)}"

    def has(self, digest: str) -> bool:
        with self._errors("read"):
            return bool(self.fs.exists(self._key(digest)))

    def size(self, digest: str) -> int | None:
        with self._errors("read"):
            try:
                return int(self.fs.size(self._key(digest)))
            except FileNotFoundError:
                return None

    def _upload(self, local: Path, digest: str) -> None:
        key = self._key(digest)
        with self._errors("write to"):
            if self.fs.exists(key):
                return
            if self.atomic_put:
                self.fs.put_file(str(local), key)
            else:
                tmp = f"{self.base.rstrip('/')}/tmp/{uuid.uuid4().hex}.part"
                self.fs.makedirs(f"{self.base.rstrip('/')}/tmp", exist_ok=True)
                self.fs.makedirs(key.rsplit("/", 1)[0], exist_ok=True)
                self.fs.put_file(str(local), tmp)
                self.fs.mv(tmp, key)

    def put_file(self, path: Path, digest: str | None = None) -> tuple[str, os.stat_result]:
        if digest is None:
            digest, st = hash_file(path)
        else:
            st = os.stat(path)
        self._upload(path, digest)
        return digest, st

    def put_temp(self, writer: Any) -> tuple[str, int]:
        with tempfile.TemporaryDirectory(prefix="nbtrack-") as folder:
            tmp = Path(folder) / "blob"
            writer(tmp)
            digest, st = hash_file(tmp)
            self._upload(tmp, digest)
            return digest, st.st_size

    def put_stream(self, writer: Any) -> tuple[str, int]:
        with tempfile.TemporaryDirectory(prefix="nbtrack-") as folder:
            tmp = Path(folder) / "blob"
            with open(tmp, "wb") as raw:
                sink = HashingWriter(raw)
                writer(sink)
            digest = sink.hexdigest()
            self._upload(tmp, digest)
            return digest, sink.size

    def put_bytes(self, data: bytes, digest: str) -> None:
        with tempfile.TemporaryDirectory(prefix="nbtrack-") as folder:
            tmp = Path(folder) / "blob"
            tmp.write_bytes(data)
            self._upload(tmp, digest)

    def read_bytes(self, digest: str) -> bytes:
        with self._errors("read"):
            return bytes(self.fs.cat_file(self._key(digest)))

    def download(self, digest: str, dest: Path) -> None:
        """The blob into `dest` (written beside it, then renamed)."""
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
        try:
            with self._errors("read"):
                self.fs.get_file(self._key(digest), str(tmp))
            os.replace(tmp, dest)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def open(self, digest: str) -> Any:
        with self._errors("read"):
            return self.fs.open(self._key(digest), "rb")

    def list_blobs(self) -> Iterator[tuple[str, int, float]]:
        with self._errors("list"):
            base = f"{self.base.rstrip('/')}/blobs"
            if not self.fs.exists(base):
                return
            found = self.fs.find(base, detail=True)
        for path, info in found.items():
            yield path.rsplit("/", 1)[-1], int(info.get("size") or 0), _mtime(info)

    def list_temp(self) -> Iterator[tuple[str, int, float]]:
        base = f"{self.base.rstrip('/')}/tmp"
        with self._errors("list"):
            found = self.fs.find(base, detail=True) if self.fs.exists(base) else {}
        for path, info in found.items():
            yield path, int(info.get("size") or 0), _mtime(info)
        yield from self._unfinished_uploads()

    def _unfinished_uploads(self) -> Iterator[tuple[str, int, float]]:
        """S3 multipart uploads under the prefix that never completed (a writer
        killed mid-upload): (UPLOAD_MARK name, bytes of their parts, start time)."""
        call = getattr(self.fs, "call_s3", None)
        if call is None:
            return
        bucket, _, prefix = self.base.strip("/").partition("/")
        with self._errors("list"):
            uploads = call(
                "list_multipart_uploads", Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""
            ).get("Uploads", [])
            for up in uploads:
                parts = call(
                    "list_parts", Bucket=bucket, Key=up["Key"], UploadId=up["UploadId"]
                ).get("Parts", [])
                size = sum(int(part.get("Size") or 0) for part in parts)
                started = up.get("Initiated")
                when = float(started.timestamp()) if hasattr(started, "timestamp") else 0.0
                yield f"{UPLOAD_MARK}{bucket}/{up['Key']}?{up['UploadId']}", size, when

    def remove(self, key: str) -> None:
        if key.startswith(UPLOAD_MARK):
            path, _, upload_id = key[len(UPLOAD_MARK) :].rpartition("?")
            bucket, _, name = path.partition("/")
            with self._errors("delete from"):
                self.fs.call_s3(
                    "abort_multipart_upload", Bucket=bucket, Key=name, UploadId=upload_id
                )
            return
        target = key if "/" in key else self._key(key)
        with self._errors("delete from"):
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(target)


def _mtime(info: dict[str, Any]) -> float:
    value = info.get("LastModified") or info.get("mtime") or info.get("created") or 0
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return float(value or 0)


Blobs = LocalBlobs | RemoteBlobs


def open_blobs(
    root: Path, settings: dict[str, Any], environ: dict[str, str] | None = None
) -> Blobs:
    """The project's blob storage: NBTRACK_ARTIFACTS, else `[tool.nbtrack] artifacts`,
    else `<root>/.nbtrack/artifacts/`."""
    env = os.environ if environ is None else environ
    url = env.get("NBTRACK_ARTIFACTS") or settings.get("artifacts")
    if url is not None and not isinstance(url, str):
        raise ArtifactError(
            f"[tool.nbtrack] artifacts in {root / 'pyproject.toml'} must be a path or URL string"
        )
    if not url:
        from ..config import private_folder

        return LocalBlobs(private_folder(root, "artifacts"))
    options = settings.get("artifacts_options") or {}
    if "://" not in url:
        path = Path(url).expanduser()
        return LocalBlobs(path if path.is_absolute() else root / path)
    if url.startswith("file://"):
        return LocalBlobs(Path(url[len("file://") :]))
    return RemoteBlobs(url, options)


def copy_file(src: Path, dest: Path) -> None:
    shutil.copyfile(src, dest)
