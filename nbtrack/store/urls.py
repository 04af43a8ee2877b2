"""Store URLs as people may see them: the password masked, everywhere.

`mask_url` is for a URL we hold; `mask_text` for any message that may quote one
(a driver's error, a traceback). `remember_password` records the passwords of
the stores this process opened, so that redaction of what nbtrack saves (run
records, snapshots, sweep notebooks) can remove them even where they appear
outside a URL.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote

MASK = "***"

# scheme://user:password@  — the password is anything up to the last '@' before
# the host (passwords may hold '@' when not percent-encoded), never spanning spaces.
_USERINFO = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:)(?P<pw>[^\s'\"/]*)(?=@)"
)
# ?password=...  &password=...  (libpq keyword style in a query string or a DSN)
_QUERY_PW = re.compile(
    r"(?P<head>(?:[?&;\s]|^)(?:password|passwd|pwd)\s*=\s*)(?P<pw>'[^']*'|[^&\s'\"]*)", re.I
)

# A known password is also masked where it appears outside a URL, when it is
# long enough not to be an ordinary word.
_MIN_LITERAL = 6

_passwords: set[str] = set()
_lock = threading.Lock()


def mask_url(url: str) -> str:
    """`url` with its password (in the user info or a `password=` query parameter)
    replaced by `***`: `postgresql+psycopg://user:***@host/db`. Never raises; a
    string that does not parse as a URL is masked as text."""
    if not isinstance(url, str):
        url = str(url)
    return mask_text(url)


def mask_text(text: str) -> str:
    """`text` with every URL password and `password=` value in it masked."""
    if not text:
        return text
    masked = _USERINFO.sub(_masked, text)
    masked = _QUERY_PW.sub(_masked, masked)
    for password in known_passwords():
        if len(password) >= _MIN_LITERAL and password in masked:
            masked = masked.replace(password, MASK)
    return masked


def _masked(m: re.Match[str]) -> str:
    return m.group("head") + MASK if m.group("pw") else m.group(0)


def url_passwords(url: str) -> list[str]:
    """The password(s) `url` carries, as written and decoded (percent-escapes)."""
    found: list[str] = []
    for pattern in (_USERINFO, _QUERY_PW):
        for m in pattern.finditer(url or ""):
            pw = m.group("pw").strip("'")
            if pw:
                found += [pw, unquote(pw)]
    return list(dict.fromkeys(found))


def remember_password(url: str) -> None:
    """Treat the password of `url` (a store this process uses) as a secret."""
    passwords = url_passwords(url)
    if passwords:
        with _lock:
            _passwords.update(passwords)


def known_passwords() -> list[str]:
    """The passwords of every store URL this process has used, longest first."""
    with _lock:
        return sorted(_passwords, key=len, reverse=True)
