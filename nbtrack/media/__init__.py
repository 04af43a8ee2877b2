"""Rich media of a run: images, figures, tables, confusion matrices, histograms
and texts. The bytes are blobs of the artifact store (nbtrack/artifacts/,
BLAKE3, deduplicated); the media index in the store (store/media_tables.py)
names them by run, name, step and position."""

from __future__ import annotations

from .api import (
    log_confusion_matrix,
    log_figure,
    log_histogram,
    log_image,
    log_table,
    log_text,
)
from .errors import MediaError

__all__ = [
    "MediaError",
    "log_confusion_matrix",
    "log_figure",
    "log_histogram",
    "log_image",
    "log_table",
    "log_text",
]
