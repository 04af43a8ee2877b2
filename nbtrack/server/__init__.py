"""The Jupyter server extension: nbtrack's REST API under `<base_url>/nbtrack/api/`.

Enabled by `jupyter-config/server-config/nbtrack.json` (installed with the
package); the extension's name is `nbtrack`, whose
`_jupyter_server_extension_points` points here. See `openapi.yaml` for the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import NbtrackError

API_PREFIX = ("nbtrack", "api")


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nbtrack.server"}]


def routes(base_url: str) -> list[tuple[str, Any]]:
    """Every handler, each path prefixed once with `<base_url>/nbtrack/api/`."""
    from jupyter_server.utils import url_path_join

    from .handlers import ROUTES

    return [(url_path_join(base_url, *API_PREFIX, path), handler) for path, handler in ROUTES]


def _shown_url(url: str) -> str:
    from ..store.urls import mask_url

    return mask_url(url)


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from .config import NbtrackServer
    from .handlers import SERVICE_KEY
    from .service import RunService

    settings = NbtrackServer(parent=serverapp)
    try:
        project = settings.project(Path(serverapp.root_dir).expanduser())
    except NbtrackError as exc:
        serverapp.log.error("nbtrack: the runs API cannot find its store: %s", exc)
        service = RunService(None, error=str(exc))
    else:
        service = RunService(project.store_url, project.root)
        serverapp.log.info("nbtrack: runs API serving %s", _shown_url(project.store_url))
        service.warm_up(serverapp.log)
    web_app = serverapp.web_app
    web_app.settings[SERVICE_KEY] = service
    web_app.add_handlers(".*$", routes(web_app.settings["base_url"]))
