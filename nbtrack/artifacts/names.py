"""Artifact names and references, parsed without I/O.

A reference is `name`, `name:v2`, `name:latest`, `name:<alias>` or
`name:<hash prefix>` (at least 6 hex digits). Names of logged artifacts may not
hold `/` or `:`; a plain project path recorded by `use_artifact` is named by its
relative path, so the version part is whatever follows the last `:`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ArtifactError

_VERSION = re.compile(r"^v(\d+)$")
_HEX = re.compile(r"^[0-9a-f]{6,64}$")
_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")
MAX_NAME = 200


def check_name(name: object) -> str:
    """`name` if it may name an artifact, else an ArtifactError saying why."""
    if not isinstance(name, str) or not name.strip():
        raise ArtifactError(
            f"an artifact name must be a non-empty string, not {name!r}: e.g. name='digits-train'"
        )
    bad = [c for c in "/:\\" if c in name]
    if bad:
        suggestion = re.sub(r"[/:\\]+", "-", name).strip("-") or "data"
        raise ArtifactError(
            f"artifact name {name!r} holds {' and '.join(repr(c) for c in bad)}: "
            f"'/' separates folders and ':' a version (name:v2). Use e.g. {suggestion!r}"
        )
    if name != name.strip() or any(ord(c) < 32 for c in name) or len(name) > MAX_NAME:
        raise ArtifactError(
            f"artifact name {name!r} must be at most {MAX_NAME} printable characters "
            "without leading or trailing spaces"
        )
    return name


def check_alias(alias: object) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias == "latest":
        raise ArtifactError(
            f"alias {alias!r} is not allowed: use letters, digits, '_', '.', '-' starting "
            "with a letter (e.g. 'best', 'candidate'); 'latest' always means the newest"
        )
    if _VERSION.match(alias):
        raise ArtifactError(f"alias {alias!r} looks like a version number; pick another name")
    return alias


@dataclass(frozen=True)
class ArtifactRef:
    """A parsed reference: `selector` is None (latest), 'latest', 'v<n>', an alias
    or a hash prefix; `version` is the number for 'v<n>'."""

    name: str
    selector: str | None = None

    @property
    def version(self) -> int | None:
        m = _VERSION.match(self.selector or "")
        return int(m.group(1)) if m else None

    @property
    def hash_prefix(self) -> str | None:
        sel = self.selector or ""
        return sel if _HEX.match(sel) and self.version is None else None

    def __str__(self) -> str:
        return self.name if self.selector is None else f"{self.name}:{self.selector}"


def parse_ref(ref: object) -> ArtifactRef:
    if not isinstance(ref, str) or not ref.strip() or "\0" in ref or len(ref) > 1000:
        raise ArtifactError(
            f"an artifact reference is a string like 'digits-train:v2', not {ref!r:.80}"
        )
    name, sep, selector = ref.rpartition(":")
    if not sep:
        return ArtifactRef(ref)
    if not name:
        raise ArtifactError(f"artifact reference {ref!r} has no name before ':'")
    if not selector:
        raise ArtifactError(
            f"artifact reference {ref!r} ends with ':': add a version (v2), 'latest', "
            "an alias or a hash prefix"
        )
    return ArtifactRef(name, selector)
