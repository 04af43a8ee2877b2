"""Errors the REST API answers with, and the HTTP status of each nbtrack error."""

from __future__ import annotations

from ..errors import NbtrackError, StoreError


class ApiError(NbtrackError):
    """A request the API refuses, with its HTTP status and a message saying what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def message_of(exc: NbtrackError) -> str:
    """The error's message as the API answers and logs it: store URL passwords
    masked and secret values redacted (a driver's text may quote either)."""
    from ..capture.environment import public_text

    return public_text(str(exc))


def status_of(exc: NbtrackError) -> int:
    """400 for bad input, 404 for what does not exist (unknown runs, missing snapshots),
    503 when the store or git cannot answer."""
    from ..versioning.errors import SnapshotError

    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, LookupError):
        return 404
    if isinstance(exc, (StoreError, SnapshotError)):
        return 503
    return 400
