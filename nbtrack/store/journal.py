"""A local journal for what the store could not take yet.

When the store is away (a database server down, a locked or full disk), the
writer appends its batches, and a run's final update, to a JSON-lines file in
`<project>/.nbtrack/journal/<store key>/`. The next time any nbtrack process
writes to that store it replays the files, in order and each in one
transaction, then deletes them. A file belongs to the process that writes it
(`<host>-<pid>-<n>.jsonl`); another process replays it only once that process
has ended, so no point is written twice or lost to a file still growing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..processes import host_name, pid_alive
from .urls import mask_url

_HOST = re.sub(r"[^A-Za-z0-9_]", "_", host_name())

Record = dict[str, Any]


def journal_folder(root: Path, store_url: str) -> Path:
    """Where a project's journal for one store lives (not created here)."""
    key = hashlib.sha256(store_url.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return root / ".nbtrack" / "journal" / key


class Journal:
    """The journal files of one store, seen from one process."""

    def __init__(self, folder: Path, store_url: str) -> None:
        self.folder = folder
        self.store_url = store_url
        self._n = 0

    @property
    def _prefix(self) -> str:
        return f"{_HOST}-{os.getpid()}-"

    def current_file(self) -> Path:
        return self.folder / f"{self._prefix}{self._n:06d}.jsonl"

    def append(self, records: list[Record]) -> Path:
        """Append records durably enough to survive the process being killed
        (the OS keeps written pages); raises OSError when the disk refuses."""
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / "STORE").write_text(
                f"journal of the nbtrack store {mask_url(self.store_url)}\n", encoding="utf-8"
            )
        path = self.current_file()
        text = "".join(
            json.dumps(r, ensure_ascii=False, allow_nan=True, separators=(",", ":")) + "\n"
            for r in records
        )
        data = text.encode("utf-8", "surrogatepass")
        with open(path, "ab") as fh:
            fh.write(data)
            fh.flush()
        return path

    def pending(self) -> list[Path]:
        """Files this process may replay now: its own, and those of ended processes."""
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("*.jsonl")):
            host, _, rest = path.name.partition("-")
            pid_text = rest.split("-", 1)[0]
            if host != _HOST or not pid_text.isdigit():
                continue
            pid = int(pid_text)
            if pid == os.getpid() or not pid_alive(pid):
                out.append(path)
        return out

    def claim(self) -> Iterator[tuple[Path, list[Record]]]:
        """Yield (claimed file, its records) for each replayable file; the caller
        deletes the file once its records are in the store. Claiming renames the
        file, so two processes never replay the same one, and this process's next
        spill starts a new file."""
        for path in self.pending():
            if path.name.startswith(self._prefix):
                self._n += 1
            claimed = path.with_suffix(f".replaying-{os.getpid()}")
            try:
                os.rename(path, claimed)
            except FileNotFoundError:
                continue
            records = []
            with open(claimed, "rb") as fh:
                for line in fh:
                    try:
                        records.append(json.loads(line.decode("utf-8", "surrogatepass")))
                    except (ValueError, UnicodeDecodeError):
                        continue  # a line cut short by a kill: everything before it counts
            yield claimed, records

    def release_claim(self, claimed: Path, done: bool) -> None:
        """Delete a replayed file, or give it back for a later attempt."""
        if done:
            claimed.unlink(missing_ok=True)
        else:
            os.rename(claimed, claimed.with_suffix(".jsonl"))
