"""A real S3-compatible server for the tests: moto's server mode in its own process
on a free port (as s3fs's own tests do), with one empty bucket."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

BUCKET = "nbtrack-team"
KEY = SECRET = "test"  # moto takes any credentials


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def moto_server(bucket: str = BUCKET) -> Iterator[str]:
    """The endpoint URL of a fresh moto S3 server holding an empty `bucket`."""
    import pytest

    pytest.importorskip("moto")
    s3fs = pytest.importorskip("s3fs")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a startup condition, not a bound on any test
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.2)
        s3fs.S3FileSystem(key=KEY, secret=SECRET, endpoint_url=url).mkdir(bucket)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)
