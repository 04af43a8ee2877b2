"""Models and the model registry.

A model is an artifact version of type `model` (nbtrack/artifacts/): one file in
the content-addressed blob storage, saved by a flavor (flavors.py), with its
flavor, library versions, input signature, and the run and cell that made it.
The registry (registry.py) gives registered names versions that point at logged
models, and aliases that move with a history.
"""

from __future__ import annotations

from . import registry
from .api import load_model, log_model
from .errors import ModelError, ModelNotFoundError, ModelVersionWarning

__all__ = [
    "ModelError",
    "ModelNotFoundError",
    "ModelVersionWarning",
    "load_model",
    "log_model",
    "registry",
]
