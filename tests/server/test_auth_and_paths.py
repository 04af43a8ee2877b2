"""Authentication, XSRF and URL tricks: every answer is JSON, nothing leaks."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

ENDPOINTS = [
    ("GET", "runs"),
    ("GET", "runs/train%231"),
    ("PATCH", "runs/train%231"),
    ("DELETE", "runs/train%231"),
    ("GET", "runs/train%231/metrics"),
    ("GET", "runs/train%231/snapshot"),
    ("GET", "diff?a=train%231&b=train%232"),
    ("GET", "no/such/endpoint"),
]


def _url(jp_base_url: str, path: str) -> str:
    return f"{jp_base_url}nbtrack/api/{path}"


async def _raw(
    http_server_client: Any, url: str, method: str = "GET", **kwargs: Any
) -> tuple[int, Any, Any]:
    body = kwargs.pop("body", "{}" if method == "PATCH" else None)
    response = await http_server_client.fetch(
        url,
        method=method,
        body=body,
        raise_error=False,
        follow_redirects=False,
        allow_nonstandard_methods=True,
        **kwargs,
    )
    text = response.body.decode("utf-8")
    if response.code != 204:
        assert response.headers["Content-Type"].startswith("application/json"), text[:300]
    return response.code, (json.loads(text) if text else None), response.headers


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("auth", [None, "token wrong-token", "Bearer nonsense"])
async def test_requests_without_a_valid_token_are_403(
    http_server_client: Any,
    jp_base_url: str,
    three_runs: Any,
    method: str,
    path: str,
    auth: str | None,
) -> None:
    headers = {"Authorization": auth} if auth else {}
    status, body, _ = await _raw(
        http_server_client, _url(jp_base_url, path), method, headers=headers
    )
    assert status == 403
    assert body["message"]
    assert "train" not in json.dumps(body)  # nothing about the runs


async def test_a_wrong_token_cannot_delete(
    http_server_client: Any, jp_base_url: str, three_runs: Any, api: Any
) -> None:
    url = _url(jp_base_url, "runs/train%231")
    status, _, _ = await _raw(
        http_server_client, url, "DELETE", headers={"Authorization": "token nope"}
    )
    assert status == 403
    assert (await api("GET", "runs", "train#1")).status == 200


async def _login(http_server_client: Any, jp_base_url: str, token: str) -> str:
    """Log in through the form the way a browser does; the Cookie header to send after."""
    response = await http_server_client.fetch(
        f"{jp_base_url}login", raise_error=False, follow_redirects=False
    )
    jar: dict[str, str] = {}

    def keep(headers: Any) -> None:
        for line in headers.get_list("Set-Cookie"):
            name, _, rest = line.partition("=")
            jar[name] = rest.split(";", 1)[0]

    keep(response.headers)
    form = urllib.parse.urlencode({"_xsrf": jar["_xsrf"], "password": token})
    response = await http_server_client.fetch(
        f"{jp_base_url}login",
        method="POST",
        body=form,
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
        raise_error=False,
        follow_redirects=False,
    )
    assert response.code == 302, response.code
    keep(response.headers)
    return "; ".join(f"{k}={v}" for k, v in jar.items())


async def test_browser_sessions_need_the_xsrf_header_to_change_runs(
    http_server_client: Any, jp_base_url: str, jp_serverapp: Any, three_runs: Any, api: Any
) -> None:
    cookie = await _login(http_server_client, jp_base_url, jp_serverapp.identity_provider.token)
    xsrf = dict(part.split("=", 1) for part in cookie.split("; "))["_xsrf"]
    url = _url(jp_base_url, "runs/train%231")

    status, run, _ = await _raw(http_server_client, url, headers={"Cookie": cookie})
    assert status == 200 and run["ref"] == "train#1"  # reads need no XSRF header

    body = json.dumps({"name": "renamed"})
    for method, extra in (("PATCH", {"body": body}), ("DELETE", {})):
        status, err, _ = await _raw(
            http_server_client, url, method, headers={"Cookie": cookie}, **extra
        )
        assert status == 403, method
        assert "xsrf" in err["message"].lower()
    assert (await api("GET", "runs", "train#1")).body["name"] == "train#1"

    status, run, _ = await _raw(
        http_server_client, url, "PATCH", headers={"Cookie": cookie, "X-XSRFToken": xsrf}, body=body
    )
    assert status == 200 and run["name"] == "renamed"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("runs/..", 404),
        ("runs/..%2F..%2F..%2Fetc%2Fpasswd", 404),
        ("runs/%2E%2E", 404),
        ("runs/train%232%2Fmetrics", 404),
        ("runs/%00", 404),
        ("runs/%FF%FE", 400),
        ("runs/train%232/metrics/extra", 404),
        ("runs/train%232/snapshot/..%2F..", 404),
        ("../api/runs", None),
        ("runs/" + "x" * 5000, 404),
        ("RUNS", 404),
        ("", 404),
    ],
)
async def test_path_tricks_get_json_errors_and_never_a_file(
    http_server_client: Any,
    jp_base_url: str,
    jp_auth_header: Any,
    three_runs: Any,
    path: str,
    status: int | None,
) -> None:
    got, body, _ = await _raw(http_server_client, _url(jp_base_url, path), headers=jp_auth_header)
    if status is not None:
        assert got == status, body
    if got >= 400:
        assert body["message"]
        assert "root:" not in body["message"]  # no /etc/passwd


async def test_encoded_references_resolve(api: Any, three_runs: Any) -> None:
    reply = await api("GET", "runs", "train#2")  # jp_fetch sends train%232
    assert reply.status == 200 and reply.body["name"] == "baseline"


async def test_unknown_methods_are_json_errors(
    http_server_client: Any, jp_base_url: str, jp_auth_header: Any, three_runs: Any
) -> None:
    status, body, _ = await _raw(
        http_server_client, _url(jp_base_url, "runs"), "POST", headers=jp_auth_header, body="{}"
    )
    assert status == 405 and body["message"]


def _read_only_authorizer() -> type:
    """Lets users read nbtrack runs, never change them (as a JupyterHub role might)."""
    from jupyter_server.auth import Authorizer

    class ReadOnly(Authorizer):
        def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
            return not (resource == "nbtrack" and action != "read")

    return ReadOnly


class TestAuthorizer:
    @pytest.fixture
    def jp_server_config(self, store_url: str) -> Any:
        from traitlets.config import Config

        return Config(
            {
                "ServerApp": {
                    "jpserver_extensions": {"nbtrack": True},
                    "authorizer_class": _read_only_authorizer(),
                },
                "NbtrackServer": {"store": store_url},
            }
        )

    async def test_the_servers_authorizer_decides_who_may_change_runs(
        self, api: Any, three_runs: Any
    ) -> None:
        assert (await api("GET", "runs")).status == 200
        assert (await api("GET", "runs", "train#1", "metrics")).status == 200
        patched = await api("PATCH", "runs", "train#1", body={"name": "x"})
        assert patched.status == 403 and "not authorized" in patched.body["message"]
        assert (await api("DELETE", "runs", "train#1")).status == 403
        assert (await api("GET", "runs", "train#1")).body["name"] == "train#1"
