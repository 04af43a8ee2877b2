"""Which artifact versions two runs used differently: the "inputs" part of
`nbtrack.diff(a, b)`. Pure: the caller brings each run's input versions."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InputsDiff:
    """By artifact name: `changed` {name: (a ref, b ref)}, `added` (only b used),
    `removed` (only a used), `same` (both used the same version)."""

    changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    added: dict[str, str] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)
    same: dict[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.changed or self.added or self.removed)

    @property
    def used(self) -> bool:
        """Did either run use any artifact version? (A diff of two runs without
        inputs says nothing of them.)"""
        return bool(self.changed or self.added or self.removed or self.same)

    def to_json(self) -> dict[str, Any]:
        return {
            "changed": {k: {"old": a, "new": b} for k, (a, b) in self.changed.items()},
            "added": self.added,
            "removed": self.removed,
            "same": self.same,
        }

    def text(self) -> str:
        lines = ["inputs"]
        for name, (a, b) in self.changed.items():
            lines.append(f"  ~ {name}: {a} -> {b}")
        lines += [f"  + {ref}" for ref in self.added.values()]
        lines += [f"  - {ref}" for ref in self.removed.values()]
        if len(lines) == 1:
            lines.append(
                f"  (same {len(self.same)} input version(s))" if self.same else "  (no inputs)"
            )
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        rows = [
            f"<tr><td>~</td><td>{html.escape(n)}</td>"
            f"<td>{html.escape(a)} → {html.escape(b)}</td></tr>"
            for n, (a, b) in self.changed.items()
        ]
        rows += [
            f"<tr><td>+</td><td colspan=2>{html.escape(r)}</td></tr>" for r in self.added.values()
        ]
        rows += [
            f"<tr><td>−</td><td colspan=2>{html.escape(r)}</td></tr>" for r in self.removed.values()
        ]
        body = (
            "".join(rows) or f"<tr><td colspan=3>same {len(self.same)} input version(s)</td></tr>"
        )
        return f"<h4>Inputs</h4><table class='nbtrack-inputs'>{body}</table>"


def diff_inputs(a: list[Any], b: list[Any]) -> InputsDiff:
    """Compare two runs' input versions (objects with `.name` and `.ref`)."""
    old = {v.name: v.ref for v in a}
    new = {v.name: v.ref for v in b}
    out = InputsDiff()
    for name in sorted(old.keys() | new.keys()):
        if name in old and name in new:
            if old[name] == new[name]:
                out.same[name] = old[name]
            else:
                out.changed[name] = (old[name], new[name])
        elif name in new:
            out.added[name] = new[name]
        else:
            out.removed[name] = old[name]
    return out
