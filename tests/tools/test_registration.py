"""Registration through ``mamba_register_tools``, lazy re-exports in the core, and agents that get their tools
from configuration: a raw pydantic-ai Agent fed from the registry, and the mamba ``Agent`` facade."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mamba_agents.config import AgentSettings, ToolsConfig
from mamba_agents.plugins import PluginManager, PluginSource, discover_entry_points, lazy
from mamba_agents_tools import GROUPS, TOOL_NAMES
from pydantic_ai import Agent as PydanticAgent
from pydantic_ai.models.function import FunctionModel

from tests.tools.conftest import SECRET
from tests.tools.test_toolset import Script


def _tools_only_manager() -> PluginManager:
    source = PluginSource(
        name="tools",
        module="mamba_agents_tools.plugin",
        load=lambda: importlib.import_module("mamba_agents_tools.plugin"),
    )
    return PluginManager(entry_points=[source], builtins=())


def _subprocess(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# -- registration -----------------------------------------------------------------------------------------


def test_entry_point_is_declared() -> None:
    sources = {s.name: s for s in discover_entry_points()}
    assert sources["tools"].module == "mamba_agents_tools.plugin"
    assert sources["tools"].distribution == "mamba-agents-tools"


def test_every_tool_and_group_is_registered() -> None:
    registry = _tools_only_manager().registry("tools")
    assert registry.names() == sorted([*TOOL_NAMES, *GROUPS])
    for group, names in GROUPS.items():
        entry = registry.entry(group)
        assert entry.meta == {"kind": "group"} and tuple(entry.obj) == names
        for name in names:
            tool = registry.entry(name)
            assert isinstance(tool.value, lazy), "tools must load on first lookup, not at registration"
            assert tool.meta == {
                "toolset_factory": "mamba_agents_tools.toolset:build_toolset",
                "group": group,
            }
            func = tool.obj
            assert func.__name__ == name
            assert func.__mamba_toolset_factory__ == "mamba_agents_tools.toolset:build_toolset"


def test_plugin_module_stays_tiny() -> None:
    loaded = _subprocess(
        "import sys, mamba_agents_tools.plugin; "
        "print(sorted(m for m in sys.modules if m.startswith('mamba_agents_tools')))"
    )
    assert loaded == "['mamba_agents_tools', 'mamba_agents_tools.plugin']"


def test_import_mamba_agents_does_not_load_the_plugin() -> None:
    out = _subprocess(
        "import sys, mamba_agents, mamba_agents.tools, mamba_agents.tools.filesystem; "
        "print(any(m.startswith('mamba_agents_tools') for m in sys.modules)); "
        "from mamba_agents.tools import read_file; "
        "print(read_file.__module__)"
    )
    assert out.splitlines() == ["False", "mamba_agents_tools.filesystem"]


def test_seed_import_paths() -> None:
    from mamba_agents.tools import (  # noqa: F401
        append_file,
        copy_file,
        delete_file,
        file_info,
        glob_search,
        grep_search,
        list_directory,
        move_file,
        read_file,
        run_bash,
        write_file,
    )
    from mamba_agents.tools.bash import BashResult, run_bash_async  # noqa: F401
    from mamba_agents.tools.filesystem import FilesystemSecurity
    from mamba_agents.tools.filesystem import read_file as fs_read_file

    assert fs_read_file is read_file
    assert FilesystemSecurity.__module__ == "mamba_agents_tools.security"
    with pytest.raises(AttributeError):
        _ = importlib.import_module("mamba_agents.tools").not_a_tool


def test_missing_plugin_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.startswith("mamba_agents_tools")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mamba_agents_tools", None)
    for module, attr in (
        ("mamba_agents.tools", "read_file"),
        ("mamba_agents.tools.filesystem", "FilesystemSecurity"),
    ):
        # forget names an earlier test already resolved (the re-exports cache what they load)
        monkeypatch.delattr(importlib.import_module(module), attr, raising=False)
    with pytest.raises(ImportError, match="provided by the 'mamba-agents-tools' package: pip install"):
        from mamba_agents.tools import read_file  # noqa: F401
    with pytest.raises(ImportError, match="mamba-agents-tools"):
        from mamba_agents.tools.filesystem import FilesystemSecurity  # noqa: F401


# -- agents with tools from configuration -----------------------------------------------------------------


def _toolsets_from_config(settings: ToolsConfig, manager: PluginManager) -> list[Any]:
    """What the Agent facade does with ``[tools] enabled``: expand groups, one factory call per factory."""
    registry = manager.registry("tools")
    names: list[str] = []
    for name in settings.enabled:
        entry = registry.entry(name)
        names.extend(entry.obj if entry.meta.get("kind") == "group" else [name])
    by_factory: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        by_factory.setdefault(registry.entry(name).meta["toolset_factory"], []).append(name)
    return [lazy(factory).resolve()(tool_names, settings) for factory, tool_names in by_factory.items()]


def test_config_enabled_tools_through_the_registry(root: Path) -> None:
    settings = ToolsConfig(enabled=["filesystem", "grep_search"], base_directory=root)
    toolsets = _toolsets_from_config(settings, _tools_only_manager())
    script = Script(
        [
            ("read_file", {"path": "file1.txt"}),
            ("grep_search", {"pattern": "def", "file_pattern": "*.py"}),
            ("read_file", {"path": "link_to_secret.txt"}),
        ],
    )
    result = PydanticAgent(FunctionModel(script), toolsets=toolsets).run_sync("go")
    assert result.output == "done"
    assert script.tool_names == [*GROUPS["filesystem"], "grep_search"]
    read, grep, escape = script.last
    assert read.content == "Hello, World!"
    assert [m["line_number"] for m in grep.content["matches"]] == [1, 5, 1]
    assert escape.outcome == "failed" and SECRET not in str(escape.content)


@pytest.fixture
def facade(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)  # no stray .env or config.toml from the working tree
    return pytest.importorskip("mamba_agents.agent").Agent


def test_facade_enables_tools_from_settings(facade, root: Path) -> None:
    settings = AgentSettings(tools={"enabled": ["filesystem", "grep_search"], "base_directory": str(root)})
    # the write comes first, on its own: calls in one response run in parallel, so a grep beside it could win
    script = Script(
        [("write_file", {"path": "notes/todo.md", "content": "- ship it\n"})],
        [
            ("grep_search", {"pattern": "ship", "path": "notes"}),
            ("read_file", {"path": "../outside/secret.txt"}),
        ],
    )
    result = facade(FunctionModel(script), settings=settings).run_sync("go")
    assert result.output == "done"
    assert sorted(script.tool_names) == sorted([*GROUPS["filesystem"], "grep_search"])
    (write,), (grep, escape) = script.results
    assert write.content == "Wrote 10 bytes to notes/todo.md"
    assert grep.content["matches"][0]["file"] == "notes/todo.md"
    assert escape.outcome == "failed" and "outside the sandbox" in str(escape.content)
    assert (root / "notes/todo.md").read_text() == "- ship it\n"


def test_facade_binds_seed_tool_functions_to_the_sandbox(facade, root: Path) -> None:
    from mamba_agents.tools import grep_search, read_file, run_bash

    settings = AgentSettings(tools={"base_directory": str(root)})
    script = Script([("read_file", {"path": "file1.txt"}), ("run_bash", {"command": "pwd"})])
    agent = facade(FunctionModel(script), tools=[read_file, run_bash, grep_search], settings=settings)
    assert agent.run_sync("go").output == "done"
    assert sorted(script.tool_names) == ["grep_search", "read_file", "run_bash"]
    for schema in script.schemas.values():
        assert "security" not in schema["properties"] and "config" not in schema["properties"]
    read, bash = script.last
    assert read.content == "Hello, World!"
    assert bash.content["stdout"].strip() == str(root)
