"""Errors of the media layer."""

from __future__ import annotations

from ..errors import NbtrackError


class MediaError(NbtrackError, ValueError):
    """A media object nbtrack cannot log or read, with what to do instead."""


def need(module: str) -> MediaError:
    return MediaError(
        f"logging media needs {module}, which is not installed: "
        "pip install 'nbtrack[media]' (matplotlib and Pillow)"
    )


class MediaNotFoundError(MediaError, LookupError):
    """No media by that name, step, position or hash."""
