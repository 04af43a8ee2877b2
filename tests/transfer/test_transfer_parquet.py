"""`nbtrack runs --format parquet -o FILE` and history DataFrames as Parquet."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pandas as pd
import pytest

import nbtrack
from nbtrack.cli import main
from nbtrack.transfer.parquet import read_parquet

pytest.importorskip("pyarrow")


def _record() -> list[str]:
    ids = []
    with nbtrack.start_run(
        params={"lr": 0.1, "opt": "adam", "layers": [64, 32], "cfg": {"a": 1}},
        tags=["base", "cpu"],
        notes="first",
    ) as run:
        for step, value in enumerate([math.nan, math.inf, -math.inf, 0.1 + 0.2]):
            nbtrack.log(loss=value, step=step)
        ids.append(run.id)
    with nbtrack.start_run(params={"lr": "auto"}) as run:  # lr: a number, then text
        nbtrack.log(loss=1.0, acc=0.5)
        ids.append(run.id)
    return ids


def test_runs_to_parquet_keeps_every_value(backend: str, tmp_path: Path, capsys) -> None:
    _record()
    path = tmp_path / "runs.parquet"
    assert main(["runs", "--format", "parquet", "-o", str(path)]) == 0
    assert "wrote 2 run(s)" in capsys.readouterr().out
    expected = nbtrack.runs()
    back = read_parquet(path)
    assert list(back.columns) == list(expected.columns)
    for column in expected.columns:
        for want, got in zip(expected[column], back[column], strict=True):
            if isinstance(want, float) and math.isnan(want):
                assert got is None or (isinstance(got, float) and math.isnan(got)), column
            elif isinstance(want, list):
                assert list(got) == want, column
            elif want is None or want is pd.NA or want is pd.NaT:
                assert got is None or pd.isna(got), column
            else:
                assert got == want, column
    # A plain pandas reader sees the same table (JSON text for the mixed param).
    plain = pd.read_parquet(path)
    assert sorted(plain["params.lr"]) == ['"auto"', "0.1"]


def test_runs_parquet_without_output_says_what_to_add(project: Path, capsys) -> None:
    assert main(["runs", "--format", "parquet"]) == 1
    assert "-o runs.parquet" in capsys.readouterr().err


def test_history_frames_round_trip_through_parquet(backend: str, tmp_path: Path) -> None:
    ids = _record()
    df = nbtrack.history(ids)
    df.to_parquet(tmp_path / "h.parquet")
    back = pd.read_parquet(tmp_path / "h.parquet")
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    bits = [struct.pack("<d", v) for v in df["value"]]
    assert [struct.pack("<d", v) for v in back["value"]] == bits
