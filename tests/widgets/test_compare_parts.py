"""The comparison's pure parts: which params differ, the HTML table, parallel coordinates."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from nbtrack.widgets.parallel import NO_VALUE, parallel_coordinates, ramp
from nbtrack.widgets.table import differing_params, html_table, metric_keys

RUNS = [
    {
        "name": "a",
        "status": "finished",
        "duration": 3.0,
        "params": {"lr": 0.1, "opt": "adam", "seed": 1},
        "metrics": {"loss": {"last": 0.2}, "acc": {"last": 0.9}},
    },
    {
        "name": "b",
        "status": "running",
        "duration": 1.5,
        "params": {"lr": 0.01, "opt": "sgd", "seed": 1},
        "metrics": {"loss": {"last": 0.4}},
    },
    {
        "name": "<b>c</b>",
        "status": "failed",
        "duration": 0.2,
        "params": {"lr": 0.05, "seed": 1, "extra": True},
        "metrics": {},
    },
]


def test_differing_params_include_missing_ones_and_type_changes() -> None:
    assert differing_params(RUNS) == ["extra", "lr", "opt"]
    same_but_types = [{"params": {"x": 1}}, {"params": {"x": 1.0}}, {"params": {"x": True}}]
    assert differing_params(same_but_types) == ["x"]
    assert differing_params(RUNS[:1]) == []


def test_metric_keys_most_logged_first() -> None:
    assert metric_keys(RUNS) == ["loss", "acc"]


def test_html_table_highlights_differing_params_and_escapes_names() -> None:
    html = html_table(RUNS, ["loss", "acc"], ["#111111", "#222222", "#333333"])
    table = ET.fromstring(html)  # well-formed: user text cannot open tags
    head = [th.text for th in table.iter("th")]
    assert head == ["run", "status", "duration", "extra", "lr", "opt", "seed", "loss", "acc"]
    rows = [[td.text for td in tr.iter("td")] for tr in table.iter("tr")][1:]
    assert rows[2][0] == "<b>c</b>" and "<b>c</b>" not in html
    assert rows[0] == ["a", "finished", "3.0s", None, "0.1", "adam", "1", "0.2", "0.9"]
    highlighted = [
        [td.text for td in tr.iter("td") if td.get("class") == "nbtrack-differs"]
        for tr in table.iter("tr")
    ][1:]
    assert highlighted == [[None, "0.1", "adam"], [None, "0.01", "sgd"], ["True", "0.05", None]]
    # Every cell is padded: without it a name runs into its status ("tunedfinished").
    cells = [*table.iter("th"), *table.iter("td")]
    assert all("padding:2px 8px" in c.get("style", "") for c in cells)


def test_parallel_coordinates_scale_each_dimension_and_colour_by_metric() -> None:
    dims, rows = parallel_coordinates(RUNS, ["lr", "opt"], "loss")
    assert [(d.name, d.low_label, d.high_label) for d in dims] == [
        ("lr", "0.01", "0.1"),
        ("opt", "adam", "sgd"),
        ("loss", "0.2", "0.4"),
    ]
    assert [r.values for r in rows] == [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 1.0],
        [(0.05 - 0.01) / (0.1 - 0.01), None, None],
    ]
    assert [r.color for r in rows] == [ramp(0.0), ramp(1.0), NO_VALUE]
    assert rows[2].label == "<b>c</b>"  # drawn as text by bqplot


def test_parallel_coordinates_with_one_value_per_dimension() -> None:
    dims, rows = parallel_coordinates(RUNS[:1], ["seed"], None)
    assert [d.name for d in dims] == ["seed"] and rows[0].values == [0.5]
