"""Errors of the versioning layer. All are `NbtrackError`s a user can hit."""

from __future__ import annotations

from nbtrack.errors import NbtrackError


class SnapshotError(NbtrackError):
    """A notebook snapshot could not be committed or read."""


class GitUnavailableError(SnapshotError):
    """The `git` executable is not on PATH (or cannot be started)."""


class GitCommandError(SnapshotError):
    """A git command failed; the message carries git's own explanation."""


class SnapshotNotFoundError(SnapshotError, LookupError):
    """No snapshot commit with the given id exists in the project's repositories."""
