"""The hooks a Mamba Agents plugin can implement.

Every registration hook receives a ``register(name, obj, **meta)`` callback, in the style of simonw/llm.
Per-request behaviour is not a hook here: it is a pydantic-ai capability, registered with
``mamba_register_capabilities`` and switched on by name in configuration.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mamba_agents")
hookimpl = pluggy.HookimplMarker("mamba_agents")


@hookspec
def mamba_register_compaction_strategies(register: Any) -> None:
    """Register compaction strategies: ``register(name, CompactionStrategy subclass)``."""


@hookspec
def mamba_register_tools(register: Any) -> None:
    """Register tools: ``register(name, tool, group=...)``; groups: ``kind="group"`` with a tuple of names."""


@hookspec
def mamba_register_backends(register: Any) -> None:
    """Register model backends: ``register(name, factory(ModelBackendSettings) -> pydantic_ai Model)``."""


@hookspec
def mamba_register_workflows(register: Any) -> None:
    """Register workflows: ``register(name, Workflow subclass)``."""


@hookspec
def mamba_register_mcp_transports(register: Any) -> None:
    """Register MCP transports: ``register(name, factory(MCPServerConfig) -> toolset)``."""


@hookspec
def mamba_register_session_stores(register: Any) -> None:
    """Register session stores: ``register(url_scheme, factory(url, **options) -> ConversationStore)``."""


@hookspec
def mamba_register_capabilities(register: Any) -> None:
    """Register capability factories: ``register(name, factory(**options) -> AbstractCapability)``."""


@hookspec
def mamba_register_commands(cli: Any) -> None:
    """Add sub-commands to the ``mamba`` click group."""
