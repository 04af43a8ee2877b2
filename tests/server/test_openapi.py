"""The OpenAPI description: valid, in step with the handlers, and a property-based
fuzz run (hypothesis) against the live server that finds no 5xx answers."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest
from openapi_spec import load_spec

from nbtrack.server.handlers import ROUTES

SpecChecker = Any


@pytest.fixture
def store_url(backend: str) -> str:
    """These tests run on SQLite and PostgreSQL, whose drivers refuse different input."""
    return backend


def test_the_description_is_valid_openapi() -> None:
    from openapi_spec_validator import validate

    validate(load_spec())


def test_every_documented_path_has_a_route() -> None:
    import re

    routes = [re.compile(path + "$") for path, _ in ROUTES[:-1]]  # not the catch-all
    for template in load_spec()["paths"]:
        concrete = template[1:].replace("{ref}", "train%231")
        assert any(r.match(concrete) for r in routes), template


async def test_run_records_have_exactly_the_documented_fields(
    api: Any, three_runs: Any, spec_checker: SpecChecker
) -> None:
    schemas = spec_checker.spec["components"]["schemas"]
    listed = (await api("GET", "runs")).body["runs"][0]
    assert set(listed) == set(schemas["Run"]["required"])
    one = (await api("GET", "runs", "latest")).body
    detail = set(schemas["Run"]["required"]) | set(schemas["RunDetail"]["allOf"][1]["required"])
    assert set(one) == detail


# -- fuzzing ------------------------------------------------------------------------------

KNOWN_REFS = ["train#1", "train#2", "baseline", "latest", "latest~1", "eval#1", "train#99"]


def _strategies() -> Any:
    from hypothesis import strategies as st

    text = st.text(max_size=30)
    number = st.integers(min_value=-(10**20), max_value=10**20).map(str)
    # Numbers past Python's 4,300-digit int-string limit, in `stem#N` and `base~N`.
    huge = st.integers(min_value=4301, max_value=6000).map(lambda n: "9" * n)
    seq_ref = st.tuples(st.sampled_from(["train", "eval", "x\x00"]), number | huge).map("#".join)
    back_ref = st.tuples(st.sampled_from(["latest", "baseline", "train#1"]), number | huge).map(
        "~".join
    )
    ref = st.one_of(
        st.sampled_from(KNOWN_REFS), seq_ref, back_ref, text.filter(lambda s: s not in KNOWN_REFS)
    )
    value = st.one_of(text, number, st.sampled_from(["", "asc", "desc", "v1.0", "v1.5"]))

    def query(names: list[str]) -> Any:
        return st.dictionaries(st.one_of(st.sampled_from(names), text), value, max_size=4)

    runs_args = query(["limit", "offset", "sort", "order", "q", "status"])
    metric_args = query(["keys", "after", "max_points"])
    diff_args = st.fixed_dictionaries({"a": ref, "b": ref})
    json_value = st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=False) | text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
        max_leaves=8,
    )
    body = st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.one_of(text, json_value),
                "tags": st.one_of(st.lists(text, max_size=4), json_value),
                "notes": st.one_of(st.none(), text, json_value),
            },
        ).map(json.dumps),
        json_value.map(json.dumps),
        text,
        st.sampled_from(['{"name": "a\\u0000"}', '{"tags": ["\\ud800"]}', '{"notes": "\\udfff"}']),
        # Nesting deeper than the JSON parser's recursion limit.
        st.integers(min_value=1000, max_value=50_000).map(
            lambda n: '{"tags": ' + "[" * n + "]" * n + "}"
        ),
    )
    return st.one_of(
        st.tuples(st.just("GET"), st.just(("runs",)), runs_args, st.none()),
        st.tuples(st.just("GET"), ref.map(lambda r: ("runs", r)), st.just({}), st.none()),
        st.tuples(
            st.just("GET"), ref.map(lambda r: ("runs", r, "metrics")), metric_args, st.none()
        ),
        st.tuples(
            st.just("GET"), ref.map(lambda r: ("runs", r, "snapshot")), st.just({}), st.none()
        ),
        st.tuples(st.just("GET"), st.just(("diff",)), diff_args, st.none()),
        st.tuples(st.just("PATCH"), ref.map(lambda r: ("runs", r)), st.just({}), body),
        st.tuples(
            st.just("DELETE"),
            text.filter(lambda s: s and s not in KNOWN_REFS).map(lambda r: ("runs", r)),
            st.just({}),
            st.none(),
        ),
    )


def _plain(parts: tuple[str, ...]) -> bool:
    """Whether the URL has the endpoint's shape (a ref without '/' and not '.' or '..')."""
    return all(p and "/" not in p and p not in (".", "..") for p in parts)


@pytest.mark.slow
async def test_fuzzing_the_api_finds_no_server_errors(
    jp_fetch: Any, spec_checker: SpecChecker, three_runs: Any
) -> None:
    from hypothesis import HealthCheck, given, settings

    loop = asyncio.get_running_loop()
    seen: dict[int, int] = {}

    @settings(
        max_examples=600,
        deadline=None,
        database=None,
        derandomize=bool(os.environ.get("CI")),  # CI repeats one run; locally each run explores
        suppress_health_check=list(HealthCheck),
    )
    @given(request=_strategies())
    def check(request: tuple[str, tuple[str, ...], dict[str, str], str | None]) -> None:
        method, parts, params, body = request

        async def call() -> Any:  # jp_fetch must run on the server's loop
            return await jp_fetch(
                "nbtrack",
                "api",
                *parts,
                method=method,
                params=params,
                body=body if method == "PATCH" else None,
                raise_error=False,
                allow_nonstandard_methods=True,
            )

        response = asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=60)
        seen[response.code] = seen.get(response.code, 0) + 1
        assert response.code < 500, (request, response.body[:500])
        data = json.loads(response.body) if response.body else None
        if _plain(parts):
            spec_checker.check(method, parts, response.code, data)
        elif response.code >= 400:
            spec_checker.validate(data, "#/components/schemas/Error")

    await asyncio.to_thread(check)
    assert seen.get(200, 0) > 10 and seen.get(400, 0) > 10 and seen.get(404, 0) > 10, seen
