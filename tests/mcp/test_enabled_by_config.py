"""``[mcp]`` in config.toml: an Agent built from settings gets the tools; ``mamba mcp``; cleanup at exit."""

from __future__ import annotations

import json
import subprocess
import textwrap
import time

import click
import pytest
from click.testing import CliRunner
from mamba_agents import Agent
from mamba_agents.config import AgentSettings, ConfigError
from mamba_agents.plugins import PluginManager
from mamba_agents_mcp.cli import mcp_command
from pydantic_ai.models.test import TestModel

from tests.mcp.conftest import PY, SERVER, ScriptedModel, alive, free_port


def _config(project, shared_http, extra: str = "") -> None:
    (project / ".mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "calc": {"url": "${CALC_URL}", "tool_prefix": "calc"},
                    "off": {"command": "nonexistent-binary", "disabled": True},
                }
            }
        )
    )
    (project / "user.json").write_text(
        json.dumps({"mcpServers": {"calc": {"url": "http://127.0.0.1:1/mcp"}}})
    )
    (project / "config.toml").write_text(
        textwrap.dedent(
            f"""
            [mcp]
            config_files = ["~/user.json", ".mcp.json"]

            [mcp.servers.inline]
            transport = "streamable_http"
            url = "{shared_http.url}"
            tool_prefix = "in"
            {extra}
            """
        )
    )


@pytest.mark.slow
async def test_agent_from_settings_calls_config_enabled_servers(project, shared_http, monkeypatch):
    monkeypatch.setenv("CALC_URL", shared_http.url)
    _config(project, shared_http)
    scripted = ScriptedModel().calls(("calc_add", {"a": 2, "b": 40}), ("in_pid", {}))
    agent = Agent(scripted.model, settings=AgentSettings())
    await agent.run("go")
    assert "calc_add" in scripted.seen_tools[0] and "in_add" in scripted.seen_tools[0]
    assert not any(n.startswith("off") for n in scripted.seen_tools[0])
    add, pid = scripted.results[-2:]
    assert add.content == 42  # .mcp.json named later wins over ~/user.json's unreachable "calc"
    assert int(pid.content) == shared_http.pid()
    for toolset in agent.pydantic_agent.toolsets:
        close = getattr(getattr(toolset, "wrapped", toolset), "aclose", None)
        if close is not None:
            await close()


@pytest.mark.parametrize(
    ("toml", "match"),
    [
        (
            '[mcp.servers.x]\ncommand = "a"\ncolour = 1\n',
            r"\[mcp.servers.x\]: server 'x': unknown key 'colour'",
        ),
        (
            '[mcp.servers.x]\ntransport = "websocket"\nurl = "ws://h"\n',
            r"\[mcp.servers.x\]: transport: unknown MCP",
        ),
        (
            '[mcp]\nconfig_files = ["missing.json"]\n',
            r"mcp.config_files\[0\]: .*missing.json: MCP config file not",
        ),
        ('[mcp.servers.x]\nurl = "http://h/mcp"\ntransport = "stdio"\n', r"server 'x': .*needs command"),
    ],
)
def test_invalid_entries_fail_when_the_agent_is_built(project, toml, match):
    (project / "config.toml").write_text(toml)
    with pytest.raises(ConfigError, match=match) as info:
        Agent(TestModel(), settings=AgentSettings())
    assert "\n" not in str(info.value)


def test_mcp_command_is_registered_by_the_plugin():
    group = click.Group()
    PluginManager().add_commands(group)
    assert {"list", "test", "tools"} <= set(group.commands["mcp"].commands)


@pytest.mark.slow
def test_cli_list_test_and_tools(project, shared_http, monkeypatch):
    monkeypatch.setenv("CALC_URL", shared_http.url)
    down = f"http://127.0.0.1:{free_port()}/mcp"
    _config(
        project, shared_http, extra=f'\n[mcp.servers.down]\nurl = "{down}"\ntimeout = 2\nmax_reconnects = 0\n'
    )
    runner = CliRunner()
    listed = runner.invoke(mcp_command, ["list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["name"]: r for r in json.loads(listed.output)}
    assert rows["off"]["disabled"] and rows["calc"]["target"] == shared_http.url
    assert rows["down"]["transport"] == "streamable_http"

    tested = runner.invoke(mcp_command, ["test", "--json"])
    assert tested.exit_code == 1  # one server is down
    results = {r["server"]: r for r in json.loads(tested.output)}
    assert results["calc"]["success"] and results["calc"]["tool_count"] == 5
    assert not results["down"]["success"] and results["down"]["error"]

    table = runner.invoke(mcp_command, ["test", "inline"], terminal_width=200)
    assert table.exit_code == 0, table.output
    for column in ("server", "transport", "status", "tools", "latency", "error", "inline", "ok"):
        assert column in table.output

    tools = runner.invoke(mcp_command, ["tools", "inline", "--json"])
    assert {t["name"]: t["description"] for t in json.loads(tools.output)}["in_slow"] == "Sleep, then answer."
    unknown = runner.invoke(mcp_command, ["tools", "nope"])
    assert unknown.exit_code == 2 and "no MCP server named 'nope'" in unknown.output


def test_cli_bad_config_is_one_line(project):
    (project / "config.toml").write_text('[mcp.servers.x]\ncommand = "a"\nbogus = 1\n')
    out = CliRunner().invoke(mcp_command, ["list"])
    assert out.exit_code == 2 and "unknown key 'bogus'" in out.output and "Traceback" not in out.output


@pytest.mark.slow
def test_no_stdio_server_outlives_the_interpreter(project):
    """run_sync keeps one process across runs; nothing closes it explicitly; exit must stop it.

    Also: an Agent without [mcp] servers imports neither mcp nor fastmcp."""
    script = textwrap.dedent(
        f"""
        import sys
        from pydantic_ai import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
        from pydantic_ai.models.function import FunctionModel
        from pydantic_ai.models.test import TestModel
        from mamba_agents import Agent, MCPClientManager, MCPServerConfig

        Agent(TestModel())
        assert "mcp" not in sys.modules and "fastmcp" not in sys.modules

        def model(messages, info):
            done = [p for p in messages[-1].parts if isinstance(p, ToolReturnPart)]
            parts = [TextPart(str(done[0].content))] if done else [ToolCallPart("pid", {{}})]
            return ModelResponse(parts=parts)

        manager = MCPClientManager([MCPServerConfig(name="s", command={PY!r}, args=[{SERVER!r}])])
        agent = Agent(FunctionModel(model), toolsets=manager.as_toolsets())
        first = agent.run_sync("a").output
        assert agent.run_sync("b").output == first  # one process across runs
        print(first, flush=True)
        """
    )
    out = subprocess.run([PY, "-c", script], capture_output=True, text=True, timeout=120, cwd=project)
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.strip())
    deadline = time.monotonic() + 10  # bound: the child may take a moment to be reaped
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)
