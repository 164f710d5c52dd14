"""``.mcp.json`` (the Claude Desktop format) and ``[mcp.servers.NAME]`` tables into ``MCPServerConfig``s."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mamba_agents_mcp.config import MCPServerConfig
from mamba_agents_mcp.errors import (
    MCPConfigError,
    MCPFileNotFoundError,
    MCPFileParseError,
    MCPServerValidationError,
)
from mamba_agents_mcp.expand import expand_all

# A server entry's keys: Claude Desktop's, then ours. ``env`` is read as ``env_vars``, ``type`` as transport.
_ALIASES = {"env": "env_vars", "type": "transport"}
_TYPE_NAMES = {
    "http": "streamable_http",
    "streamablehttp": "streamable_http",
    "streamable-http": "streamable_http",
}
ENTRY_KEYS = tuple(sorted({*(f for f in MCPServerConfig.model_fields if f != "name"), *_ALIASES}))
_PATH_KEYS = ("env_file", "cwd")


def load_mcp_json(path: str | Path) -> list[MCPServerConfig]:
    """The servers in a ``.mcp.json`` file, ``disabled`` ones included (the manager skips them)."""
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MCPFileNotFoundError(f"{file}: MCP config file not found") from None
    except OSError as exc:
        raise MCPFileParseError(f"{file}: cannot be read: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MCPFileParseError(
            f"{file}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers"), dict):
        raise MCPFileParseError(f'{file}: expected an object with "mcpServers": {{name: {{...}}}}')
    return parse_servers(data["mcpServers"], source=str(file), base_dir=file.resolve().parent)


def parse_servers(
    servers: Mapping[str, Any], *, source: str, base_dir: Path | None = None
) -> list[MCPServerConfig]:
    """Validate server entries; an error names ``source``, the server and the key. Relative ``env_file`` and
    ``cwd`` are read against ``base_dir`` (the JSON file's folder)."""
    return [parse_server(name, entry, source=source, base_dir=base_dir) for name, entry in servers.items()]


def parse_server(name: str, entry: Any, *, source: str, base_dir: Path | None = None) -> MCPServerConfig:
    where = f"{source}: server {name!r}"
    if not isinstance(entry, Mapping):
        raise MCPServerValidationError(
            f"{where}: expected an object with command/args or url, got {type(entry).__name__}"
        )
    unknown = sorted(set(entry) - set(ENTRY_KEYS))
    if unknown:
        raise MCPServerValidationError(
            f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(ENTRY_KEYS)}"
        )
    raw: dict[str, Any] = {}
    for key, value in entry.items():
        field = _ALIASES.get(key, key)
        if field in raw:
            raise MCPServerValidationError(f"{where}: both {key!r} and {field!r} are given; use one")
        raw[field] = value
    if raw.get("disabled") is True:
        # A disabled entry may name variables that are not set here: it is kept, not connected, not expanded.
        return _validate(name, {**raw, "disabled": True}, where, expand_vars=False, base_dir=base_dir)
    return _validate(name, raw, where, expand_vars=True, base_dir=base_dir)


def _validate(
    name: str, raw: dict[str, Any], where: str, *, expand_vars: bool, base_dir: Path | None
) -> MCPServerConfig:
    if expand_vars:
        try:
            # auth.key stays as written: it is expanded when the header is built, so the key is read late.
            auth = raw.pop("auth", None)
            raw = expand_all(raw, where)
            if auth is not None:
                raw["auth"] = auth
        except MCPConfigError as exc:
            raise MCPServerValidationError(str(exc)) from None
    if "transport" in raw and isinstance(raw["transport"], str):
        raw["transport"] = _TYPE_NAMES.get(raw["transport"].lower(), raw["transport"])
    if base_dir is not None:
        for key in _PATH_KEYS:
            if isinstance(raw.get(key), str) and not Path(raw[key]).expanduser().is_absolute():
                raw[key] = str(base_dir / raw[key])
    try:
        return MCPServerConfig(name=name, **raw)
    except ValidationError as exc:
        raise MCPServerValidationError(_one_line(where, exc)) from None


def _one_line(where: str, exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in error["loc"])
        msg = error["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return f"{where}: " + "; ".join(parts)
