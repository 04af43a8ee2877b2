"""Tags and notes of a run, changed after it started: from Python (`nbtrack.set_tags`,
`Run.set_tags`, `set_notes`) and the command line (`nbtrack tag`, `nbtrack note`).

The same rules as the Runs panel's edits (`PATCH /runs/{ref}`, `server/params.
run_patch`: at most 100 non-blank tags of at most 200 characters, notes of at most
100,000, text both backends can hold) and the same store write (`Store.update_run`).
Secret values are redacted as in every text a run records.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import NbtrackError


class RunEditError(NbtrackError, ValueError):
    """Tags or notes a run cannot hold, with what to give instead."""


def _names(tags: Iterable[str] | str | None, what: str) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        return [tags]  # set_tags("best"): one tag, not five letters
    out = list(tags)
    bad = [t for t in out if not isinstance(t, str)]
    if bad:
        raise RunEditError(f"{what}: a tag is text, not {type(bad[0]).__name__} ({bad[0]!r})")
    return out


def new_tags(
    current: Iterable[str],
    tags: Iterable[str] | str | None = None,
    *,
    add: Iterable[str] | str | None = None,
    remove: Iterable[str] | str | None = None,
) -> list[str]:
    """The tags after an edit, sorted: `tags` (when given) replaces `current`, then
    `add` are added and `remove` taken away (removing an absent tag is no error).
    Blank space around a tag is dropped. Pure; RunEditError for tags no run can hold."""
    base = set(current) if tags is None else {t.strip() for t in _names(tags, "tags")}
    base |= {t.strip() for t in _names(add, "add")}
    base -= {t.strip() for t in _names(remove, "remove")}
    return checked({"tags": sorted(base)})["tags"]


def checked(values: dict[str, Any]) -> dict[str, Any]:
    """`values` ({"tags"?, "notes"?}) as the store keeps them, checked by the server's
    rules for the panel's edits; RunEditError with the reason."""
    from .server.errors import ApiError
    from .server.params import run_patch

    try:
        return run_patch(values)
    except ApiError as exc:
        raise RunEditError(exc.message) from None


def write(store: Any, run_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Store checked `values` on the run (secrets redacted); returns what was stored."""
    from .capture.environment import redact, secret_values

    stored = redact(checked(values), secret_values())
    store.update_run(run_id, **stored)
    return stored


def edit_tags(
    store: Any,
    run_id: str,
    tags: Iterable[str] | str | None = None,
    *,
    add: Iterable[str] | str | None = None,
    remove: Iterable[str] | str | None = None,
) -> list[str]:
    """Change a stored run's tags (see `new_tags`); returns them as stored."""
    (row,) = store.select_runs(ids=[run_id], columns=["id", "tags"]) or [{"tags": []}]
    return write(
        store, run_id, {"tags": new_tags(row.get("tags") or [], tags, add=add, remove=remove)}
    )["tags"]


def edit_notes(store: Any, run_id: str, notes: str | None) -> str | None:
    """Replace a stored run's notes (None clears them); returns them as stored."""
    return write(store, run_id, {"notes": notes})["notes"]
