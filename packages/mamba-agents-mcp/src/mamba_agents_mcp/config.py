"""``MCPServerConfig`` and ``MCPAuthConfig``: one MCP server (``.mcp.json`` or ``[mcp.servers.NAME]``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from mamba_agents.errors import redact, redact_argv
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from mamba_agents_mcp.errors import MCPConfigError
from mamba_agents_mcp.expand import expand

BUILTIN_TRANSPORTS = ("stdio", "sse", "streamable_http")
_HTTP = ("sse", "streamable_http")


def infer_transport(url: str) -> str:
    """``sse`` for a URL whose path ends in ``/sse`` (or ``/sse/``), otherwise ``streamable_http``."""
    return "sse" if url.split("?", 1)[0].rstrip("/").endswith("/sse") else "streamable_http"


class MCPAuthConfig(BaseModel):
    """An API key sent in a header. ``key_env`` (a variable name) wins over ``key`` (a value, ``${VAR}``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["api_key"] = "api_key"
    key: SecretStr | None = None
    key_env: str | None = None
    header: str = "Authorization"

    @model_validator(mode="after")
    def _one_source(self) -> MCPAuthConfig:
        if self.key is None and not self.key_env:
            raise ValueError("auth needs key_env (an environment variable name) or key")
        return self

    def resolve(self, server: str) -> tuple[str, str]:
        """The header name and value; ``Bearer `` is added for ``Authorization`` only, and never twice."""
        where = f"MCP server {server!r}: auth"
        if self.key_env:
            value = os.environ.get(self.key_env)
            if value is None:
                raise MCPConfigError(f"{where}.key_env: environment variable {self.key_env!r} is not set")
        else:
            assert self.key is not None
            value = expand(self.key.get_secret_value(), f"{where}.key")
        if self.header.lower() == "authorization" and not value.lower().startswith("bearer "):
            value = f"Bearer {value}"
        return self.header, value


class MCPServerConfig(BaseModel):
    """One MCP server. ``transport`` names a registered transport (built in: stdio, sse, streamable_http)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    transport: str = "stdio"
    # stdio
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env_vars: dict[str, SecretStr] | None = None
    env_file: Path | None = None
    inherit_env: bool = False
    cwd: Path | None = None
    # sse / streamable_http
    url: str | None = None
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    auth: MCPAuthConfig | None = None
    # every transport
    tool_prefix: str | None = None
    timeout: float = Field(default=30.0, gt=0, le=3600)
    read_timeout: float = Field(default=300.0, gt=0, le=86400)
    disabled: bool = False
    optional: bool = False
    idempotent_tools: list[str] = Field(default_factory=list)
    max_reconnects: int = Field(default=3, ge=0, le=10)

    @model_validator(mode="before")
    @classmethod
    def _infer_transport(cls, data: Any) -> Any:
        # A URL and no command: the transport follows the URL, as in Claude Desktop's format.
        if isinstance(data, dict) and "transport" not in data and not data.get("command"):
            url = data.get("url")
            if isinstance(url, str):
                return {**data, "transport": infer_transport(url)}
        return data

    @field_validator("transport")
    @classmethod
    def _transport_name(cls, value: str) -> str:
        value = value.strip().lower().replace("-", "_")
        if not value:
            raise ValueError(
                f"transport must be a registered transport name, e.g. {', '.join(BUILTIN_TRANSPORTS)}"
            )
        return value

    @model_validator(mode="after")
    def _fields_fit_transport(self) -> MCPServerConfig:
        if self.transport == "stdio":
            if not self.command:
                raise ValueError("a stdio server needs command")
            if self.url is not None:
                raise ValueError("url is for sse / streamable_http servers; a stdio server uses command")
        elif self.transport in _HTTP:
            if not self.url:
                raise ValueError(f"an {self.transport} server needs url")
            if self.command is not None:
                raise ValueError(f"command is for stdio servers; an {self.transport} server uses url")
            if not self.url.startswith(("http://", "https://")):
                raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        return self

    @property
    def target(self) -> str:
        """What is connected to, for messages: the URL or the command line, credentials masked (a URL
        password, ``?token=``, ``--api-key VALUE``, ``sk-...``; never a header, key or env value)."""
        if self.url is not None:
            return redact(self.url)
        return " ".join(redact_argv([self.command or "", *self.args])).strip()

    def resolved_headers(self) -> dict[str, str]:
        """Headers, ``${VAR}`` expanded, plus the auth header; for the transport only, never logged."""
        out = {
            k: expand(v.get_secret_value(), f"MCP server {self.name!r}: headers.{k}")
            for k, v in self.headers.items()
        }
        if self.auth is not None:
            header, value = self.auth.resolve(self.name)
            out = {k: v for k, v in out.items() if k.lower() != header.lower()}
            out[header] = value
        return out

    def resolved_env(self) -> dict[str, str]:
        """A stdio server's environment: a minimal default (or ours, with ``inherit_env``), then ``env_file``,
        then ``env_vars``. The agent's own variables (API keys) are never passed unless asked for."""
        from mcp.client.stdio import get_default_environment  # the SDK's own minimal PATH/HOME/USER set

        env = dict(os.environ) if self.inherit_env else get_default_environment()
        if self.env_file is not None:
            env.update(_read_env_file(self.env_file, self.name))
        for key, value in (self.env_vars or {}).items():
            env[key] = expand(value.get_secret_value(), f"MCP server {self.name!r}: env_vars.{key}")
        return env


def _read_env_file(path: Path, server: str) -> dict[str, str]:
    from dotenv import dotenv_values

    path = path.expanduser()
    if not path.is_file():
        raise MCPConfigError(f"MCP server {server!r}: env_file: {path} does not exist")
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def summary(config: MCPServerConfig) -> dict[str, Any]:
    """What ``mamba mcp list`` shows: no header, key or environment value."""
    return {
        "name": config.name,
        "transport": config.transport,
        "target": config.target,
        "tool_prefix": config.tool_prefix,
        "disabled": config.disabled,
        "optional": config.optional,
    }
