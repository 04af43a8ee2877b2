"""Media tests draw with matplotlib's Agg backend; the artifact layer's
per-project handles are dropped between tests, as the stores are."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _fresh_artifact_contexts() -> Iterator[None]:
    from nbtrack.artifacts.context import forget_contexts

    forget_contexts()
    yield
    forget_contexts()
