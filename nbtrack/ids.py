"""Sortable unique run ids: ULID layout (48-bit millisecond time, then 80 random
bits), Crockford base32, lower case."""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def new_id(now: float | None = None) -> str:
    """A 26-character id that sorts by creation time, then randomly."""
    ms = int((time.time() if now is None else now) * 1000)
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))
