"""Text that came from the file system made safe for JSON: a name that is not valid UTF-8 reaches Python as
lone surrogates (``os.fsdecode``), which no request to a model can carry. They are shown as ``\\xNN``."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["escape_deep", "escape_surrogates"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    # U+DC80..U+DCFF stand for the undecodable bytes 0x80..0xFF: show the byte itself.
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as an escape (``\\xNN`` for an undecodable byte)."""
    return text if text.isascii() else _SURROGATE.sub(_escape_one, text)


def escape_deep(value: Any) -> Any:
    """``value`` with every string in its dicts, lists and tuples escaped (a copy)."""
    if isinstance(value, str):
        return escape_surrogates(value)
    if isinstance(value, dict):
        return {escape_deep(k): escape_deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(escape_deep(v) for v in value)
    return value
