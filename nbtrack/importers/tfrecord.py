"""Read TensorBoard event files: TFRecord framing, Event protos from tensorboardX.

A record is: length (uint64 LE), masked CRC32C of the length, the data, masked
CRC32C of the data. A record whose length or data fails its checksum, or that is
cut short, ends the file with CorruptEventFile (earlier events were read).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import NbtrackError


class CorruptEventFile(NbtrackError):
    """An event file is damaged: a checksum fails or a record is cut short."""


def _crc32c() -> Any:
    try:
        from crc32c import crc32c  # C; the `tensorboard` extra installs it

        return crc32c
    except ImportError:
        from tensorboardX.crc32c import crc32c  # pure Python, ~20x slower

        return crc32c


_CRC: Any = None


def _masked_crc(data: bytes) -> int:
    global _CRC
    if _CRC is None:
        _CRC = _crc32c()
    crc = _CRC(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path: Path, check_data: bool = True) -> Iterator[bytes]:
    with open(path, "rb") as f:
        data = f.read()
    pos, end = 0, len(data)
    unpack = struct.unpack_from
    while pos < end:
        if end - pos < 12:
            raise CorruptEventFile(f"{path}: a record is cut short at byte {pos}")
        header = data[pos : pos + 8]
        (length,) = unpack("<Q", data, pos)
        (crc,) = unpack("<I", data, pos + 8)
        if _masked_crc(header) != crc:
            raise CorruptEventFile(f"{path}: bad length checksum at byte {pos}")
        start = pos + 12
        stop = start + length
        if stop + 4 > end:
            raise CorruptEventFile(f"{path}: a record is cut short at byte {pos}")
        body = data[start:stop]
        if check_data:
            (crc,) = unpack("<I", data, stop)
            if _masked_crc(body) != crc:
                raise CorruptEventFile(f"{path}: bad data checksum at byte {pos}")
        yield body
        pos = stop + 4


def events(path: Path) -> Iterator[Any]:
    from tensorboardX.proto.event_pb2 import Event

    for body in records(path):
        event = Event()
        try:
            event.ParseFromString(body)
        except Exception as exc:
            raise CorruptEventFile(f"{path}: an event does not decode ({exc})") from exc
        yield event
