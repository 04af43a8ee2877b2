"""Cursors of incremental metric reads. Pure.

A cursor names the last metric point a client has: the point's number within
its run (`seq` in the store), given in the order the run's points are committed
(the store allocates them under a lock of the run's counter), so "points with an
id above the cursor" are exactly the points written since. The text form is
versioned so that it can change without breaking old clients silently.
"""

from __future__ import annotations

import re

from ..errors import NbtrackError

_PREFIX = "v1."
_FORM = re.compile(r"^v1\.(0|[1-9][0-9]{0,18})$")
MAX_ID = 2**63 - 1  # BIGINT


class CursorError(NbtrackError, ValueError):
    """A cursor that this server did not hand out."""


def encode(last_id: int) -> str:
    if not 0 <= last_id <= MAX_ID:
        raise ValueError(f"a cursor holds a point id from 0 to {MAX_ID}, not {last_id}")
    return f"{_PREFIX}{last_id}"


def decode(text: str) -> int:
    """The point id in `text`, or CursorError saying what to send instead."""
    m = _FORM.match(text)
    if m is None or int(m.group(1)) > MAX_ID:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise CursorError(
            f"after={shown!r} is not a cursor from this server: pass the `cursor` of the "
            "previous metrics response, or leave `after` out to read from the start"
        )
    return int(m.group(1))


# -- cursors of the runs list's changes ---------------------------------------------

_TIME_FORM = re.compile(r"^t1\.([0-9]{1,12}(?:\.[0-9]{1,6})?)$")


def encode_time(seconds: float) -> str:
    """The cursor of a runs answer: the server's clock when it read the store."""
    return f"t1.{seconds:.3f}"


def decode_time(text: str) -> float:
    m = _TIME_FORM.match(text)
    if m is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise CursorError(
            f"changed_since={shown!r} is not a cursor from this server: pass the `cursor` of "
            "the previous runs response, or leave changed_since out to list every run"
        )
    return float(m.group(1))
