"""What a model records besides its bytes, computed without I/O: the signature
of its input example (type, dtype, shape, columns), the versions of the
libraries it was saved with, and whether a version differs in its major part."""

from __future__ import annotations

import functools
import sys
from typing import Any

EXAMPLE_CHARS = 20_000


def signature(example: Any) -> dict[str, Any]:
    """{type, dtype, shape} of an array or tensor, {type, columns: [{name, dtype}],
    shape} of a DataFrame, {type, length} of a list; {type} of anything else."""
    kind = type(example)
    out: dict[str, Any] = {"type": f"{kind.__module__}.{kind.__qualname__}"}
    if hasattr(example, "dtypes") and hasattr(example, "columns"):
        out["columns"] = [{"name": str(c), "dtype": str(t)} for c, t in example.dtypes.items()]
        out["shape"] = [int(n) for n in example.shape]
    elif hasattr(example, "dtype") and hasattr(example, "shape"):
        out["dtype"] = str(example.dtype)
        out["shape"] = [int(n) for n in example.shape]
    elif isinstance(example, (list, tuple)):
        out["length"] = len(example)
    return out


def example_json(example: Any) -> Any:
    """The example as JSON values when it is small, else None (only the signature)."""
    import json

    try:
        if hasattr(example, "to_dict") and hasattr(example, "columns"):
            value = example.to_dict(orient="split")
        elif hasattr(example, "tolist"):
            value = (
                example.detach().cpu().tolist() if hasattr(example, "detach") else example.tolist()
            )
        else:
            value = example
        text = json.dumps(value, default=str, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return json.loads(text) if len(text) <= EXAMPLE_CHARS else None


def library_versions(names: list[str]) -> dict[str, str]:
    """{distribution: version} of the given libraries that are installed, and Python."""
    out = {"python": ".".join(str(n) for n in sys.version_info[:3])}
    for name in names:
        found = _installed(name)
        if found is not None:
            out[name] = found
    return out


@functools.cache
def _installed(name: str) -> str | None:
    """A distribution's version, read once per process (its metadata costs ~15 ms)."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def major(version: str) -> str:
    return version.split(".", 1)[0].split("+", 1)[0]


def major_changes(saved: dict[str, str], now: dict[str, str]) -> list[tuple[str, str, str]]:
    """(library, saved version, current version) where the major version differs."""
    return [
        (name, old, now[name])
        for name, old in saved.items()
        if name != "python" and name in now and major(old) != major(now[name])
    ]
