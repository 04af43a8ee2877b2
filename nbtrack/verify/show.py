"""A run's verdict and stale-input flag for `nbtrack show` and `%nbtrack show`."""

from __future__ import annotations

from typing import Any


def verdict_entry(run: Any) -> dict[str, Any] | None:
    """{"verdict", "detail", "checked_at", "stale"} of a `query.Run`, or None."""
    entry: dict[str, Any] | None = run.verification
    return entry


def verdict_text(run: Any) -> str:
    """Lines to append to `format.run_details` (empty when there is nothing to say)."""
    from .compare import describe

    entry = verdict_entry(run)
    if not entry:
        return ""
    lines = []
    if entry.get("verdict"):
        text = describe(entry["verdict"], entry.get("detail") or {})
        first, *rest = text.splitlines()
        lines.append(f"  verdict     {first}")
        lines += ["  " + line for line in rest]
    stale = entry.get("stale")
    if stale:
        lines.append(f"  stale inputs {stale.get('summary', '')}")
    return "\n" + "\n".join(lines)
