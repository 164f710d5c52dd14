"""Configuration errors that name the source, the key and the allowed values, and never a secret."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from mamba_agents.errors.base import ConfigurationError

_SECRET_KEY = re.compile(r"(api_?key|secret|token|password|passwd|authorization|auth|credential)s?$", re.I)
# redact_*: the [logging] switches that say what to redact, not secrets
_NOT_SECRET = re.compile(r"(max_)?tokens?$|_tokens$|token_count|^redact_", re.I)


def is_secret_key(key: str) -> bool:
    last = key.rsplit(".", 1)[-1]
    return bool(_SECRET_KEY.search(last)) and not _NOT_SECRET.search(last)


def mask(value: Any) -> Any:
    if value is None or value == "":
        return value
    return "**********"


class ConfigError(ConfigurationError):
    """Invalid configuration: the message names the source file or variable, the key and what is allowed."""

    @classmethod
    def from_validation(cls, exc: ValidationError, layers: list[Any], root: Any = None) -> ConfigError:
        """One line per problem: the source (file or variable), the key, the value (masked if secret), why.

        ``layers`` are :class:`~mamba_agents.config.sources.Layer` objects, highest priority first;
        ``root`` is the settings model, used to suggest the closest key for a misspelt one.
        """
        lines = []
        for error in exc.errors(include_url=False, include_input=False):
            loc = [str(p) for p in error["loc"]]
            key = ".".join(loc)
            where, raw = _find(layers, error["loc"])
            shown = "" if raw is _MISSING else f" = {mask(raw) if _is_secret_path(loc) else repr(raw)}"
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = _unknown_key(root, loc)
            lines.append(f"{where}: {key}{shown}: {message}")
        if len(lines) == 1:
            return cls(lines[0])
        return cls(f"invalid configuration ({len(lines)} problems):\n  " + "\n  ".join(lines))


_MISSING = object()


def _is_secret_path(loc: list[str]) -> bool:
    return any(is_secret_key(p) for p in loc)


def _find(layers: list[Any], loc: tuple[Any, ...]) -> tuple[str, Any]:
    for layer in layers:
        node: Any = layer.data
        for part in loc:
            if isinstance(node, BaseModel) and str(part) in type(node).model_fields:
                node = getattr(node, str(part))
            elif isinstance(node, dict) and str(part) in node:
                node = node[str(part)]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                break
        else:
            if isinstance(node, SecretStr):
                node = node.get_secret_value()
            return layer.describe(".".join(str(p) for p in loc)), node
    return "default", _MISSING


def _unknown_key(root: Any, loc: list[str]) -> str:
    import difflib

    model = root
    for part in loc[:-1]:
        field = getattr(model, "model_fields", {}).get(part)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return "unknown key"
        model = annotation
    names = list(getattr(model, "model_fields", {}))
    if not names:
        return "unknown key"
    match = difflib.get_close_matches(loc[-1], names, n=1, cutoff=0.6)
    hint = f"; did you mean {match[0]!r}?" if match else ""
    return f"unknown key{hint} (keys: {', '.join(names)})"


def safe_text(text: str) -> str:
    """``text`` with anything shaped like an API key shortened."""
    return re.sub(r"(sk-[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+", r"\1…", text)
