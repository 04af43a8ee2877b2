"""The pure parts of the importers: param text, TFRecord framing, hparams folding."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from nbtrack.importers.mlflow_import import parse_param
from nbtrack.importers.tensorboard_import import fold_hparams
from nbtrack.importers.tfrecord import CorruptEventFile, _masked_crc, records
from nbtrack.importers.write import ImportedRun


def test_params_come_back_as_numbers_where_they_are() -> None:
    assert parse_param("3") == 3
    assert parse_param("0.01") == 0.01
    assert parse_param("adam") == "adam"
    assert parse_param("nan") == "nan"  # not a NaN param
    assert parse_param("[1, 2]") == "[1, 2]"


def _record(data: bytes) -> bytes:
    header = struct.pack("<Q", len(data))
    return (
        header
        + struct.pack("<I", _masked_crc(header))
        + data
        + struct.pack("<I", _masked_crc(data))
    )


def test_records_and_their_damage(tmp_path: Path) -> None:
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(_record(b"one") + _record(b"two"))
    assert list(records(path)) == [b"one", b"two"]
    path.write_bytes(_record(b"one") + _record(b"two")[:-3])  # cut short
    got = []
    with pytest.raises(CorruptEventFile, match="cut short"):
        got.extend(records(path))
    assert got == [b"one"]
    damaged = bytearray(_record(b"one") + _record(b"two"))
    damaged[-6] ^= 1
    path.write_bytes(bytes(damaged))
    with pytest.raises(CorruptEventFile, match="bad data checksum"):
        list(records(path))


def test_fold_hparams() -> None:
    run = ImportedRun("tensorboard:/a", "logs", "a", "finished", 0.0, metrics={"acc": [(0, 1, 0)]})
    hp = ImportedRun(
        "tensorboard:/a/1",
        "logs",
        "a-1",
        "finished",
        0.0,
        params={"lr": 0.1},
        metrics={"hp/score": [(0, 0.9, 1.0)]},
    )
    fold_hparams(run, hp)
    assert run.params == {"lr": 0.1}
    assert set(run.metrics) == {"acc", "hp/score"}


def test_an_mlflow_error_never_shows_the_tracking_uri_password() -> None:
    from nbtrack.importers.mlflow_import import MlflowSourceError

    message = str(
        MlflowSourceError(
            "cannot read the MLflow tracking store at "
            "postgresql://mlflow:hunter2@db.example.org/mlflow: OperationalError: ..."
        )
    )
    assert "hunter2" not in message and "db.example.org/mlflow" in message
