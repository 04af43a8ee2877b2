"""Model tests share the artifact layer's per-project handles: dropped between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_artifact_contexts() -> Iterator[None]:
    from nbtrack.artifacts.context import forget_contexts

    forget_contexts()
    yield
    forget_contexts()
