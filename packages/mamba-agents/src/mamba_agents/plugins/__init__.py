"""The plugin kernel: hook markers, discovery by entry point, and one registry per kind.

Names load on first use, so code that only needs an error class or ``lazy`` does not import pluggy.
"""

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_EXPORTS = {
    "DEFAULT_PLUGINS": "mamba_agents.plugins.manager",
    "ENTRY_POINT_GROUP": "mamba_agents.plugins.manager",
    "KINDS": "mamba_agents.plugins.manager",
    "PluginConflictError": "mamba_agents.plugins.errors",
    "PluginError": "mamba_agents.plugins.errors",
    "PluginInfo": "mamba_agents.plugins.manager",
    "PluginManager": "mamba_agents.plugins.manager",
    "PluginSource": "mamba_agents.plugins.manager",
    "PluginWarning": "mamba_agents.plugins.manager",
    "Registration": "mamba_agents.plugins.registry",
    "Registry": "mamba_agents.plugins.registry",
    "UnknownNameError": "mamba_agents.plugins.errors",
    "discover_entry_points": "mamba_agents.plugins.manager",
    "get_plugin_manager": "mamba_agents.plugins.manager",
    "hookimpl": "mamba_agents.plugins.hookspecs",
    "hookspec": "mamba_agents.plugins.hookspecs",
    "lazy": "mamba_agents.plugins.registry",
    "reset_plugin_managers": "mamba_agents.plugins.manager",
    "set_plugin_manager": "mamba_agents.plugins.manager",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
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
