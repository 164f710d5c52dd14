"""``MCPClientManager``: the configured servers, one shared connection each, connection tests and health."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_ai.toolsets import AbstractToolset

from mamba_agents_mcp.config import MCPServerConfig
from mamba_agents_mcp.connection import ServerStatus, ServerToolset, _close_inner, _reason
from mamba_agents_mcp.errors import MCPServerNotFoundError
from mamba_agents_mcp.loader import load_mcp_json

if TYPE_CHECKING:
    from mamba_agents.plugins import PluginManager


@dataclass
class MCPToolInfo:
    """One tool as the server lists it (raw name, before ``tool_prefix``)."""

    name: str
    description: str | None = None
    input_schema: dict[str, Any] | None = None


@dataclass
class MCPConnectionResult:
    """What ``test_connection`` found; it never raises, a failure is ``success=False`` with ``error``."""

    server_name: str
    success: bool
    transport: str = ""
    is_running: bool = False
    tools: list[MCPToolInfo] = field(default_factory=list)
    tool_count: int = 0
    error: str | None = None
    error_type: str | None = None
    latency_ms: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "server": self.server_name,
            "transport": self.transport,
            "success": self.success,
            "tool_count": self.tool_count,
            "tools": [{"name": t.name, "description": t.description} for t in self.tools],
            "latency_ms": self.latency_ms,
            "error": self.error,
            "error_type": self.error_type,
        }


class MCPClientManager:
    """MCP servers by name. ``as_toolsets()`` gives the same toolsets every time, so every agent and run that
    uses them shares one connection per server; ``close()`` / ``aclose()`` (or interpreter exit) ends them.

    ``plugin_manager`` resolves transport names (the built-in ones and any a plugin registers).
    """

    def __init__(
        self, configs: Iterable[MCPServerConfig] | None = None, *, plugin_manager: PluginManager | None = None
    ) -> None:
        self._plugins = plugin_manager
        self._configs: dict[str, MCPServerConfig] = {}
        self._toolsets: dict[str, tuple[MCPServerConfig, ServerToolset, AbstractToolset[Any]]] = {}
        # toolsets of replaced configs: an agent may still hold one, so they close with the manager
        self._retired: list[ServerToolset] = []
        for config in configs or ():
            self.add_server(config)

    # -- configuration --------------------------------------------------------------------------------

    @classmethod
    def from_mcp_json(
        cls, path: str | Path, *, plugin_manager: PluginManager | None = None
    ) -> MCPClientManager:
        return cls(load_mcp_json(path), plugin_manager=plugin_manager)

    def add_from_file(self, path: str | Path) -> list[MCPServerConfig]:
        """Add the servers of a ``.mcp.json`` file (``~`` expanded); a server named again replaces the old."""
        configs = load_mcp_json(path)
        for config in configs:
            self.add_server(config)
        return configs

    def add_server(self, config: MCPServerConfig) -> None:
        """Add a server, or replace the one of that name (later wins). Its transport must be registered."""
        self._factory(config.transport)  # an unknown transport fails here, naming the registered ones
        self._configs.pop(config.name, None)
        self._configs[config.name] = config

    @property
    def configs(self) -> list[MCPServerConfig]:
        return list(self._configs.values())

    def get_server(self, name: str) -> MCPServerConfig:
        try:
            return self._configs[name]
        except KeyError:
            known = ", ".join(self._configs) or "none"
            raise MCPServerNotFoundError(f"no MCP server named {name!r}; configured: {known}") from None

    # -- toolsets -------------------------------------------------------------------------------------

    def as_toolsets(self) -> list[AbstractToolset[Any]]:
        """One toolset per enabled server (prefixed with ``tool_prefix``), the same objects on every call."""
        return [self._toolset(config)[1] for config in self._configs.values() if not config.disabled]

    def server_toolset(self, name: str) -> ServerToolset:
        """The (unprefixed) toolset holding ``name``'s connection."""
        return self._toolset(self.get_server(name))[0]

    def _toolset(self, config: MCPServerConfig) -> tuple[ServerToolset, AbstractToolset[Any]]:
        held = self._toolsets.get(config.name)
        if held is not None and held[0] is config:
            return held[1], held[2]
        if held is not None:
            self._retired.append(held[1])
        server = ServerToolset(config, self._factory(config.transport))
        exposed: AbstractToolset[Any] = server.prefixed(config.tool_prefix) if config.tool_prefix else server
        self._toolsets[config.name] = (config, server, exposed)
        return server, exposed

    def _factory(self, transport: str) -> Any:
        if self._plugins is None:
            from mamba_agents.plugins.manager import get_plugin_manager

            self._plugins = get_plugin_manager()
        return self._plugins.get("mcp_transports", transport)

    # -- health ---------------------------------------------------------------------------------------

    def status(self) -> dict[str, ServerStatus]:
        """Each server's state (idle, connected, reconnecting, unavailable, closed, disabled) and counters."""
        out: dict[str, ServerStatus] = {}
        for name, config in self._configs.items():
            held = self._toolsets.get(name)
            if config.disabled:
                out[name] = ServerStatus(name, config.transport, config.target, "disabled")
            elif held is not None and held[0] is config:
                out[name] = held[1].status()
            else:
                out[name] = ServerStatus(name, config.transport, config.target, "idle")
        return out

    async def test_connection(self, name: str) -> MCPConnectionResult:
        """Connect afresh (not through the shared connection), list the tools, disconnect; never raises."""
        try:
            config = self.get_server(name)
        except MCPServerNotFoundError as exc:
            return MCPConnectionResult(name, False, error=str(exc), error_type=type(exc).__name__)
        start = time.perf_counter()
        inner: AbstractToolset[Any] | None = None
        try:
            inner = self._factory(config.transport)(config)
            async with asyncio.timeout(config.timeout + 5):
                await inner.__aenter__()
                listed = await inner.list_tools()  # type: ignore[attr-defined]
            tools = [MCPToolInfo(t.name, t.description, dict(t.input_schema or {})) for t in listed]
            latency = (time.perf_counter() - start) * 1000
            return MCPConnectionResult(
                name, True, config.transport, True, tools, len(tools), latency_ms=round(latency, 1)
            )
        except Exception as exc:
            latency = (time.perf_counter() - start) * 1000
            return MCPConnectionResult(
                name,
                False,
                config.transport,
                error=_reason(exc),
                error_type=type(exc).__name__,
                latency_ms=round(latency, 1),
            )
        finally:
            if inner is not None:
                await _close_inner(inner)

    def test_connection_sync(self, name: str) -> MCPConnectionResult:
        from mamba_agents.agent.loop import run_sync

        return run_sync(self.test_connection(name))

    async def test_all_connections(self) -> dict[str, MCPConnectionResult]:
        names = [n for n, c in self._configs.items() if not c.disabled]
        results = await asyncio.gather(*(self.test_connection(n) for n in names))
        return dict(zip(names, results, strict=True))

    def test_all_connections_sync(self) -> dict[str, MCPConnectionResult]:
        from mamba_agents.agent.loop import run_sync

        return run_sync(self.test_all_connections())

    # -- closing --------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close every server's connection (stdio processes stop); a later use connects again."""
        for server in [*self._retired, *(held[1] for held in self._toolsets.values())]:
            await server.aclose()

    def close(self) -> None:
        """``aclose`` from synchronous code, on the loop ``run_sync`` uses."""
        from mamba_agents.agent.loop import run_sync

        run_sync(self.aclose())

    async def __aenter__(self) -> MCPClientManager:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"MCPClientManager(servers={list(self._configs)})"
