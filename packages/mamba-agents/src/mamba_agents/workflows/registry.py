"""Workflows by name: the registered class, configured from ``[workflows]``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mamba_agents.config.errors import ConfigError

if TYPE_CHECKING:
    from mamba_agents.config.settings import AgentSettings
    from mamba_agents.plugins import PluginManager
    from mamba_agents.workflows.base import Workflow


def get_workflow(name: str, plugins: PluginManager | None = None) -> type[Workflow[Any, Any, Any]]:
    """The workflow class registered as ``name`` (``react``, ``plan_execute``, ``reflection``, a plugin's)."""
    if plugins is None:
        from mamba_agents.plugins import get_plugin_manager

        plugins = get_plugin_manager()
    return plugins.get("workflows", name)


def build_workflow(
    agent: Any,
    name: str | None = None,
    *,
    settings: AgentSettings | None = None,
    plugins: PluginManager | None = None,
    hooks: Any = None,
) -> Workflow[Any, Any, Any]:
    """``cls(agent, config=..., hooks=...)`` for workflow ``name`` (default: ``[workflows] default``), its
    config built from ``[workflows.options.NAME]``."""
    from mamba_agents.config.checks import workflow_config

    settings = settings if settings is not None else agent.settings
    if plugins is None:
        from mamba_agents.plugins import get_plugin_manager

        plugins = get_plugin_manager(settings.plugins)
    name = name or settings.workflows.default
    if not name:
        raise ConfigError(
            "no workflow named: pass one (mamba run --workflow NAME) or set [workflows] default"
        )
    cls = get_workflow(name, plugins)
    config = workflow_config(cls, settings.workflows.options.get(name, {}), name)
    return cls(agent, config=config, hooks=hooks)
