"""How many tokens a file in a message costs, by a documented rule (the real count needs the provider).

* **Images**: OpenAI's published vision rule. ``detail="low"`` (``vendor_metadata={"detail": "low"}``) is
  85 tokens. Otherwise the image is scaled to fit 2048x2048, then its short side to 768, and costs
  85 + 170 per 512-pixel tile. Dimensions are read from PNG, GIF and JPEG headers of inline bytes; when they
  are unknown (a URL, another format) the image counts as 1024x1024: 765 tokens.
* **Text-like inline files** (``text/*``, JSON, XML, YAML, CSV...): the decoded text, counted exactly.
* **Audio**: 1,000 tokens per file (about 100 s at the ~10 tokens/s audio models bill).
* **Video**: 2,000 tokens per file.
* **Documents (PDF and the rest)** and files known only by URL or upload id: 1,500 tokens per file (about
  one PDF page as text plus its page image).

The flat figures are class attributes of :class:`FileTokenRule`, so a subclass can change them.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

_TEXT_LIKE = (
    "application/json",
    "application/xml",
    "application/yaml",
    "application/x-yaml",
    "application/csv",
    "application/javascript",
)
_URL_KINDS = {"image-url": "image/*", "audio-url": "audio/*", "video-url": "video/*"}


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG, GIF or JPEG header; ``None`` for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    size = len(data)
    while index + 4 <= size:
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if index + 9 > size:
                return None
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    return None


def image_tokens(width: int | None, height: int | None, *, detail: str | None = None) -> int:
    """OpenAI's vision cost for an image of ``width`` x ``height`` (1024x1024 when unknown)."""
    if detail == "low":
        return 85
    w, h = (width or 1024), (height or 1024)
    if w <= 0 or h <= 0:
        return 85
    scale = min(1.0, 2048 / max(w, h))
    w, h = w * scale, h * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    tiles = math.ceil(w / 512) * math.ceil(h / 512)
    return 85 + 170 * tiles


def is_text_like(media_type: str) -> bool:
    media_type = media_type.split(";", 1)[0].strip().lower()
    return (
        media_type.startswith("text/")
        or media_type in _TEXT_LIKE
        or media_type.endswith("+json")
        or media_type.endswith("+xml")
    )


class FileTokenRule:
    """Tokens for one file item (pydantic-ai ``BinaryContent``, ``ImageUrl``/``AudioUrl``/``VideoUrl``/
    ``DocumentUrl``, ``UploadedFile``); ``count_text`` counts decoded text files."""

    AUDIO_TOKENS = 1_000
    VIDEO_TOKENS = 2_000
    DOCUMENT_TOKENS = 1_500

    def __call__(self, item: Any, count_text: Callable[[str], int]) -> int:
        media_type = _media_type(item)
        detail = _detail(item)
        data = getattr(item, "data", None)
        if media_type.startswith("image/"):
            size = image_size(data) if isinstance(data, bytes | bytearray) else None
            return image_tokens(*(size or (None, None)), detail=detail)
        if isinstance(data, bytes | bytearray) and is_text_like(media_type):
            return count_text(bytes(data).decode("utf-8", errors="replace"))
        if media_type.startswith("audio/"):
            return self.AUDIO_TOKENS
        if media_type.startswith("video/"):
            return self.VIDEO_TOKENS
        return self.DOCUMENT_TOKENS


def _media_type(item: Any) -> str:
    kind = getattr(item, "kind", "")
    try:
        media_type = item.media_type
    except Exception:  # a URL whose type cannot be inferred
        media_type = None
    if isinstance(media_type, str) and media_type:
        return media_type.lower()
    return _URL_KINDS.get(kind, "application/octet-stream")


def _detail(item: Any) -> str | None:
    metadata = getattr(item, "vendor_metadata", None)
    if isinstance(metadata, dict):
        detail = metadata.get("detail")
        return detail if isinstance(detail, str) else None
    return None
