"""DVC's own hash of a path it tracks (a `<path>.dvc` file or a `dvc.lock`
entry), read from its files: recorded beside ours, never recomputed."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _load(path: Path) -> Any:
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml comes with jupyter
        return None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return None


def _hash_of(out: dict[str, Any]) -> dict[str, str] | None:
    for key in ("md5", "etag", "checksum"):
        if out.get(key):
            return {key: str(out[key])}
    return None


def dvc_hash(root: Path, rel: str) -> dict[str, str] | None:
    """{"md5": ...} as DVC recorded it for project path `rel`, or None."""
    target = root / rel
    dvc_file = target.with_name(target.name + ".dvc")
    if dvc_file.is_file():
        doc = _load(dvc_file) or {}
        for out in doc.get("outs", []) or []:
            if isinstance(out, dict) and out.get("path") == target.name:
                return _hash_of(out)
    lock = root / "dvc.lock"
    if lock.is_file():
        doc = _load(lock) or {}
        for stage in (doc.get("stages") or {}).values():
            for out in (stage or {}).get("outs", []) or []:
                if isinstance(out, dict) and str(out.get("path", "")).rstrip("/") == rel:
                    return _hash_of(out)
    return None
