"""REST handlers of the model registry: the registered models, one model (versions,
aliases, alias history, each version's source run and notebook snapshot), and
moving an alias (`POST models/{name}/aliases`, recorded with the Jupyter user).
Imported by handlers.py, which lists the routes."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .errors import bad_request
from .handlers import NbtrackHandler

_NAME = r"(?P<name>[^/]+)"


def move(store: Any, name: str, body: Any, user: str) -> dict[str, Any]:
    from ..models import registry_records as rr
    from ..models.registry import _number

    if not isinstance(body, dict) or not isinstance(body.get("alias"), str):
        raise bad_request('send {"alias": "production", "version": 2}')
    version = body.get("version")
    if not isinstance(version, (int, str)) or isinstance(version, bool):
        raise bad_request('"version" is a registered version number: 2 or "v2"')
    number = _number(version)
    before = rr.move_alias(store, name, body["alias"], number, user, None)
    return {"name": name, "alias": body["alias"], "version": number, "from_version": before}


class ModelsHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        from ..models.report import registry_rows

        await self.answer(lambda: {"models": registry_rows(self.service.store)})


class ModelHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        from ..models.report import model_detail

        await self.answer(lambda: model_detail(self.service.store, name))


class ModelAliasesHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        user = self.current_user.username
        await self.answer(lambda: move(self.service.store, name, body, user))


ROUTES: list[tuple[str, type[NbtrackHandler]]] = [
    (r"models/?", ModelsHandler),
    (rf"models/{_NAME}/?", ModelHandler),
    (rf"models/{_NAME}/aliases/?", ModelAliasesHandler),
]
