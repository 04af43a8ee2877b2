"""`POST runs/{ref}/verify`: `nbtrack verify` started by the server in the background,
one at a time per run, authenticated and XSRF-protected; its verdict reaches the run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from test_auth_and_paths import _login, _raw, _url

#: Seconds to wait for a verify subprocess to end (a guard, not a speed bound).
GIVE_UP_S = 600


async def _wait_done(api: Any, ref: str) -> dict[str, Any]:
    """The job's state once it stopped running."""
    for _ in range(GIVE_UP_S * 5):
        state = (await api("GET", "runs", ref, "verify")).body
        if not state["running"]:
            return state
        await asyncio.sleep(0.2)
    raise AssertionError(f"nbtrack verify {ref} still runs after {GIVE_UP_S} s")


async def test_unknown_runs_are_404(api: Any, three_runs: Any) -> None:
    missing = await api("POST", "runs", "train#99", "verify")
    assert missing.status == 404 and "train#99" in missing.body["message"]
    assert (await api("GET", "runs", "nothing-like-it", "verify")).status == 404


async def test_no_job_yet_reads_as_not_running(api: Any, three_runs: Any) -> None:
    state = (await api("GET", "runs", "train#1", "verify")).body
    assert state == {"running": False, "exit_code": None, "error": None}


async def test_a_run_without_snapshot_ends_with_the_commands_message(
    api: Any, three_runs: Any
) -> None:
    started = await api("POST", "runs", "train#1", "verify")
    assert (started.status, started.body) == (202, {"started": True})
    state = await _wait_done(api, "train#1")
    assert state["exit_code"] not in (None, 0)
    assert "snapshot" in state["error"], state
    assert (await api("GET", "runs", "train#1")).body["verdict"] is None


@pytest.mark.parametrize("auth", [None, "token wrong-token"])
async def test_verify_needs_a_valid_token(
    http_server_client: Any, jp_base_url: str, three_runs: Any, api: Any, auth: str | None
) -> None:
    headers = {"Authorization": auth} if auth else {}
    url = _url(jp_base_url, "runs/train%231/verify")
    status, body, _ = await _raw(http_server_client, url, "POST", body="", headers=headers)
    assert status == 403 and "train" not in json.dumps(body)
    assert (await api("GET", "runs", "train#1", "verify")).body["running"] is False


async def test_browser_sessions_need_the_xsrf_header_to_verify(
    http_server_client: Any, jp_base_url: str, jp_serverapp: Any, three_runs: Any, api: Any
) -> None:
    cookie = await _login(http_server_client, jp_base_url, jp_serverapp.identity_provider.token)
    url = _url(jp_base_url, "runs/train%231/verify")
    status, err, _ = await _raw(
        http_server_client, url, "POST", body="", headers={"Cookie": cookie}
    )
    assert status == 403 and "xsrf" in err["message"].lower()
    assert (await api("GET", "runs", "train#1", "verify")).body["running"] is False


@pytest.mark.slow
async def test_verify_stores_the_verdict_and_refuses_a_second_at_once(
    api: Any, project: Path, store_url: str
) -> None:
    from kernels import run_notebook, write_notebook

    nb = write_notebook(
        project / "det.ipynb",
        ["%load_ext nbtrack", "base = 3", "%%track -n det\nlr = 0.5\nnbtrack.log(loss=base * lr)"],
    )
    run_notebook(nb)
    before = (await api("GET", "runs", "det")).body
    assert before["verdict"] is None and before["snapshot"]

    first = await api("POST", "runs", "det", "verify")
    assert (first.status, first.body) == (202, {"started": True})
    # The replay starts a kernel: the first job is still running.
    second = await api("POST", "runs", "det#1", "verify")
    assert second.status == 409 and "being verified already" in second.body["message"]

    state = await _wait_done(api, "det")
    assert state == {"running": False, "exit_code": 0, "error": None}
    after = (await api("GET", "runs", "det")).body
    assert after["verdict"] == "reproduced"
    assert after["verification"]["checked_at"] > 0
    listed = (await api("GET", "runs")).body["runs"]
    assert [r["verdict"] for r in listed] == ["reproduced"]
