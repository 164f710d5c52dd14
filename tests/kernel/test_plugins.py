"""The plugin kernel against real entry-point metadata."""

from __future__ import annotations

import sys
import warnings

import pytest
from mamba_agents.config import AgentSettings, CompactionConfig, PluginsConfig
from mamba_agents.plugins import (
    PluginManager,
    PluginWarning,
    UnknownNameError,
    get_plugin_manager,
    reset_plugin_managers,
)

ACME = """
from collections.abc import Sequence
from mamba_agents.plugins import hookimpl
from mamba_agents.context.strategy import CompactionStrategy
from mamba_agents.context.result import CompactionResult

class KeepLastTwo(CompactionStrategy):
    name = "acme_last_two"

    async def compact(self, messages, context):
        parts = context.partition(messages)
        return CompactionResult(strategy=self.name, messages=parts.join([]))

@hookimpl
def mamba_register_compaction_strategies(register):
    register("acme_last_two", KeepLastTwo, author="acme")
"""


def test_third_party_plugin_is_discovered_and_used_when_config_names_it(make_dist):
    make_dist("acme-mamba", "1.2.3", {"acme": "acme_plugin"}, {"acme_plugin": ACME})
    manager = PluginManager()
    info = {i.name: i for i in manager.plugins()}["acme"]
    assert (info.distribution, info.version, info.loaded, info.error) == ("acme-mamba", "1.2.3", True, None)
    assert info.registered == {"compaction_strategies": ["acme_last_two"]}
    assert info.hooks == ["mamba_register_compaction_strategies"]
    entry = manager.registry("compaction_strategies").entry("acme_last_two")
    assert entry.plugin == "acme" and entry.meta == {"author": "acme"}

    settings = AgentSettings(context={"strategy": "acme_last_two", "preserve_recent_turns": 1})
    from mamba_agents.context import ContextManager

    cm = ContextManager(settings.context, plugin_manager=manager)
    assert type(cm.strategy).__name__ == "KeepLastTwo"


def test_disabled_plugin_is_never_imported(make_dist):
    make_dist("acme-mamba", "1.0", {"acme": "acme_disabled_mod"}, {"acme_disabled_mod": ACME})
    manager = PluginManager(disabled=["acme"])
    info = {i.name: i for i in manager.plugins()}["acme"]
    assert not info.enabled and "disabled" in info.reason
    assert "acme_disabled_mod" not in sys.modules
    assert "acme_last_two" not in manager.registry("compaction_strategies")


def test_allow_list_keeps_everything_else_unimported(make_dist):
    make_dist("acme-mamba", "1.0", {"acme": "acme_allowed"}, {"acme_allowed": ACME})
    make_dist(
        "other-mamba", "1.0", {"other": "other_unlisted"}, {"other_unlisted": "raise SystemExit('imported!')"}
    )
    manager = PluginManager(enabled=["acme"])
    infos = {i.name: i for i in manager.plugins()}
    assert infos["acme"].loaded
    assert not infos["other"].enabled and "allow-list" in infos["other"].reason
    assert "other_unlisted" not in sys.modules
    # built-ins are not subject to the allow-list
    assert "sliding_window" in manager.registry("compaction_strategies")


def test_environment_disables_a_plugin_for_the_global_manager(make_dist, monkeypatch, tmp_path):
    make_dist("acme-mamba", "1.0", {"acme": "acme_env_mod"}, {"acme_env_mod": ACME})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAMBA_PLUGINS__DISABLED", '["acme"]')
    reset_plugin_managers()
    try:
        manager = get_plugin_manager()
        assert PluginsConfig.from_environment().disabled == ["acme"]
        assert not {i.name: i for i in manager.plugins()}["acme"].enabled
        assert "acme_env_mod" not in sys.modules
    finally:
        reset_plugin_managers()


def test_plugin_failing_on_import_is_reported_and_the_rest_work(make_dist):
    make_dist(
        "broken-mamba",
        "0.1",
        {"broken": "broken_mod"},
        {"broken_mod": "raise RuntimeError('boom at import')"},
    )
    make_dist("acme-mamba", "1.0", {"acme": "acme_ok"}, {"acme_ok": ACME})
    manager = PluginManager()
    with pytest.warns(PluginWarning, match="broken.*boom at import"):
        infos = {i.name: i for i in manager.plugins()}
    assert not infos["broken"].loaded and "RuntimeError: boom at import" in infos["broken"].error
    assert infos["acme"].loaded
    assert "acme_last_two" in manager.registry("compaction_strategies")


def test_plugin_whose_hook_raises_is_reported_and_skipped(make_dist):
    source = """
from mamba_agents.plugins import hookimpl
@hookimpl
def mamba_register_tools(register):
    raise ValueError("hook exploded")
"""
    make_dist("hooky", "0.1", {"hooky": "hooky_mod"}, {"hooky_mod": source})
    manager = PluginManager()
    with pytest.warns(PluginWarning, match="hook exploded"):
        info = {i.name: i for i in manager.plugins()}["hooky"]
    assert "mamba_register_tools failed: ValueError: hook exploded" in info.error
    assert "current_time" in manager.registry("tools")


def test_duplicate_name_first_registration_wins_and_the_second_is_reported(make_dist):
    make_dist("acme-mamba", "1.0", {"acme": "acme_dup_a"}, {"acme_dup_a": ACME})
    make_dist("copycat-mamba", "1.0", {"copycat": "acme_dup_b"}, {"acme_dup_b": ACME})
    manager = PluginManager()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager.load()
    assert any("already registered by plugin 'acme'; plugin 'copycat'" in str(w.message) for w in caught)
    assert manager.registry("compaction_strategies").entry("acme_last_two").plugin == "acme"
    assert manager.registry("compaction_strategies").refused == {"acme_last_two": ["copycat"]}


def test_unknown_name_lists_what_exists_and_which_package_provides_it():
    manager = PluginManager(entry_points=False)
    with pytest.raises(UnknownNameError) as err:
        manager.get("compaction_strategies", "summarize_older")
    message = str(err.value)
    assert "registered: sliding_window" in message
    assert "pip install mamba-agents-compaction" in message
    with pytest.raises(UnknownNameError, match="registered: sliding_window"):
        manager.get("compaction_strategies", "nope")


def test_registry_lookup_imports_lazily(make_dist):
    source = """
from mamba_agents.plugins import hookimpl, lazy
@hookimpl
def mamba_register_backends(register):
    register("lazy_backend", lazy("lazy_impl:factory"))
"""
    make_dist(
        "lazy-mamba",
        "1.0",
        {"lazy": "lazy_entry"},
        {"lazy_entry": source, "lazy_impl": "def factory(s):\n    return s\n"},
    )
    manager = PluginManager()
    manager.load()
    assert "lazy_impl" not in sys.modules
    assert manager.get("backends", "lazy_backend")("x") == "x"
    assert "lazy_impl" in sys.modules


def test_core_defaults_come_through_the_same_hooks():
    manager = PluginManager(entry_points=False)
    builtins = {i.name: i for i in manager.plugins()}
    assert all(i.builtin for i in builtins.values())
    assert builtins["mamba_agents.context.plugin"].registered == {"compaction_strategies": ["sliding_window"]}
    assert builtins["mamba_agents.backends.plugin"].registered == {"backends": ["pydantic_ai"]}


def test_import_mamba_agents_loads_no_plugin_and_no_heavy_dependency():
    import subprocess

    code = (
        "import sys, mamba_agents;"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('openai','tiktoken','jinja2','mcp','pydantic_ai') or m.startswith('mamba_agents_'));"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fixtures_isolate_plugins_per_test(register_plugin, mamba_plugin_manager):
    class OneTestPlugin:
        @staticmethod
        def _factory(settings):
            return settings

    from mamba_agents.plugins import hookimpl

    class Plugin:
        @hookimpl
        def mamba_register_backends(self, register):
            register("one_test_backend", OneTestPlugin._factory)

    register_plugin(Plugin(), name="one-test")
    assert get_plugin_manager() is mamba_plugin_manager
    assert "one_test_backend" in get_plugin_manager().registry("backends")


def test_fixture_plugin_does_not_leak_into_the_next_test():
    assert "one_test_backend" not in PluginManager().registry("backends")


def test_compaction_config_target_defaults_below_a_custom_trigger():
    assert CompactionConfig(trigger_threshold_tokens=1000).target_tokens == 800
