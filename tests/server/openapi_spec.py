"""The REST API's OpenAPI description, read for the tests (a module of its own:
test files cannot import tests/server/conftest.py reliably by name, since every
test folder's conftest is a module called `conftest`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).parents[2] / "nbtrack" / "server" / "openapi.yaml"


def load_spec() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
