"""Store URLs as they may be shown: the password masked."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"^(?P<scheme>[^:/?#]+://)(?P<user>[^:@/]*):(?P<pw>[^@/]*)@")
_QUERY_PW = re.compile(r"(?i)([?&]password=)[^&]*")


def mask_url(url: str) -> str:
    """`postgresql+psycopg://user:***@host/db`; any string is accepted."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", str(url))
    return _QUERY_PW.sub(r"\1***", text)
