"""Integrations cost nothing unused: `import nbtrack` imports no framework."""

from __future__ import annotations

import math
import subprocess
import sys

from nbtrack.integrations import _run

FRAMEWORKS = ("torch", "sklearn", "lightning", "transformers", "keras")


def test_import_nbtrack_imports_no_framework() -> None:
    code = (
        "import sys, nbtrack\n"
        "nbtrack.log, nbtrack.start_run, nbtrack.runs\n"
        f"print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_integrations_are_submodules_of_nbtrack() -> None:
    code = "import nbtrack; print(nbtrack.sklearn.__name__, callable(nbtrack.sklearn.autolog))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["nbtrack.integrations.sklearn", "True"]


def test_plain_keeps_json_values_and_names_objects() -> None:
    assert _run.plain({"a": 1, "b": [0.5, "x"], "c": None, "d": math.inf}) == {
        "a": 1,
        "b": [0.5, "x"],
        "c": None,
        "d": "inf",
    }
    assert _run.plain(object()).startswith("<object object")
    assert _run.plain("x" * 10) == "x" * 10
    assert _run.plain(type("Big", (), {"__repr__": lambda self: "y" * 1000})()) is None


def test_without_secrets_drops_secret_names_at_any_depth() -> None:
    kept = _run.without_secrets(
        {
            "lr": 0.1,
            "hub_token": "t",
            "push_to_hub_token": None,
            "opt": {"api_key": "k", "beta": 0.9},
            "db_password": "p",
            "include_tokens_per_second": False,
        }
    )
    assert kept == {"lr": 0.1, "opt": {"beta": 0.9}, "include_tokens_per_second": False}


def test_numbers_keeps_numeric_scalars_only() -> None:
    assert _run.numbers({"loss": 0.5, "epoch": 2, "name": "x", "flag": True}) == {
        "loss": 0.5,
        "epoch": 2.0,
    }
