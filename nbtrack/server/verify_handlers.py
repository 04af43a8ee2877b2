"""`POST runs/{ref}/verify`: start `nbtrack verify` on a run in the background, and
`GET runs/{ref}/verify`: whether it still runs and how the last one ended.

The replay runs as `python -m nbtrack verify <run id>` in a subprocess (the
server's Python, in the project root, on the server's store), at most one per
run; the verdict it stores reaches the panel through the run's `verdict`.
Imported by handlers.py, which lists the routes.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import NbtrackError
from .errors import ApiError, message_of, status_of
from .handlers import NbtrackHandler

JOBS_KEY = "nbtrack_verify_jobs"
_REF = r"(?P<ref>[^/]+)"
#: Characters of the command's error output kept to explain a verify that failed.
ERROR_TAIL = 2000


@dataclass
class VerifyJob:
    """One `nbtrack verify` subprocess of a run: running until `exit_code` is set."""

    run_id: str
    process: asyncio.subprocess.Process
    exit_code: int | None = None
    error: str | None = None

    @property
    def running(self) -> bool:
        return self.exit_code is None

    def to_json(self) -> dict[str, Any]:
        return {"running": self.running, "exit_code": self.exit_code, "error": self.error}


class VerifyJobs:
    """The verify subprocesses this server started, the last one of each run."""

    def __init__(self) -> None:
        self.jobs: dict[str, VerifyJob] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, run_id: str, name: str, store_url: str, root: str) -> VerifyJob:
        job = self.jobs.get(run_id)
        if job is not None and job.running:
            raise ApiError(409, f"run {name} is being verified already: wait for its verdict")
        env = dict(os.environ, NBTRACK_STORE=store_url)  # not in argv: ps shows argv
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "nbtrack",
            "verify",
            run_id,
            cwd=root,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        job = VerifyJob(run_id, process)
        self.jobs[run_id] = job
        task = asyncio.ensure_future(self._wait(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _wait(self, job: VerifyJob) -> None:
        _, err = await job.process.communicate()
        code = job.process.returncode
        # 0: reproduced; 1 and silent: differs or failed, stored; else it stopped early
        # ("nbtrack: error: the run has no snapshot ...") and stored nothing.
        text = err.decode("utf-8", "replace").strip()
        if code != 0 and (text or code != 1):
            from ..capture.environment import public_text

            job.error = public_text(text[-ERROR_TAIL:]) or f"nbtrack verify exited with {code}"
        job.exit_code = code if code is not None else -1


def _jobs(handler: NbtrackHandler) -> VerifyJobs:
    return handler.settings.setdefault(JOBS_KEY, VerifyJobs())


class VerifyHandler(NbtrackHandler):
    async def _resolve(self, ref: str) -> dict[str, Any]:
        """The run's id and name, read off the event loop; errors as the API's."""

        def read() -> dict[str, Any]:
            service = self.service
            run_id = service.resolve(ref)
            found = service.store.select_runs(ids=[run_id], columns=["id", "name"])
            if not found:
                raise ApiError(404, f"run {ref} was deleted: reload the list")
            return dict(found[0])

        try:
            return await asyncio.to_thread(read)
        except NbtrackError as exc:
            raise web.HTTPError(status_of(exc), "%s", message_of(exc)) from exc

    @web.authenticated
    @authorized
    async def post(self, ref: str) -> None:
        row = await self._resolve(ref)
        service = self.service
        if service.store_url is None or service.project_root is None:
            raise web.HTTPError(503, "%s", "the nbtrack server extension has no project")
        try:
            await _jobs(self).start(
                row["id"], row["name"], service.store_url, str(service.project_root)
            )
        except ApiError as exc:
            raise web.HTTPError(exc.status, "%s", exc.message) from exc
        await self.answer(lambda: {"started": True}, status=202)

    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        row = await self._resolve(ref)
        job = _jobs(self).jobs.get(row["id"])
        state = job.to_json() if job else {"running": False, "exit_code": None, "error": None}
        await self.answer(lambda: state)


ROUTES: list[tuple[str, type[NbtrackHandler]]] = [
    (rf"runs/{_REF}/verify/?", VerifyHandler),
]
