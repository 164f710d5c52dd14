"""``Agent.aclose()`` / ``close()`` / ``async with``: a stdio MCP server's process is gone after the close.

The servers come from ``[mcp]`` in the settings (the connections the Agent itself opened) and from an
``MCPClientManager`` the caller passes in; the process id is what the server reports through a tool call.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from mamba_agents import Agent, AgentConfig, AgentSettings
from mamba_agents.errors import RunCancelledError
from mamba_agents.mcp import MCPClientManager

from tests.mcp.conftest import PY, SERVER, ScriptedModel, alive, stdio_config

pytestmark = pytest.mark.slow

GONE_WITHIN = 15.0  # bound on a process being reaped after its stdin closed, on a loaded machine


def gone(pid: int) -> bool:
    deadline = time.monotonic() + GONE_WITHIN
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def settings_with_server(tmp_path: Path) -> AgentSettings:
    return AgentSettings(mcp={"servers": {"t": {"command": PY, "args": [SERVER], "tool_prefix": "t"}}})


async def server_pid(agent: Agent[Any, Any], scripted: ScriptedModel) -> int:
    scripted.calls(("t_pid", {}))
    await agent.run("pid?")
    part = scripted.last()
    assert part.outcome == "success", part
    return int(part.content)


async def test_aclose_stops_the_configured_stdio_server_and_is_idempotent(tmp_path: Path) -> None:
    scripted = ScriptedModel()
    agent = Agent(scripted.model, settings=settings_with_server(tmp_path))
    pid = await server_pid(agent, scripted)
    assert await server_pid(agent, scripted) == pid and alive(pid)  # kept open across runs
    await agent.aclose()
    assert gone(pid)
    await agent.aclose()  # twice is fine
    # A later run connects again, to a new process, which the next close stops too.
    again = await server_pid(agent, scripted)
    assert again != pid
    await agent.aclose()
    assert gone(again)


async def test_async_with_closes_on_the_last_exit_only(tmp_path: Path) -> None:
    scripted = ScriptedModel()
    manager = MCPClientManager([stdio_config(tool_prefix="t")])
    async with Agent(scripted.model, toolsets=manager.as_toolsets()) as agent:
        async with agent:
            pid = await server_pid(agent, scripted)
        assert alive(pid)  # the inner block's exit leaves the outer block's connections open
        assert await server_pid(agent, scripted) == pid
    assert gone(pid)


def test_close_from_sync_code_after_run_sync(tmp_path: Path) -> None:
    scripted = ScriptedModel()
    agent = Agent(scripted.model, settings=settings_with_server(tmp_path))
    scripted.calls(("t_pid", {}))
    agent.run_sync("pid?")
    pid = int(scripted.last().content)
    agent.close()
    assert gone(pid)
    agent.close()


async def test_close_cancels_a_run_in_progress_first(tmp_path: Path) -> None:
    scripted = ScriptedModel()
    agent = Agent(scripted.model, settings=settings_with_server(tmp_path))
    pid = await server_pid(agent, scripted)
    scripted.calls(("t_slow", {"seconds": 30}))
    run = asyncio.create_task(agent.run("slow"))
    while not agent._run_lock.locked():
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)  # the slow call is in flight
    await agent.aclose()
    with pytest.raises(RunCancelledError, match=r"agent\.cancel\(\)"):
        await run
    assert gone(pid)


async def test_tool_timeout_bounds_an_mcp_tool_and_the_server_stays_usable(tmp_path: Path) -> None:
    scripted = ScriptedModel()
    agent = Agent(
        scripted.model, settings=settings_with_server(tmp_path), config=AgentConfig(tool_timeout=1.0)
    )
    pid = await server_pid(agent, scripted)
    scripted.calls(("t_slow", {"seconds": 20}))
    await agent.run("slow")
    failure = scripted.last()
    assert failure.outcome == "failed" and "AgentConfig.tool_timeout" in str(failure.content)
    # The call was abandoned, not the connection: the next call is answered by the same server.
    scripted.calls(("t_add", {"a": 2, "b": 3}))
    await agent.run("add")
    assert scripted.last().outcome == "success" and "5" in str(scripted.last().content)
    assert await server_pid(agent, scripted) == pid
    await agent.aclose()
    assert gone(pid)
