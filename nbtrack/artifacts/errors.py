"""Errors of the artifact layer a user can hit; each says what to do."""

from __future__ import annotations

from ..errors import NbtrackError


class ArtifactError(NbtrackError):
    """A bad artifact name, path or reference, or content that cannot be versioned."""


class ArtifactNotFoundError(ArtifactError, LookupError):
    """An artifact reference matched no version."""


class ArtifactStorageError(ArtifactError):
    """The blob storage (local folder or fsspec URL) cannot be read or written."""
