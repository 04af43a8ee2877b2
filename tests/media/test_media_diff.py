"""nbtrack.diff(a, b) shows figures, images and tables logged under the same name
whose content changed: images side by side in HTML, tables as a row summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import nbtrack


def _run(name: str, shade: int, preds: list[float], extra: str | None = None) -> str:
    with nbtrack.start_run(name=name) as run:
        nbtrack.log_image("<sample>", np.full((16, 16, 3), shade, dtype=np.uint8))
        nbtrack.log_table("preds", pd.DataFrame({"y": preds}))
        nbtrack.log_text("same", "unchanged")
        nbtrack.log_table("stable", pd.DataFrame({"a": [1, 2]}))
        if extra:
            nbtrack.log_text(extra, "x")
    return run.ref


def test_diff_shows_changed_images_side_by_side_and_table_rows(backend: str, project: Path) -> None:
    a = _run("a", 10, [1.0, np.nan, 3.0, 4.0], extra="only-a")
    b = _run("b", 200, [1.0, np.nan, 5.0, 4.0, 6.0])
    d = nbtrack.diff(a, b)
    media = d.to_json()["media"]
    changed = {c["name"]: c for c in media["changed"]}
    assert sorted(changed) == ["<sample>", "preds"]  # 'stable' and texts are the same
    assert changed["preds"]["summary"] == "4 → 5 rows; 1 of the first 4 rows differ"
    assert media["only_a"] == ["only-a"] and media["only_b"] == []
    html = d._repr_html_()
    assert html.count("data:image/png;base64,") == 2  # a and b, side by side
    assert "&lt;sample&gt;" in html and "<sample>" not in html
    assert "~ table 'preds' changed: 4 → 5 rows" in str(d)


def test_runs_with_the_same_media_have_no_media_diff(backend: str, project: Path) -> None:
    a = _run("a", 10, [1.0, 2.0])
    b = _run("b", 10, [1.0, 2.0])
    media = nbtrack.diff(a, b).media
    assert media.is_empty and media.text() == "" and media.html() == ""
