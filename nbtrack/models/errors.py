"""Errors of models and the registry a user can hit; each says what to do."""

from __future__ import annotations

import warnings

from ..artifacts.errors import ArtifactError, ArtifactNotFoundError


class ModelError(ArtifactError):
    """A model that cannot be saved or loaded, or a bad registry request."""


class ModelNotFoundError(ModelError, ArtifactNotFoundError):
    """A model reference (name:vN, registered@alias, a run) matched nothing."""


class ModelVersionWarning(UserWarning):
    """The model was saved with another major version of its library."""


def warn_version(text: str) -> None:
    warnings.warn(ModelVersionWarning(text), stacklevel=3)
