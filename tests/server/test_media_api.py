"""The media endpoints: a run's media paged, a table paged as strict JSON, a blob
by hash with its content type, immutable caching and ETag, SVG that cannot run
script; every JSON answer checked against openapi.yaml."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import nbtrack

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def media_run(store_url: str, project: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure()
    fig.add_subplot().plot([1, 2, 3])
    with nbtrack.start_run(notebook="train.ipynb") as run:
        for step in range(3):
            nbtrack.log_image(
                "samples",
                [np.full((8, 8, 3), step * 40 + i, dtype=np.uint8) for i in range(2)],
                captions=["<img src=x onerror=alert(1)>", "plain"],
            )
        nbtrack.log_figure("curve", fig)
        nbtrack.log_table(
            "preds", pd.DataFrame({"y": np.arange(250, dtype=float), "label": ["a"] * 250})
        )
        nbtrack.log_table("nan", pd.DataFrame({"v": [1.0, np.nan, np.inf]}))
        nbtrack.log_text("note", "<script>alert(1)</script>")
    return run.ref


async def test_media_are_listed_paged_and_filtered(api: Any, media_run: str) -> None:
    page = (await api("GET", "runs", media_run, "media", params={"limit": "4"})).body
    assert page["total"] == 10 and len(page["media"]) == 4
    assert {n["name"]: n["count"] for n in page["names"]} == {
        "curve": 1,
        "nan": 1,
        "note": 1,
        "preds": 1,
        "samples": 6,
    }
    step1 = (
        await api("GET", "runs", media_run, "media", params={"name": "samples", "step": "1"})
    ).body["media"]
    assert [(m["step"], m["index"]) for m in step1] == [(1, 0), (1, 1)]
    assert step1[0]["caption"] == "<img src=x onerror=alert(1)>"  # text, as logged
    bad = await api("GET", "runs", media_run, "media", params={"limit": "0"})
    assert bad.status == 400 and "limit must be an integer" in bad.body["message"]
    missing = await api("GET", "runs", "nope#9", "media")
    assert missing.status == 404


async def test_tables_are_paged_as_strict_json(api: Any, media_run: str) -> None:
    page = (
        await api(
            "GET",
            "runs",
            media_run,
            "table",
            params={"name": "preds", "offset": "200", "limit": "100"},
        )
    ).body
    assert page["total"] == 250 and len(page["rows"]) == 50
    assert page["rows"][0] == [200.0, "a"]
    assert [c["name"] for c in page["columns"]] == ["y", "label"]
    nan = (await api("GET", "runs", media_run, "table", params={"name": "nan"})).body
    assert nan["rows"][0] == [1.0] and nan["rows"][1] in ([None], ["NaN"])
    missing = await api("GET", "runs", media_run, "table", params={"name": "nope"})
    assert missing.status == 404 and "no table named 'nope'" in missing.body["message"]
    unnamed = await api("GET", "runs", media_run, "table")
    assert unnamed.status == 400 and "runs/{ref}/table?name=" in unnamed.body["message"]


async def _blob(jp_fetch: Any, digest: str, headers: dict[str, str] | None = None) -> Any:
    return await jp_fetch(
        "nbtrack", "api", "media", digest, headers=headers or {}, raise_error=False
    )


async def test_blobs_by_hash_with_type_cache_headers_and_etag(
    api: Any, jp_fetch: Any, media_run: str
) -> None:
    items = (await api("GET", "runs", media_run, "media", params={"limit": "100"})).body["media"]
    by_name = {m["name"]: m for m in items}
    png = await _blob(jp_fetch, by_name["curve"]["hash"])
    assert png.code == 200 and png.body.startswith(b"\x89PNG")
    assert png.headers["Content-Type"] == "image/png"
    assert "immutable" in png.headers["Cache-Control"]
    assert png.headers["ETag"] == f'"{by_name["curve"]["hash"]}"'
    again = await _blob(jp_fetch, by_name["curve"]["hash"], {"If-None-Match": png.headers["ETag"]})
    assert again.code == 304 and again.body == b""

    svg = await _blob(jp_fetch, by_name["curve"]["meta"]["svg"])
    assert svg.headers["Content-Type"] == "image/svg+xml" and b"<svg" in svg.body
    assert svg.headers["Content-Security-Policy"].startswith("sandbox")
    assert svg.headers["X-Content-Type-Options"] == "nosniff"

    text = await _blob(jp_fetch, by_name["note"]["hash"])
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.body == b"<script>alert(1)</script>"
    parquet = await _blob(jp_fetch, by_name["preds"]["hash"])
    assert parquet.headers["Content-Disposition"].startswith("attachment")

    unknown = await _blob(jp_fetch, "0" * 64)
    assert unknown.code == 404 and "no media blob" in json.loads(unknown.body)["message"]
    bad = await _blob(jp_fetch, "../../etc")
    assert bad.code == 404


async def test_many_images_are_read_in_one_answer(api: Any, media_run: str) -> None:
    import base64

    items = (await api("GET", "runs", media_run, "media", params={"limit": "100"})).body["media"]
    samples = [m["hash"] for m in items if m["name"] == "samples"]
    note = next(m["hash"] for m in items if m["name"] == "note")
    asked = ",".join([*samples, note, "0" * 64])
    body = (await api("GET", "media", "images", params={"hashes": asked})).body
    assert [i["hash"] for i in body["images"]] == list(dict.fromkeys(samples))
    first = base64.b64decode(body["images"][0]["data"])
    assert first.startswith(b"\x89PNG") and body["images"][0]["mime"] == "image/png"
    # Text is not an image, and an unknown hash is not served: both said missing.
    assert body["missing"] == [note, "0" * 64]
    too_many = await api("GET", "media", "images", params={"hashes": ",".join(["a" * 64] * 101)})
    assert too_many.status == 400 and "1 to 100 image hashes" in too_many.body["message"]
    none = await api("GET", "media", "images")
    assert none.status == 400


async def test_media_endpoints_need_a_token(
    http_server_client: Any, jp_base_url: str, media_run: str
) -> None:
    items = nbtrack.get_run(media_run).media()
    ref = media_run.replace("#", "%23")
    for path in (f"runs/{ref}/media", f"runs/{ref}/table?name=preds", f"media/{items['hash'][0]}"):
        reply = await http_server_client.fetch(
            f"{jp_base_url}nbtrack/api/{path}",
            headers={"Authorization": "token wrong"},
            raise_error=False,
            follow_redirects=False,
        )
        assert reply.code == 403, path
        assert b"PNG" not in reply.body and b"samples" not in reply.body


@pytest.mark.slow
async def test_ten_thousand_images_in_one_run_are_paged(api: Any, store_url: str) -> None:
    with nbtrack.start_run() as run:
        tiles = [np.full((4, 4), i % 256, dtype=np.uint8) for i in range(100)]
        for _ in range(100):
            nbtrack.log_image("tiles", tiles)
    first = (await api("GET", "runs", run.ref, "media", params={"limit": "1000"})).body
    assert first["total"] == 10_000 and len(first["media"]) == 1000
    last = (
        await api("GET", "runs", run.ref, "media", params={"limit": "1000", "offset": "9500"})
    ).body["media"]
    assert len(last) == 500 and (last[-1]["step"], last[-1]["index"]) == (99, 99)


async def test_a_histogram_is_served_over_its_steps(api: Any, store_url: str) -> None:
    rng = np.random.default_rng(0)
    with nbtrack.start_run(notebook="train.ipynb") as run:
        for step in range(5):
            nbtrack.log_histogram("w", rng.normal(step, 1.0, 500), step=step * 10, bins=8)
        nbtrack.log_histogram("empty", [float("nan")], step=0)
    body = (await api("GET", "runs", run.ref, "histograms", params={"name": "w"})).body
    assert [s["step"] for s in body["steps"]] == [0, 10, 20, 30, 40] and body["total"] == 5
    first, last = body["steps"][0], body["steps"][-1]
    assert len(first["edges"]) == 9 and sum(first["counts"]) == first["count"] == 500
    assert last["mean"] > first["mean"] + 3  # the distribution moved right over steps
    few = (await api("GET", "runs", run.ref, "histograms", params={"name": "w", "limit": "3"})).body
    assert [s["step"] for s in few["steps"]] == [0, 20, 40] and few["total"] == 5
    empty = (await api("GET", "runs", run.ref, "histograms", params={"name": "empty"})).body
    assert empty["steps"][0]["mean"] is None and empty["steps"][0]["nonfinite"] == 1
    missing = await api("GET", "runs", run.ref, "histograms", params={"name": "nope"})
    assert missing.status == 404 and "no histogram named 'nope'" in missing.body["message"]
    unnamed = await api("GET", "runs", run.ref, "histograms")
    assert unnamed.status == 400 and "runs/{ref}/histograms?name=" in unnamed.body["message"]
