"""The original project's configuration keys that this one renamed or replaced.

A user's ``config.toml`` or ``.env`` from the original (v0.1.x) must load and mean what it says: a renamed
key is read under its new name, a replaced one is dropped, and either way one ``ConfigWarning`` line names the
file or variable, the key and what to write instead. Nothing here is silently ignored, and nothing fails.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class ConfigWarning(UserWarning):
    """A setting that loaded, but not as written: the message says what to write instead."""


@dataclass(frozen=True)
class Renamed:
    """Read as ``section.key`` (when that is not set in the same source as well)."""

    section: str
    key: str


@dataclass(frozen=True)
class Replaced:
    """Dropped; ``instead`` says what does the job now."""

    instead: str


# (section, key) of the original -> what it is now. ``key=None`` covers the whole section.
LEGACY_KEYS: dict[tuple[str, str | None], Renamed | Replaced] = {
    ("model_backend", "max_retries"): Renamed("retry", "max_retries"),
    ("logging", "body_size_limit"): Renamed("logging", "max_body_size"),
    ("logging", "include_correlation_id"): Renamed("logging", "correlation_id"),
    ("token_tracking", "encoding"): Renamed("tokens", "encoding"),
    ("token_tracking", "cache_tokenizer"): Replaced("nothing to set: tokenizers are always cached"),
    ("token_tracking", "safety_margin"): Replaced(
        "[context] trigger_threshold_tokens / trigger_threshold_ratio leave the margin below the window"
    ),
    ("observability", "enable_otel_instrumentation"): Renamed("observability", "otel"),
    ("observability", "request_id_format"): Replaced("nothing to set: run and trace ids are generated"),
    ("observability", "propagate_trace_context"): Replaced(
        "nothing to set: spans join OpenTelemetry's current context"
    ),
    ("observability", "metrics_enabled"): Replaced("OpenTelemetry metrics follow [observability] otel"),
    ("streaming", None): Replaced("`mamba run` and `mamba chat` stream; in code, Agent.run_stream()"),
}
# Values that are what this project always does: accepted without a word; any other value warns.
ALWAYS = {("context", "preserve_system_prompt"): (True, "the system prompt is always kept")}


def _name(section: str, key: str | None) -> str:
    return f"[{section}]" if key is None else f"[{section}] {key}"


def is_legacy(section: str, keys: list[str]) -> bool:
    """Whether ``MAMBA_SECTION__KEY`` names one of the original's keys."""
    key = keys[0] if len(keys) == 1 else None
    return (section, None) in LEGACY_KEYS or (
        key is not None and ((section, key) in LEGACY_KEYS or (section, key) in ALWAYS)
    )


def upgrade_variable(
    section: str, keys: list[str], raw: str, source: str, environ: Mapping[str, str]
) -> tuple[str, list[str]] | None:
    """The section and keys an original variable is read as, or None when it is dropped (with a warning)."""
    key = keys[0] if len(keys) == 1 else None
    now = LEGACY_KEYS.get((section, key)) if key is not None else None
    now = now or LEGACY_KEYS.get((section, None))
    if isinstance(now, Replaced):
        _warn(source, f"the original's {_name(section, key)}; ignored: {now.instead}")
        return None
    if isinstance(now, Renamed):
        instead = f"MAMBA_{now.section.upper()}__{now.key.upper()}"
        if any(name.upper() == instead for name in environ):
            _warn(source, f"ignored: {instead} is set as well")
            return None
        _warn(
            source, f"the original's {_name(section, key)}; read as {_name(now.section, now.key)} ({instead})"
        )
        return now.section, [now.key]
    value, why = ALWAYS[(section, key or "")]
    if raw.strip().lower() not in {str(value).lower(), "1", "yes", "on"}:
        _warn(source, f"{_name(section, key)} = {raw!r} is ignored: {why}")
    return None


def upgrade(data: dict[str, Any], where: Callable[[str], str]) -> dict[str, Any]:
    """``data`` (one source's sections) with the original's keys moved or dropped, warning for each.

    ``where(dotted_key)`` names the source of a key for the warning (a file, or the variable that set it).
    The original's ``[[mcp_servers]]`` list becomes ``[mcp.servers.NAME]`` tables.
    """
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    servers = out.pop("mcp_servers", None)
    if isinstance(servers, list):
        moved = _mcp_servers(servers, where)
        if moved:
            mcp = out.setdefault("mcp", {})
            if isinstance(mcp, dict):
                mcp["servers"] = {**moved, **(mcp.get("servers") or {})}
    elif servers is not None:
        out["mcp_servers"] = servers  # not the original's shape: the normal unknown-section error says so
    for (section, key), now in LEGACY_KEYS.items():
        values = out.get(section)
        if not isinstance(values, dict):
            continue
        if key is None:
            out.pop(section)
            assert isinstance(now, Replaced)
            _warn(where(section), f"{_name(section, None)} is the original's section; ignored: {now.instead}")
            continue
        if key not in values:
            continue
        value = values.pop(key)
        source = where(f"{section}.{key}")
        if isinstance(now, Replaced):
            _warn(source, f"{_name(section, key)} is the original's key; ignored: {now.instead}")
            continue
        target = out.setdefault(now.section, {})
        if isinstance(target, dict) and now.key not in target:
            target[now.key] = value
            _warn(
                source, f"{_name(section, key)} is the original's name; read as {_name(now.section, now.key)}"
            )
        else:
            _warn(source, f"{_name(section, key)} is ignored: {_name(now.section, now.key)} is set as well")
    for (section, key), (value, why) in ALWAYS.items():
        values = out.get(section)
        if isinstance(values, dict) and key in values:
            given = values.pop(key)
            if given != value:
                _warn(where(f"{section}.{key}"), f"{_name(section, key)} = {given!r} is ignored: {why}")
    return {k: v for k, v in out.items() if not (k in _ONLY_LEGACY and v == {})}


def _mcp_servers(servers: list[Any], where: Callable[[str], str]) -> dict[str, Any]:
    moved: dict[str, Any] = {}
    for index, entry in enumerate(servers):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            _warn(where("mcp_servers"), f"[[mcp_servers]] entry {index} has no name; ignored")
            continue
        name = entry["name"]
        moved[name] = {k: v for k, v in entry.items() if k != "name"}
    if moved:
        _warn(
            where("mcp_servers"),
            f"[[mcp_servers]] is the original's list; read as [mcp.servers.NAME] for {', '.join(moved)}",
        )
    return moved


def _warn(source: str, message: str) -> None:
    warnings.warn(f"{source}: {message}", ConfigWarning, stacklevel=3)


def warn_legacy(source: str, message: str) -> None:
    """One ``ConfigWarning`` line: ``source: message``."""
    _warn(source, message)


# Sections that exist only in the original: emptied by the upgrade, they are removed, not left as unknown.
_ONLY_LEGACY = {"token_tracking", "streaming"}
