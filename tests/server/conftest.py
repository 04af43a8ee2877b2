"""A Jupyter server with the nbtrack extension on a fresh store, and `api`, which
calls it and checks every answer against the package's OpenAPI description.

pytest-jupyter has no entry point: its fixtures and hooks are imported here, so
they apply to tests/server only (asyncio mode stays strict, ENGINEERING.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openapi_spec import load_spec
from pytest_jupyter.jupyter_server import *  # noqa: F403
from traitlets.config import Config


@pytest.fixture
def store_url(project: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The store the server serves, also where this process's runs go."""
    url = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    monkeypatch.setenv("NBTRACK_STORE", url)
    return url


@pytest.fixture
def jp_root_dir(project: Path) -> Path:
    return project


@pytest.fixture
def jp_server_config(store_url: str) -> Config:
    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"nbtrack": True}},
            "NbtrackServer": {"store": store_url},
        }
    )


# -- the OpenAPI description as a validator ---------------------------------------


class SpecChecker:
    """Checks a response against the documented responses of its operation."""

    def __init__(self) -> None:
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        self.spec = load_spec()
        resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
        self._registry = Registry().with_resource("urn:nbtrack-openapi", resource)
        self._validator = Draft202012Validator

    def operation(self, method: str, parts: tuple[str, ...]) -> tuple[str, dict[str, Any]] | None:
        if parts == ("runs",):
            template = "/runs"
        elif parts[:1] == ("runs",) and len(parts) == 2:
            template = "/runs/{ref}"
        elif parts[:1] == ("runs",) and len(parts) == 3:
            template = "/runs/{ref}/" + parts[2]
        elif parts == ("diff",):
            template = "/diff"
        elif parts == ("media", "images"):
            template = "/media/images"
        elif parts[:1] == ("artifacts",) and len(parts) <= 3:
            template = ("/artifacts", "/artifacts/{ref}", "/artifacts/{ref}/lineage")[
                len(parts) - 1
            ]
        elif parts[:1] == ("models",) and len(parts) <= 3:
            template = ("/models", "/models/{name}", "/models/{name}/aliases")[len(parts) - 1]
        elif parts[:1] == ("sweeps",) and len(parts) <= 2:
            template = ("/sweeps", "/sweeps/{sweep_id}")[len(parts) - 1]
        else:
            return None
        op = self.spec["paths"].get(template, {}).get(method.lower())
        return None if op is None else (template, op)

    def check(self, method: str, parts: tuple[str, ...], status: int, body: Any) -> None:
        found = self.operation(method, parts)
        if found is None:  # not an endpoint: must still be a JSON error
            assert status >= 400, (method, parts, status)
            self.validate(body, "#/components/schemas/Error")
            return
        template, op = found
        documented = op["responses"]
        assert str(status) in documented, f"{method} {template} answered {status}: {body}"
        if status == 204:
            assert body is None
            return
        pointer = (
            "#/paths/"
            + template.replace("~", "~0").replace("/", "~1")
            + f"/{method.lower()}/responses/{status}"
        )
        response = documented[str(status)]
        if "$ref" in response:
            pointer = response["$ref"]
        self.validate(body, pointer + "/content/application~1json/schema")

    def validate(self, body: Any, pointer: str) -> None:
        schema = {"$ref": "urn:nbtrack-openapi" + pointer}
        self._validator(schema, registry=self._registry).validate(body)


@pytest.fixture(scope="session")
def spec_checker() -> SpecChecker:
    return SpecChecker()


# -- calling the API ----------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any


@pytest.fixture
def api(jp_fetch: Any, spec_checker: SpecChecker) -> Any:
    """`await api("GET", "runs", params={...})` → Reply, checked against the spec."""

    async def call(
        method: str,
        *parts: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        raw_body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        kwargs: dict[str, Any] = {}
        if raw_body is not None:
            kwargs["body"] = raw_body
        elif body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("PATCH", "POST", "PUT"):
            kwargs["body"] = ""
        response = await jp_fetch(
            "nbtrack",
            "api",
            *parts,
            method=method,
            params=params,
            headers=headers,
            raise_error=False,
            allow_nonstandard_methods=True,
            **kwargs,
        )
        text = response.body.decode("utf-8")
        if response.code != 204:
            assert response.headers["Content-Type"].startswith("application/json"), text[:200]
        data = json.loads(text) if text else None
        spec_checker.check(method, parts, response.code, data)
        return Reply(response.code, data, response.headers)

    return call


# -- runs to serve --------------------------------------------------------------------


@pytest.fixture
def three_runs(store_url: str) -> Iterator[dict[str, Any]]:
    """train#1 (lr 0.1, loss 3 points), baseline = train#2 (tagged), eval#1 failed."""
    import nbtrack

    runs: dict[str, Any] = {}
    with nbtrack.start_run(
        notebook="train.ipynb", params={"lr": 0.1, "opt": {"name": "adam"}}
    ) as run:
        for v in (3.0, 2.0, 1.5):
            nbtrack.log(loss=v)
        runs["first"] = run
    with nbtrack.start_run(
        "baseline", notebook="train.ipynb", params={"lr": 0.01}, tags=["cnn", "Best"], notes="hi"
    ) as run:
        nbtrack.log(loss=float("nan"))
        nbtrack.log(loss=0.5, acc=float("inf"))
        runs["baseline"] = run
    with pytest.raises(ZeroDivisionError):
        with nbtrack.start_run(notebook="eval.ipynb", params={"batch": 32}) as run:
            runs["failed"] = run
            nbtrack.log(acc=0.9)
            1 / 0  # noqa: B018
    yield runs
