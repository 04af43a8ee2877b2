"""The model registry over REST: `GET models`, `GET models/{name}` (versions,
aliases, history, source run), and `POST models/{name}/aliases`, authenticated,
XSRF-protected for browser sessions, and recorded with the Jupyter user."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_auth_and_paths import _login, _raw, _url


@pytest.fixture
def registered(store_url: str) -> str:
    import nbtrack
    from nbtrack.artifacts.context import forget_contexts

    forget_contexts()
    with nbtrack.start_run("train", notebook="train.ipynb") as run:
        nbtrack.log(acc=0.9)
        nbtrack.log_model({"w": 1}, "digits-mlp", example=[[1.0]])
    nbtrack.log_model({"w": 2}, "digits-mlp")
    nbtrack.registry.link("digits-mlp:v1", "digits-classifier", aliases=["production"])
    nbtrack.registry.link("digits-mlp:v2", "digits-classifier")
    yield run.ref
    forget_contexts()


async def test_models_and_one_model(api: Any, registered: str) -> None:
    listed = (await api("GET", "models")).body["models"]
    assert [(m["model"], m["version"], m["aliases"], m["source"], m["run"]) for m in listed] == [
        ("digits-classifier", 1, ["production"], "digits-mlp:v1", registered),
        ("digits-classifier", 2, [], "digits-mlp:v2", None),
    ]
    detail = (await api("GET", "models", "digits-classifier")).body
    assert detail["aliases"] == {"production": 1}
    first = detail["versions"][0]["source"]
    assert first["run"] == registered and first["flavor"] == "cloudpickle"
    assert first["cell"]["notebook"] == "train.ipynb"
    assert [(h["alias"], h["from_version"], h["to_version"]) for h in detail["history"]] == [
        ("production", None, 1)
    ]
    missing = await api("GET", "models", "nope")
    assert missing.status == 404 and "no registered model 'nope'" in missing.body["message"]


async def test_moving_an_alias_answers_the_move(api: Any, registered: str) -> None:
    moved = await api(
        "POST", "models", "digits-classifier", "aliases", body={"alias": "production", "version": 2}
    )
    assert moved.status == 200
    assert moved.body == {
        "name": "digits-classifier",
        "alias": "production",
        "version": 2,
        "from_version": 1,
    }
    import nbtrack

    assert nbtrack.load_model("digits-classifier@production") == {"w": 2}


@pytest.mark.parametrize(
    "body, status, text",
    [
        ({"alias": "production", "version": 9}, 404, "has no version 9"),
        ({"alias": "latest", "version": 1}, 400, "'latest' always means the newest"),
        ({"alias": "production"}, 400, "registered version number"),
        (["production", 1], 400, '{"alias": "production", "version": 2}'),
    ],
)
async def test_bad_moves_are_refused_and_change_nothing(
    api: Any, registered: str, body: Any, status: int, text: str
) -> None:
    answer = await api("POST", "models", "digits-classifier", "aliases", body=body)
    assert answer.status == status and text in answer.body["message"]
    assert (await api("GET", "models", "digits-classifier")).body["aliases"] == {"production": 1}


async def test_moves_need_a_token_and_browser_sessions_the_xsrf_header(
    http_server_client: Any, jp_base_url: str, jp_serverapp: Any, registered: str, api: Any
) -> None:
    url = _url(jp_base_url, "models/digits-classifier/aliases")
    body = json.dumps({"alias": "production", "version": 2})
    status, _, _ = await _raw(
        http_server_client, url, "POST", body=body, headers={"Authorization": "token nope"}
    )
    assert status == 403
    cookie = await _login(http_server_client, jp_base_url, jp_serverapp.identity_provider.token)
    status, err, _ = await _raw(
        http_server_client, url, "POST", body=body, headers={"Cookie": cookie}
    )
    assert status == 403 and "xsrf" in err["message"].lower()
    assert (await api("GET", "models", "digits-classifier")).body["aliases"] == {"production": 1}
    # With the header, the move is made and recorded with the session's Jupyter user.
    xsrf = dict(part.split("=", 1) for part in cookie.split("; "))["_xsrf"]
    headers = {"Cookie": cookie, "X-XSRFToken": xsrf}
    status, me, _ = await _raw(http_server_client, f"{jp_base_url}api/me", "GET", headers=headers)
    assert status == 200
    status, _, _ = await _raw(http_server_client, url, "POST", body=body, headers=headers)
    assert status == 200
    history = (await api("GET", "models", "digits-classifier")).body["history"]
    last = history[-1]
    assert (last["from_version"], last["to_version"]) == (1, 2)
    assert last["user"] == me["identity"]["username"]


@pytest.mark.parametrize("path", ["models", "models/digits-classifier"])
async def test_reads_need_a_valid_token(
    http_server_client: Any, jp_base_url: str, registered: str, path: str
) -> None:
    status, body, _ = await _raw(
        http_server_client, _url(jp_base_url, path), headers={"Authorization": "token nope"}
    )
    assert status == 403 and "digits" not in json.dumps(body)
