"""The REST API and the server log never show the store's password."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest

PASSWORD = "pw-7a1c9e33b0d2"


@pytest.fixture
def store_url(project: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A PostgreSQL URL with a password, on a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://ada:{PASSWORD}@127.0.0.1:{port}/runs"
    monkeypatch.setenv("NBTRACK_STORE", url)
    return url


async def test_an_unreachable_store_answers_503_without_its_password(
    api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    reply = await api("GET", "runs")
    assert reply.status == 503
    assert "cannot reach the store postgresql+psycopg://ada:***@127.0.0.1" in reply.body["message"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "cannot reach the store" in logged  # the server log has the error too...
    assert PASSWORD not in logged + reply.body["message"]  # ...and neither has the password
