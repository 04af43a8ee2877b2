"""Real failures for the outage tests: a PostgreSQL cluster of the test's own
that it stops and starts (as a user's server goes down), and a tiny tmpfs
that fills up. Both need root (CI runs as root); elsewhere they skip, and
under CI=true they fail instead, so CI can never pass without them."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest


def need(condition: bool, why: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test: {why}")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """A throwaway PostgreSQL cluster on a Unix socket, run as the postgres user."""

    def __init__(self, folder: Path) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        need(bool(bins), "PostgreSQL's server binaries are not installed")
        need(os.geteuid() == 0 and shutil.which("su") is not None, "needs root to run as postgres")
        self.bin = Path(bins[-1]).parent
        self.folder = folder
        self.data = folder / "data"
        self.port = _free_port()
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o777)
        self._as_postgres(f"{self.bin}/initdb -D {self.data} -A trust -U postgres >/dev/null")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@/postgres?host={self.folder}&port={self.port}"

    def _as_postgres(self, command: str) -> None:
        subprocess.run(["su", "postgres", "-c", command], check=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=''"
        self._as_postgres(
            f'{self.bin}/pg_ctl -D {self.data} -o "{options}" -l {self.folder}/log -w start'
            " >/dev/null"
        )

    def stop(self) -> None:
        self._as_postgres(f"{self.bin}/pg_ctl -D {self.data} -m fast -w stop >/dev/null")


class TinyDisk:
    """A tmpfs of a given size mounted for the test."""

    def __init__(self, folder: Path, size: str) -> None:
        need(os.geteuid() == 0, "mounting a tmpfs needs root")
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
        )
        need(done.returncode == 0, f"cannot mount a tmpfs here: {done.stderr.strip()}")
        self.folder = folder

    def fill(self, leave: int) -> Path:
        """Fill the disk, leaving about `leave` bytes free."""
        filler = self.folder / "filler"
        st = os.statvfs(self.folder)
        free = st.f_bavail * st.f_frsize
        with open(filler, "wb") as fh:
            fh.write(b"\0" * max(0, free - leave))
        return filler

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.folder)], check=False)
