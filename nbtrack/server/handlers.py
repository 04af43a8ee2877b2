"""Tornado handlers of the REST API: parse the request, call RunService off the
event loop, answer JSON. Errors are JSON `{"message": ...}` for every status."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http.client import responses
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..errors import NbtrackError
from ..jsonenc import dumps
from . import params
from .errors import bad_request, message_of, status_of
from .service import RunService

SERVICE_KEY = "nbtrack_service"
AUTH_RESOURCE = "nbtrack"


class NbtrackHandler(APIHandler):
    """Base of every nbtrack handler: the service, off-loop calls, JSON errors."""

    auth_resource = AUTH_RESOURCE

    @property
    def service(self) -> RunService:
        return self.settings[SERVICE_KEY]

    def query_args(self) -> dict[str, str | None]:
        """The query string's parameters (the last value of each)."""
        return {name: self.get_query_argument(name) for name in self.request.query_arguments}

    def json_body(self) -> Any:
        try:
            return json.loads(self.request.body or b"null")
        except ValueError as exc:
            raise bad_request(f"the body is not JSON ({exc}): send a JSON object") from exc
        except RecursionError as exc:
            raise bad_request(
                "the body nests arrays or objects too deeply to read: send a flat JSON object "
                'such as {"name": "baseline", "tags": ["cnn"]}'
            ) from exc

    async def answer(self, work: Callable[[], Any], status: int = 200) -> None:
        """Run `work` and encode its result in a worker thread (the store blocks, and a
        page of 10,000 runs takes a while to encode), then send the JSON; an
        NbtrackError becomes its HTTP status with the error's message."""

        def run() -> str | None:
            result = work()
            return None if status == 204 else dumps(result)

        try:
            text = await asyncio.to_thread(run)
        except NbtrackError as exc:
            raise web.HTTPError(status_of(exc), "%s", message_of(exc)) from exc
        self.set_status(status)
        if text is None:
            self.finish()
            return
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(text)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, web.HTTPError) and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        elif exc is not None and not isinstance(exc, web.HTTPError):
            message = "the nbtrack server extension failed on this request; see the server log"
        else:
            message = responses.get(status_code, "error")
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({"message": message}))


class RunsHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        args = self.query_args()
        await self.answer(lambda: self.service.list_runs(params.runs_query(args)))


class RunHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        await self.answer(lambda: self.service.get_run(ref))

    @web.authenticated
    @authorized
    async def patch(self, ref: str) -> None:
        await self.answer(lambda: self.service.update_run(ref, params.run_patch(self.json_body())))

    @web.authenticated
    @authorized
    async def delete(self, ref: str) -> None:
        await self.answer(lambda: self.service.delete_run(ref), status=204)


class MetricsHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        args = self.query_args()
        await self.answer(lambda: self.service.metrics(ref, params.metrics_query(args)))


class SnapshotHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        await self.answer(lambda: self.service.snapshot(ref))


class DiffHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        args = self.query_args()
        await self.answer(lambda: self.service.diff(*params.diff_refs(args)))


class NotFoundHandler(NbtrackHandler):
    """Anything else under the API's prefix: a JSON 404 naming the endpoints."""

    def _missing(self, *_args: str) -> None:
        raise web.HTTPError(
            404,
            "%s",
            "no such nbtrack API endpoint: use runs, runs/{ref}, runs/{ref}/metrics, "
            "runs/{ref}/snapshot, runs/{ref}/artifacts, runs/{ref}/verify, runs/{ref}/media, "
            "runs/{ref}/table, media/{hash}, diff, artifacts, artifacts/{ref} or "
            "artifacts/{ref}/lineage",
        )

    @web.authenticated
    @authorized
    def get(self, *args: str) -> None:
        self._missing()

    @web.authenticated
    @authorized
    def post(self, *args: str) -> None:
        self._missing()

    @web.authenticated
    @authorized
    def patch(self, *args: str) -> None:
        self._missing()

    @web.authenticated
    @authorized
    def put(self, *args: str) -> None:
        self._missing()

    @web.authenticated
    @authorized
    def delete(self, *args: str) -> None:
        self._missing()


_REF = r"(?P<ref>[^/]+)"

# The artifact endpoints (their handlers subclass NbtrackHandler, defined above).
from .artifact_handlers import ROUTES as ARTIFACT_ROUTES  # noqa: E402
from .media_handlers import ROUTES as MEDIA_ROUTES  # noqa: E402
from .model_handlers import ROUTES as MODEL_ROUTES  # noqa: E402
from .sweep_handlers import ROUTES as SWEEP_ROUTES  # noqa: E402
from .verify_handlers import ROUTES as VERIFY_ROUTES  # noqa: E402

# (path under <base_url>/nbtrack/api/, handler), in matching order.
ROUTES: list[tuple[str, type[NbtrackHandler]]] = [
    (r"runs/?", RunsHandler),
    (rf"runs/{_REF}/?", RunHandler),
    (rf"runs/{_REF}/metrics/?", MetricsHandler),
    (rf"runs/{_REF}/snapshot/?", SnapshotHandler),
    (r"diff/?", DiffHandler),
    *ARTIFACT_ROUTES,
    *VERIFY_ROUTES,
    *MEDIA_ROUTES,
    *MODEL_ROUTES,
    *SWEEP_ROUTES,
    (r"(.*)", NotFoundHandler),
]
