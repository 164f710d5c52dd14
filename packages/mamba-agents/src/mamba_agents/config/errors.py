"""Configuration errors that name the source, the key and the allowed values, and never a secret."""

from __future__ import annotations

import re
from typing import Any

from pydantic import SecretStr, ValidationError

_SECRET_KEY = re.compile(r"(api_?key|secret|token|password|passwd|authorization|auth|credential)s?$", re.I)
_NOT_SECRET = re.compile(r"(max_)?tokens?$|_tokens$|token_count", re.I)


def is_secret_key(key: str) -> bool:
    last = key.rsplit(".", 1)[-1]
    return bool(_SECRET_KEY.search(last)) and not _NOT_SECRET.search(last)


def mask(value: Any) -> Any:
    if value is None or value == "":
        return value
    return "**********"


class ConfigError(ValueError):
    """Invalid configuration: the message names the source file or variable, the key and what is allowed."""

    @classmethod
    def from_validation(cls, exc: ValidationError, sources: list[tuple[str, Any]]) -> ConfigError:
        loaded: list[tuple[str, dict[str, Any]]] = []
        for label, source in sources:
            try:
                loaded.append((label, source()))
            except Exception as source_exc:  # a file that does not parse is itself the error
                return cls(f"{label}: cannot be read: {_safe(str(source_exc))}")
        lines = []
        for error in exc.errors(include_url=False, include_input=False):
            loc = [str(p) for p in error["loc"]]
            key = ".".join(loc)
            label, raw = _find(loaded, error["loc"])
            shown = "" if raw is _MISSING else f" = {mask(raw) if _is_secret_path(loc) else repr(raw)}"
            where = _describe(label, loc)
            lines.append(f"{where}: {key}{shown}: {error['msg']}")
        return cls("invalid configuration:\n  " + "\n  ".join(lines))


_MISSING = object()


def _is_secret_path(loc: list[str]) -> bool:
    return any(is_secret_key(p) for p in loc)


def _find(loaded: list[tuple[str, dict[str, Any]]], loc: tuple[Any, ...]) -> tuple[str, Any]:
    for label, data in loaded:
        node: Any = data
        for part in loc:
            if isinstance(node, dict) and str(part) in node:
                node = node[str(part)]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                break
        else:
            if isinstance(node, SecretStr):
                node = node.get_secret_value()
            return label, node
    return "default", _MISSING


def _describe(label: str, loc: list[str]) -> str:
    if label == "environment":
        return "environment variable MAMBA_" + "__".join(p.upper() for p in loc)
    return label


def _safe(text: str) -> str:
    return re.sub(r"(sk-[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+", r"\1…", text)
