"""Bytes of a file to text: a byte-order mark, then UTF-8, then Windows-1252/Latin-1; and names that are not
valid UTF-8 shown escaped (``caf\\xe9.txt``) and accepted back in that form."""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass

__all__ = ["DecodedText", "UndecodableError", "decode_text", "looks_binary", "unescape_name"]

_SNIFF_BYTES = 8192
# UTF-32 first: its little-endian mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# C0 controls that do not occur in text (tab, newlines, form feed, escape do).
_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B}
# Above this share of control bytes a file that is not UTF-8 is treated as binary, not as Latin-1.
_MAX_CONTROL_SHARE = 0.01


class UndecodableError(ValueError):
    """The bytes are not text in the encoding asked for (or in any the detection tries)."""


@dataclass(frozen=True)
class DecodedText:
    """``bom + text.encode(encoding)`` gives back the bytes that were decoded."""

    text: str
    encoding: str  # "utf-8", "utf-16-le", "utf-32-be", "cp1252", "latin-1", ... or the one asked for
    bom: bytes = b""


def _bom(data: bytes) -> tuple[bytes, str] | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return bom, name
    return None


def _bom_encoding(data: bytes) -> str | None:
    found = _bom(data)
    return None if found is None else found[1]


def _is_wide(encoding: str) -> bool:
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def looks_binary(data: bytes, encoding: str | None = None) -> bool:
    """Whether ``data`` is not text: a NUL byte in the first 8 KiB, unless the encoding (asked for, or
    given by a byte-order mark) is UTF-16/32, where NULs are normal."""
    wide = encoding if encoding is not None else _bom_encoding(data)
    if wide is not None and _is_wide(wide):
        return False
    return b"\0" in data[:_SNIFF_BYTES]


def _mostly_text(data: bytes) -> bool:
    head = data[:_SNIFF_BYTES]
    controls = sum(1 for byte in head if byte in _CONTROL)
    return controls <= len(head) * _MAX_CONTROL_SHARE


def decode_text(data: bytes, encoding: str | None = None) -> DecodedText:
    """Decode with ``encoding``, or detect: a byte-order mark, else UTF-8, else Windows-1252, else Latin-1.

    Raises ``LookupError`` for an unknown encoding and :class:`UndecodableError` when the bytes are binary
    (or not valid in the encoding asked for).
    """
    if encoding is not None:
        codecs.lookup(encoding)  # LookupError before any decoding work
        if looks_binary(data, encoding):
            raise UndecodableError("it contains NUL bytes")
        try:
            return DecodedText(data.decode(encoding), encoding)
        except UnicodeDecodeError as exc:
            raise UndecodableError(f"it is not valid {encoding} text (byte {exc.start})") from None
    found = _bom(data)
    if found is not None:
        bom, name = found
        try:
            return DecodedText(data[len(bom) :].decode(name), name, bom)
        except UnicodeDecodeError:
            raise UndecodableError(
                f"it starts with a {name} byte-order mark but is not valid {name}"
            ) from None
    if b"\0" in data[:_SNIFF_BYTES]:
        raise UndecodableError("it contains NUL bytes")
    if not _mostly_text(data):
        raise UndecodableError("it has too many control bytes to be text")
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return DecodedText(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are unassigned in cp1252
        return DecodedText(data.decode("latin-1"), "latin-1")


_ESCAPED_BYTE = re.compile(r"\\x([89a-fA-F][0-9a-fA-F])")


def unescape_name(raw: str) -> str:
    """The path a model sent back, with ``\\xNN`` escapes (bytes 0x80-0xFF) turned back into the file system's
    bytes, when the path as written does not exist and the unescaped one does."""
    if "\\x" not in raw or os.path.lexists(raw):
        return raw
    candidate = _ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), raw)
    if candidate == raw:
        return raw
    if os.path.lexists(candidate):
        return candidate
    # A new file inside a directory whose name is not UTF-8.
    parent = os.path.dirname(candidate)
    return candidate if os.path.isdir(parent) and not os.path.isdir(os.path.dirname(raw)) else raw
