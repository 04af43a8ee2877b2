"""Query parameters and request bodies of the REST API, checked. Pure.

Every function takes the raw strings (or decoded JSON) a client sent and
returns typed values, or raises ApiError(400) naming the parameter and what
it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..runview import RunStatus
from ..series import MIN_POINTS
from . import cursor
from .errors import bad_request

STATUSES = RunStatus.values()
SORT_FIELDS = ("start", "name", "status", "duration", "notebook", "ref", "tags", "sweep", "user")
SORT_PREFIXES = ("params.", "metrics.")

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
DEFAULT_MAX_POINTS = 5000
MAX_MAX_POINTS = 100_000
MAX_NAME = 500
MAX_TAG = 200
MAX_TAGS = 100
MAX_NOTES = 100_000


def integer(name: str, raw: str | None, default: int, lo: int, hi: int) -> int:
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 30:
        raise bad_request(f"{name} must be an integer from {lo} to {hi}, not {raw[:40]!r}")
    value = int(text)
    if not lo <= value <= hi:
        raise bad_request(f"{name} must be an integer from {lo} to {hi}, not {value}")
    return value


def comma_list(raw: str | None) -> list[str] | None:
    """`a,b` as ["a", "b"] (blank items dropped); None when the parameter is absent."""
    if raw is None:
        return None
    return [item.strip() for item in raw.split(",") if item.strip()]


@dataclass(frozen=True)
class RunsQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str = "start"
    descending: bool = True
    q: str = ""
    status: tuple[str, ...] | None = None
    changed_since: float | None = None


def runs_query(args: dict[str, str | None]) -> RunsQuery:
    """GET /runs parameters: limit, offset, sort, order, q, status, changed_since."""
    sort = args.get("sort") or "start"
    if sort not in SORT_FIELDS and not (sort.startswith(SORT_PREFIXES) and sort.split(".", 1)[1]):
        raise bad_request(
            f"sort must be one of {', '.join(SORT_FIELDS)}, params.<key> or metrics.<key>, "
            f"not {sort[:80]!r}"
        )
    order = args.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise bad_request(f"order must be asc or desc, not {order[:40]!r}")
    statuses = comma_list(args.get("status"))
    if statuses is not None:
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise bad_request(
                f"status must be a comma list of {', '.join(STATUSES)}; "
                f"unknown: {', '.join(repr(s[:40]) for s in unknown[:3])}"
            )
    changed = args.get("changed_since")
    return RunsQuery(
        limit=integer("limit", args.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=integer("offset", args.get("offset"), 0, 0, 10**12),
        sort=sort,
        descending=order == "desc",
        q=(args.get("q") or "").strip(),
        status=tuple(statuses) if statuses else None,
        changed_since=cursor.decode_time(changed) if changed else None,
    )


@dataclass(frozen=True)
class MetricsQuery:
    keys: tuple[str, ...] | None
    after: int | None
    max_points: int


def metrics_query(args: dict[str, str | None]) -> MetricsQuery:
    """GET /runs/{ref}/metrics parameters: keys, after, max_points."""
    keys = comma_list(args.get("keys"))
    if keys and any("\0" in k for k in keys):
        raise bad_request("metric keys cannot hold NUL characters: fix the keys parameter")
    after = args.get("after")
    return MetricsQuery(
        keys=tuple(dict.fromkeys(keys)) if keys else None,
        after=cursor.decode(after) if after else None,
        max_points=integer(
            "max_points", args.get("max_points"), DEFAULT_MAX_POINTS, MIN_POINTS, MAX_MAX_POINTS
        ),
    )


def diff_refs(args: dict[str, str | None]) -> tuple[str, str]:
    """GET /diff parameters: the references of runs a and b."""
    a, b = (args.get("a") or "").strip(), (args.get("b") or "").strip()
    if not a or not b:
        raise bad_request("name the two runs to compare: diff?a=train%233&b=train%234")
    return a, b


def run_patch(body: Any) -> dict[str, Any]:
    """PATCH /runs/{ref} body: {"name"?: str, "tags"?: [str], "notes"?: str | null}, as
    store column values."""
    if not isinstance(body, dict):
        raise bad_request('the body must be a JSON object such as {"name": "baseline"}')
    unknown = sorted(set(body) - {"name", "tags", "notes"})
    if unknown:
        shown = ", ".join(repr(k[:40]) for k in unknown[:5])
        raise bad_request(f"only name, tags and notes can be changed; unknown fields: {shown}")
    values: dict[str, Any] = {}
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise bad_request(f"name must be a non-blank string of at most {MAX_NAME} characters")
        values["name"] = name.strip()
    if "tags" in body:
        tags = body["tags"]
        if (
            not isinstance(tags, list)
            or len(tags) > MAX_TAGS
            or not all(isinstance(t, str) and t.strip() and len(t) <= MAX_TAG for t in tags)
        ):
            raise bad_request(
                f"tags must be a list of at most {MAX_TAGS} non-blank strings "
                f"of at most {MAX_TAG} characters"
            )
        values["tags"] = sorted({t.strip() for t in tags})
    if "notes" in body:
        notes = body["notes"]
        if notes is not None and (not isinstance(notes, str) or len(notes) > MAX_NOTES):
            raise bad_request(f"notes must be a string of at most {MAX_NOTES} characters, or null")
        values["notes"] = notes
    texts = [values.get("name") or "", values.get("notes") or "", *values.get("tags", ())]
    if not all(_storable(text) for text in texts):
        raise bad_request(
            "names, tags and notes must be valid Unicode text without NUL characters "
            "(\\u0000) or unpaired surrogates (\\ud800)"
        )
    return values


def _storable(text: str) -> bool:
    """Whether both store backends can hold `text` (PostgreSQL refuses NUL)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\0" not in text
