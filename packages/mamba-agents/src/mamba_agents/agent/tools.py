"""Tools for an Agent: given objects, names from configuration, and the sandboxed built-in tools."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic_ai import Tool
from pydantic_ai.toolsets import AbstractToolset

from mamba_agents.plugins.errors import PluginError
from mamba_agents.plugins.registry import lazy

if TYPE_CHECKING:
    from mamba_agents.config import AgentSettings, ToolsConfig
    from mamba_agents.plugins import PluginManager

FACTORY_ATTRIBUTE = "__mamba_toolset_factory__"


def protecting_own_files(settings: AgentSettings) -> ToolsConfig:
    """``[tools]`` with the files this agent's configuration came from, its prompts folder and its
    ``.mcp.json`` files added to ``protected_paths``: no tool may rewrite the agent's own policy."""
    from pathlib import Path

    own = [*settings.source_files(), settings.prompts.prompts_dir, *settings.mcp.config_files]
    absolute = [p if p.is_absolute() else Path.cwd() / p for p in (Path(p).expanduser() for p in own)]
    tools = settings.tools
    return tools.model_copy(update={"protected_paths": [*tools.protected_paths, *absolute]})


def build_toolsets(
    tools: Sequence[Any], names: Sequence[str], config: ToolsConfig, plugins: PluginManager
) -> tuple[list[Any], list[AbstractToolset[Any]]]:
    """Split ``tools`` and configured ``names`` into plain tools and toolsets.

    Tools that come with a toolset factory (the built-in sandboxed tools) are handed to that factory together,
    so the sandbox is applied by the toolset and never appears in a tool's schema.
    """
    plain: list[Any] = []
    toolsets: list[AbstractToolset[Any]] = []
    by_factory: dict[str, list[str]] = {}
    for tool in tools:
        factory = getattr(tool, FACTORY_ATTRIBUTE, None)
        if factory:
            by_factory.setdefault(factory, []).append(tool.__name__)
        elif isinstance(tool, AbstractToolset):
            toolsets.append(tool)
        else:
            plain.append(tool)
    if names:
        registry = plugins.registry("tools")
        for name in _expand(names, registry):
            entry = registry.entry(name)
            factory = entry.meta.get("toolset_factory")
            if factory:
                by_factory.setdefault(factory, []).append(name)
                continue
            obj = entry.obj
            if isinstance(obj, AbstractToolset):
                toolsets.append(obj)
            elif isinstance(obj, Tool) or callable(obj):
                plain.append(obj)
            else:
                raise PluginError(
                    f"tool {name!r} from plugin {entry.plugin!r} is neither a tool nor a toolset"
                )
    for factory_path, tool_names in by_factory.items():
        factory: Callable[..., AbstractToolset[Any]] = lazy(factory_path).resolve()
        toolsets.append(factory(list(dict.fromkeys(tool_names)), config))
    return plain, toolsets


def _expand(names: Sequence[str], registry: Any) -> list[str]:
    out: list[str] = []
    for name in names:
        entry = registry.entry(name)
        if entry.meta.get("kind") == "group":
            out.extend(_expand(list(entry.obj), registry))
        else:
            out.append(name)
    return list(dict.fromkeys(out))


def tool_decorator(
    register: Callable[..., Any], func: Callable[..., Any] | None, graceful: bool, options: dict[str, Any]
) -> Any:
    """``@agent.tool`` / ``@agent.tool_plain`` with or without arguments: hand the (gracefully wrapped)
    function to pydantic-ai's own decorator, whose toolset is read on every run, and give back ``func``."""
    from mamba_agents.agent.capabilities import graceful_tool

    def add(function: Callable[..., Any]) -> Callable[..., Any]:
        register(graceful_tool(function) if graceful else function, **options)
        return function

    return add if func is None else add(func)
