"""Images: what log_image accepts (checked in the caller's thread, cheaply) and
the PNG encoding and display copy (done in the background worker).

Pure functions over numpy arrays, PIL images and bytes."""

from __future__ import annotations

import io
import math
import os
import threading
from pathlib import Path
from typing import Any

from .errors import MediaError, need

#: Pixels of the display copy made for bigger images (2048 x 2048); the
#: original is kept as logged.
DISPLAY_PIXELS = 2048 * 2048
#: Formats kept byte for byte when a file is logged; others become PNG.
KEPT_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
SUPPORTED = (
    "a numpy array (H, W) or (H, W, C) with C in 1, 3, 4, of dtype uint8 or float in "
    "[0, 1], a PIL image, or the path of an image file"
)
_bomb_lock = threading.Lock()


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise need("Pillow") from None
    return Image


def shape_text(arr: Any) -> str:
    return f"shape {tuple(arr.shape)} and dtype {arr.dtype}"


def check_array(arr: Any) -> Any:
    """A private uint8 or float copy of an image array, or MediaError naming the
    shapes and dtypes expected."""
    import numpy as np

    hint = ""
    ok_shape = arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 3, 4))
    if arr.ndim == 3 and arr.shape[0] in (1, 3, 4) and arr.shape[2] not in (1, 3, 4):
        hint = " (channels first? pass arr.transpose(1, 2, 0))"
    if not ok_shape or 0 in arr.shape:
        raise MediaError(
            f"log_image expects an image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); "
            f"got {shape_text(arr)}{hint}. For a batch, pass a list of images"
        )
    if arr.dtype == np.uint8:
        return np.array(arr, copy=True)
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise MediaError(
                f"log_image got a float image ({shape_text(arr)}) with NaN or infinite "
                "values: replace them (np.nan_to_num) before logging"
            )
        lo, hi = float(arr.min()), float(arr.max())
        if lo < 0.0 or hi > 1.0:
            raise MediaError(
                f"log_image takes float images with values in [0, 1]; got values from {lo:g} "
                f"to {hi:g} ({shape_text(arr)}): divide by 255 (0..255 data) or use uint8"
            )
        return np.array(arr, copy=True)
    raise MediaError(
        f"log_image expects dtype uint8 (0..255) or float (0..1); got {shape_text(arr)}: "
        "convert it, e.g. arr.astype('uint8') or arr / arr.max()"
    )


def take(obj: Any) -> tuple[str, Any]:
    """What log_image was given, made safe to encode later: ("array", copy),
    ("pil", copy) or ("file", path). Unknown objects: MediaError naming the types."""
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj).expanduser()
        if not path.is_file():
            raise MediaError(
                f"log_image got the path {obj} but no file is there (relative paths start "
                f"at {Path.cwd()}): check the path"
            )
        return "file", path.absolute()
    module = type(obj).__module__ or ""
    if module.startswith("PIL.") and hasattr(obj, "save"):
        return "pil", obj.copy()
    if hasattr(obj, "__array__") and hasattr(obj, "shape"):
        import numpy as np

        if hasattr(obj, "detach"):  # a torch tensor: off the graph and the device
            obj = obj.detach().cpu()
        return "array", check_array(np.asarray(obj))
    raise MediaError(f"log_image cannot log a {type(obj).__name__}: it takes {SUPPORTED}")


def to_pil(kind: str, value: Any) -> Any:
    Image = _pil()
    if kind == "pil":
        return value
    import numpy as np

    arr = value
    if arr.dtype != np.uint8:
        arr = np.round(arr * 255.0).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    return Image.fromarray(arr)


def png_bytes(img: Any) -> bytes:
    buf = io.BytesIO()
    if img.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.mode else "RGB")
    img.save(buf, format="PNG")
    return buf.getvalue()


def display_copy(img: Any, max_pixels: int) -> Any | None:
    """A downscaled copy with at most `max_pixels` pixels, or None when the image is
    small enough to show as it is."""
    w, h = img.size
    if w * h <= max_pixels:
        return None
    scale = math.sqrt(max_pixels / (w * h))
    size = (max(1, int(w * scale)), max(1, int(h * scale)))
    Image = _pil()
    return img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def open_file(path: Path) -> tuple[Any, bytes, str | None]:
    """(PIL image, file bytes, mime when the bytes are kept as they are). A file the
    user logs is theirs: Pillow's decompression-bomb limit is lifted for it."""
    Image = _pil()
    data = path.read_bytes()
    with _bomb_lock:
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            img = Image.open(io.BytesIO(data))
            img.load()
        except Exception as exc:  # Pillow raises many types for unreadable files
            raise MediaError(
                f"log_image cannot read {path} as an image ({type(exc).__name__}: {exc}): "
                "log PNG, JPEG, GIF, WebP or another format Pillow reads"
            ) from None
        finally:
            Image.MAX_IMAGE_PIXELS = limit
    return img, data, KEPT_FORMATS.get(img.format or "")


def encode(kind: str, value: Any, max_pixels: int | None) -> dict[str, Any]:
    """{"main": (bytes, mime), "display": bytes | None, "width", "height", "mode"}."""
    if kind == "file":
        img, data, mime = open_file(value)
        main = (data, mime) if mime else (png_bytes(img), "image/png")
    else:
        img = to_pil(kind, value)
        main = (png_bytes(img), "image/png")
    small = display_copy(img, max_pixels or DISPLAY_PIXELS)
    return {
        "main": main,
        "display": png_bytes(small) if small is not None else None,
        "width": img.size[0],
        "height": img.size[1],
        "mode": img.mode,
    }
