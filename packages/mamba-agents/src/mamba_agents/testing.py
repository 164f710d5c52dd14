"""pytest plugin shipped with mamba-agents: an isolated plugin manager per test, and one-test plugins.

Enabled automatically (entry point ``pytest11``). ``mamba_plugin_manager`` is a manager with the core's
built-ins only, so a plugin installed in the environment cannot change what a test sees; mark the test
``@pytest.mark.mamba_entry_points`` to load the installed plugins too, or
``@pytest.mark.mamba_entry_points("tools", "compaction")`` for just those. ``register_plugin`` adds a plugin
object (a module or an object with ``@hookimpl`` methods) for one test only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from mamba_agents.plugins import PluginManager, set_plugin_manager

MARKER = "mamba_entry_points"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*names): let mamba_plugin_manager load installed plugins (all, or the named entry points)",
    )


@pytest.fixture
def mamba_plugin_manager(request: pytest.FixtureRequest) -> Iterator[PluginManager]:
    """A fresh plugin manager, installed as the one every lookup uses for the duration of the test."""
    from mamba_agents.plugins import discover_entry_points

    marker = request.node.get_closest_marker(MARKER)
    entry_points: bool | list = False
    if marker is not None:
        wanted = set(marker.args)
        entry_points = [s for s in discover_entry_points() if not wanted or s.name in wanted]
    manager = PluginManager(entry_points=entry_points)
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
