"""pytest plugin shipped with mamba-agents: an isolated plugin manager per test, and one-test plugins.

Enabled automatically (entry point ``pytest11``). Use ``mamba_plugin_manager`` for a manager that sees the
core's built-ins and the installed plugins but shares nothing with other tests, and ``register_plugin`` to add
a plugin object (a module or an object with ``@hookimpl`` methods) for one test only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from mamba_agents.plugins import PluginManager, set_plugin_manager


@pytest.fixture
def mamba_plugin_manager() -> Iterator[PluginManager]:
    """A fresh plugin manager, installed as the one every lookup uses for the duration of the test."""
    manager = PluginManager()
    previous = set_plugin_manager(manager)
    try:
        yield manager
    finally:
        set_plugin_manager(previous)


@pytest.fixture
def register_plugin(mamba_plugin_manager: PluginManager) -> Callable[..., str]:
    """``register_plugin(obj, name=None)`` adds a plugin to this test's manager and returns its name."""

    def register(plugin: object, name: str | None = None) -> str:
        return mamba_plugin_manager.register(plugin, name=name)

    return register
