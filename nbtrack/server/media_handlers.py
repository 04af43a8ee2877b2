"""REST handlers of a run's media (nbtrack/media/): the media index paged, a
table's rows paged as strict JSON, a histogram's bins at every step, a blob by
content hash, and many small images in one answer. Imported by
handlers.py, which lists the routes.

A blob is served with its own content type, an immutable cache lifetime and its
hash as ETag. It never runs script in the page: every blob carries
`Content-Security-Policy: sandbox` (an SVG opened on its own is a unique
origin with scripts off), `X-Content-Type-Options: nosniff`, and HTML (plotly
figures), Parquet and JSON are attachments, never rendered inline."""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import NbtrackError
from . import params
from .errors import message_of, status_of
from .handlers import NbtrackHandler

_REF = r"(?P<ref>[^/]+)"
_HASH = r"(?P<digest>[^/]+)"


def _blobs(service: Any) -> Any:
    """The blob storage of the project the server serves (kept on the service)."""
    blobs = getattr(service, "_media_blobs", None)
    if blobs is None:
        from ..artifacts.blobstore import open_blobs
        from ..config import read_project_settings

        root = service.project_root
        if root is None:
            from .errors import ApiError

            raise ApiError(503, "the server has no project folder, so no media storage")
        blobs = service._media_blobs = open_blobs(root, read_project_settings(root))
    return blobs


def _step(raw: str | None) -> int | None:
    return None if raw in (None, "") else params.integer("step", raw, 0, 0, 2**62)


class RunMediaHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        from ..media.serve import MAX_PAGE, PAGE, media_page

        args = self.query_args()

        def work() -> Any:
            offset = params.integer("offset", args.get("offset"), 0, 0, 2**62)
            limit = params.integer("limit", args.get("limit"), PAGE, 1, MAX_PAGE)
            step = _step(args.get("step"))
            run_id = self.service.resolve(ref)
            return media_page(
                self.service.store,
                run_id,
                args.get("name") or None,
                args.get("kind") or None,
                step,
                offset,
                limit,
            )

        await self.answer(work)


class _NamedMediaHandler(NbtrackHandler):
    """A run's media of one name: `?name=` is required (a 400 saying how to ask
    when it is missing), the rest is the subclass's `read`."""

    #: The 400's words when the name is missing.
    usage = ""

    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        from .errors import bad_request

        args = self.query_args()

        def work() -> Any:
            name = args.get("name")
            if not name:
                raise bad_request(self.usage)
            return self.read(ref, name, args)

        await self.answer(work)

    def read(self, ref: str, name: str, args: dict[str, str | None]) -> Any:
        """The answer for `name` of run `ref` (runs in a worker thread)."""
        raise NotImplementedError


class RunTableHandler(_NamedMediaHandler):
    usage = "name the table: runs/{ref}/table?name=<table name>"

    def read(self, ref: str, name: str, args: dict[str, str | None]) -> Any:
        from ..media.serve import MAX_PAGE, PAGE, table_page

        offset = params.integer("offset", args.get("offset"), 0, 0, 2**62)
        limit = params.integer("limit", args.get("limit"), PAGE, 1, MAX_PAGE)
        step = _step(args.get("step"))
        run_id = self.service.resolve(ref)
        return table_page(
            self.service.store, _blobs(self.service), run_id, name, step, offset, limit
        )


class RunHistogramsHandler(_NamedMediaHandler):
    usage = "name the histogram: runs/{ref}/histograms?name=<name>"

    def read(self, ref: str, name: str, args: dict[str, str | None]) -> Any:
        from ..media.serve import MAX_HISTOGRAM_STEPS, histogram_steps

        limit = params.integer(
            "limit", args.get("limit"), MAX_HISTOGRAM_STEPS, 1, MAX_HISTOGRAM_STEPS
        )
        run_id = self.service.resolve(ref)
        return histogram_steps(self.service.store, _blobs(self.service), run_id, name, limit)


class MediaImagesHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        from ..media.serve import MAX_IMAGES, images
        from .errors import bad_request

        args = self.query_args()

        def work() -> Any:
            digests = [h for h in (args.get("hashes") or "").split(",") if h]
            if not digests or len(digests) > MAX_IMAGES:
                raise bad_request(
                    f"name 1 to {MAX_IMAGES} image hashes: media/images?hashes=<hash>,<hash>"
                )
            return images(self.service.store, _blobs(self.service), digests)

        await self.answer(work)


class MediaBlobHandler(NbtrackHandler):
    @web.authenticated
    @authorized
    async def get(self, digest: str) -> None:
        from ..media.serve import blob_headers, blob_info

        etag = f'"{digest}"'
        if etag in self.request.headers.get("If-None-Match", ""):
            try:
                await asyncio.to_thread(blob_info, self.service.store, digest)
            except NbtrackError as exc:
                raise web.HTTPError(status_of(exc), "%s", message_of(exc)) from exc
            self.set_status(304)
            self.set_header("ETag", etag)
            self.finish()
            return

        def work() -> tuple[dict[str, str], bytes]:
            mime, disposition = blob_info(self.service.store, digest)
            return blob_headers(digest, mime, disposition), _blobs(self.service).read_bytes(digest)

        try:
            headers, data = await asyncio.to_thread(work)
        except NbtrackError as exc:
            raise web.HTTPError(status_of(exc), "%s", message_of(exc)) from exc
        for key, value in headers.items():
            self.set_header(key, value)
        # APIHandler.finish sets the Content-Type (JSON unless told otherwise).
        self.finish(data, set_content_type=headers["Content-Type"])

    def compute_etag(self) -> str | None:
        return None  # the ETag is the content hash, set above


ROUTES: list[tuple[str, type[NbtrackHandler]]] = [
    (rf"runs/{_REF}/media/?", RunMediaHandler),
    (rf"runs/{_REF}/table/?", RunTableHandler),
    (rf"runs/{_REF}/histograms/?", RunHistogramsHandler),
    # Before media/{hash}, which would take "images" for a hash.
    (r"media/images/?", MediaImagesHandler),
    (rf"media/{_HASH}/?", MediaBlobHandler),
]
