"""The plugin kernel: hook markers, discovery by entry point, and one registry per kind."""

from mamba_agents.plugins.errors import PluginConflictError, PluginError, UnknownNameError
from mamba_agents.plugins.hookspecs import hookimpl, hookspec
from mamba_agents.plugins.manager import (
    DEFAULT_PLUGINS,
    ENTRY_POINT_GROUP,
    KINDS,
    PluginInfo,
    PluginManager,
    PluginSource,
    PluginWarning,
    discover_entry_points,
    get_plugin_manager,
    reset_plugin_managers,
    set_plugin_manager,
)
from mamba_agents.plugins.registry import Registration, Registry, lazy

__all__ = [
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "KINDS",
    "PluginConflictError",
    "PluginError",
    "PluginInfo",
    "PluginManager",
    "PluginSource",
    "PluginWarning",
    "Registration",
    "Registry",
    "UnknownNameError",
    "discover_entry_points",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "lazy",
    "reset_plugin_managers",
    "set_plugin_manager",
]
