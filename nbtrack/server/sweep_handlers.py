"""REST handlers of sweeps: `GET sweeps` (one row per sweep) and `GET sweeps/{id}`
(its trials, the best-so-far series and Optuna's parameter importances), for the
panel's Sweeps view. The logic is `nbtrack.sweeps.listing`'s, shared with the CLI.
Imported by handlers.py, which lists the routes."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .handlers import NbtrackHandler

_ID = r"(?P<sweep_id>[^/]+)"


def sweep_list(store_url: str) -> dict[str, Any]:
    from ..sweeps.listing import sweeps

    return {"sweeps": sweeps(store_url)}


def sweep_detail(store_url: str, sweep_id: str) -> dict[str, Any]:
    from ..sweeps.importance import importances
    from ..sweeps.listing import detail

    out = detail(store_url, sweep_id)
    weighed = importances(store_url, sweep_id)
    out["importances"], out["importances_reason"] = weighed["importances"], weighed["reason"]
    return out


class SweepsHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(lambda: sweep_list(self._url()))

    def _url(self) -> str:
        """The store's URL, once the store opens (its own error when it cannot)."""
        self.service.store  # noqa: B018
        return str(self.service.store_url)


class SweepHandler(SweepsHandler):
    @web.authenticated
    @authorized
    async def get(self, sweep_id: str) -> None:  # type: ignore[override]
        await self.answer(lambda: sweep_detail(self._url(), sweep_id))


ROUTES: list[tuple[str, type[NbtrackHandler]]] = [
    (r"sweeps/?", SweepsHandler),
    (rf"sweeps/{_ID}/?", SweepHandler),
]
