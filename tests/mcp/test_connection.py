"""Servers that stay connected, die, restart, hang or never answer: driven through a real Agent."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import sys

import pytest
from mamba_agents import Agent
from mamba_agents.mcp import MCPClientManager, MCPServerConfig, MCPServerUnavailable

from tests.mcp.conftest import ScriptedModel, alive, free_port, stdio_config

pytestmark = pytest.mark.slow


def _agent(manager: MCPClientManager, scripted: ScriptedModel) -> Agent:
    return Agent(scripted.model, toolsets=manager.as_toolsets())


async def _pid(agent: Agent, scripted: ScriptedModel, tool: str = "t_pid") -> int:
    scripted.calls((tool, {}))
    await agent.run("pid?")
    part = scripted.last()
    assert part.outcome == "success", part
    return int(part.content)


async def test_stdio_one_process_across_runs_reconnects_after_kill_and_death(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-agent-secret")
    env_file = tmp_path / "s.env"
    env_file.write_text("FROM_FILE=yes\n")
    config = stdio_config(
        tool_prefix="t",
        idempotent_tools=["slow"],
        env_file=env_file,
        env_vars={"GREETING": "${GREETING_SRC:-hi}"},
    )
    manager = MCPClientManager([config])
    scripted = ScriptedModel()
    agent = _agent(manager, scripted)

    first = await _pid(agent, scripted)
    assert await _pid(agent, scripted) == first  # one process shared across runs
    assert sorted(scripted.seen_tools[0]) == ["t_add", "t_die", "t_env", "t_pid", "t_slow"]

    # the server sees only the minimal env, env_file and env_vars: never the agent's API key
    scripted.calls(("t_env", {"name": "OPENAI_API_KEY"}), ("t_env", {"name": "FROM_FILE"}))
    scripted.calls(("t_env", {"name": "GREETING"}))
    await agent.run("env")
    assert [p.content for p in scripted.results[-3:]] == ["<unset>", "yes", "hi"]

    # killed between runs: the next run reconnects (new pid) before relying on it
    os.kill(first, signal.SIGKILL)
    second = await _pid(agent, scripted)
    assert second != first and not alive(first)
    assert manager.status()["t"].reconnects == 1

    # dies in the middle of a call: not replayed; the model is told it may or may not have run,
    # and its next call in the same run goes to a new process
    scripted.calls(("t_die", {}), ("t_pid", {}))
    await agent.run("die")
    died, after = scripted.results[-2:]
    assert died.outcome == "failed" and "may or may not have run" in died.content
    assert after.outcome == "success" and int(after.content) not in (first, second)
    third = int(after.content)

    # an idempotent tool whose call was in flight when the server died is replayed once, on a new process
    async def kill_soon() -> None:
        await asyncio.sleep(0.5)
        os.kill(third, signal.SIGKILL)

    scripted.calls(("t_slow", {"seconds": 1.5}))
    killer = asyncio.create_task(kill_soon())
    await agent.run("slow")
    await killer
    assert scripted.last().outcome == "success" and scripted.last().content == "slept 1.5"
    assert manager.status()["t"].reconnects == 3
    fourth = await _pid(agent, scripted)

    await manager.aclose()
    assert not alive(third) and not alive(fourth)
    assert manager.status()["t"].state == "closed"


@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_http_server_dies_mid_run_and_restarts_between_runs(http_server, transport):
    server = http_server(transport)
    name = "sse" if transport == "sse" else "streamable_http"
    manager = MCPClientManager([MCPServerConfig(name="h", transport=name, url=server.url, timeout=5)])
    scripted = ScriptedModel()
    agent = _agent(manager, scripted)
    async with agent:  # held open across runs: the case pydantic-ai alone never recovers from
        assert await _pid(agent, scripted, "pid") == server.pid()
        scripted.calls(("die", {}))
        await agent.run("die")  # the run does not crash: the model reads the failure
        assert scripted.last().outcome == "failed" and "may or may not have run" in scripted.last().content
        server.proc.wait(10)
        server.start()
        assert await _pid(agent, scripted, "pid") == server.pid()
    assert manager.status()["h"].state == "closed"  # leaving `async with agent` closes the connection
    await manager.aclose()  # no stale transport error escapes


async def test_unreachable_server_raises_typed_error_naming_server_and_url():
    url = f"http://127.0.0.1:{free_port()}/mcp"
    config = MCPServerConfig(name="down", transport="streamable_http", url=url, timeout=2, max_reconnects=1)
    manager = MCPClientManager([config])
    scripted = ScriptedModel()
    with pytest.raises(MCPServerUnavailable) as info:
        await _agent(manager, scripted).run("x")
    assert info.value.server == "down" and url in str(info.value) and "after 2 attempts" in str(info.value)
    assert manager.status()["down"].state == "unavailable"

    missing = MCPServerConfig(name="nocmd", command="/nonexistent/mcp-server", max_reconnects=0)
    with pytest.raises(MCPServerUnavailable, match="'nocmd' \\(/nonexistent/mcp-server\\)"):
        await _agent(MCPClientManager([missing]), ScriptedModel()).run("x")


async def test_optional_server_down_run_proceeds_without_its_tools_and_says_so(shared_http, caplog):
    url = f"http://127.0.0.1:{free_port()}/mcp"
    down = MCPServerConfig(name="down", transport="streamable_http", url=url, optional=True, max_reconnects=0)
    up = MCPServerConfig(name="up", transport="streamable_http", url=shared_http.url, tool_prefix="up")
    manager = MCPClientManager([down, up])
    scripted = ScriptedModel().calls(("up_add", {"a": 20, "b": 22}))
    result = await _agent(manager, scripted).run("x")
    assert scripted.last().content == 42
    assert (
        all(not n.startswith("down") for n in scripted.seen_tools[0]) and "up_add" in scripted.seen_tools[0]
    )
    instructions = result.all_messages()[0].instructions
    assert "'down' is unavailable" in instructions and "not offered" in instructions
    assert "the run goes on without its tools" in caplog.text
    await manager.aclose()


async def test_slow_call_past_read_timeout_fails_and_the_connection_stays_usable(shared_http):
    config = MCPServerConfig(name="s", transport="streamable_http", url=shared_http.url, read_timeout=0.5)
    manager = MCPClientManager([config])
    scripted = ScriptedModel().calls(("slow", {"seconds": 3}), ("add", {"a": 1, "b": 2}))
    await _agent(manager, scripted).run("x")
    slow, added = scripted.results[-2:]
    assert slow.outcome == "failed" and "read_timeout=0.5s" in slow.content
    assert added.content == 3
    await manager.aclose()


async def test_connection_test_results(shared_http):
    url = f"http://127.0.0.1:{free_port()}/mcp"
    manager = MCPClientManager(
        [
            MCPServerConfig(name="up", transport="streamable_http", url=shared_http.url),
            MCPServerConfig(name="down", transport="streamable_http", url=url, timeout=2),
            MCPServerConfig(name="off", transport="streamable_http", url=url, disabled=True),
        ]
    )
    results = await manager.test_all_connections()
    assert set(results) == {"up", "down"}
    assert results["up"].success and results["up"].tool_count == 5 and results["up"].latency_ms > 0
    assert {t.name: t.description for t in results["up"].tools}["add"] == "Add two numbers."
    assert not results["down"].success and "connect" in results["down"].error.lower()
    missing = await manager.test_connection("nope")
    assert not missing.success and "no MCP server named 'nope'" in missing.error
    assert manager.test_connection_sync("up").success
    assert manager.status()["up"].state == "idle"  # a test does not touch the shared connection


async def test_stdio_server_connects_when_sys_stderr_is_not_a_file(monkeypatch):
    # Jupyter, IDEs and test runners replace sys.stderr with an object that has no file descriptor.
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    manager = MCPClientManager([stdio_config()])
    try:
        result = await manager.test_connection("t")
    finally:
        await manager.aclose()
    assert result.success, result.error


async def test_timeout_bounds_the_whole_connect_not_each_attempt():
    # A port that accepts connections and never answers: every attempt can only time out.
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    manager = MCPClientManager(
        [MCPServerConfig(name="mute", url=f"http://127.0.0.1:{port}/mcp", timeout=0.5, max_reconnects=10)]
    )
    try:
        with pytest.raises(MCPServerUnavailable) as info:
            await manager.as_toolsets()[0].__aenter__()
    finally:
        await manager.aclose()
        listener.close()
    # One budget (timeout plus a fixed grace for starting a process) for all attempts: it ran out before the
    # 11 that max_reconnects allows, and the error says which limit stopped it.
    made = re.search(r"after (\d+) attempts? within timeout=0.5s", str(info.value))
    assert made is not None, str(info.value)
    assert 1 <= int(made.group(1)) < 11
