"""The embedded local model calling a real MCP tool through the facade (plumbing, request-limited)."""

from __future__ import annotations

from typing import Any

import pytest
from mamba_agents import Agent, AgentSettings
from mamba_agents.mcp import MCPClientManager
from pydantic_ai import UsageLimits
from pydantic_ai.messages import ModelRequest, ToolReturnPart

from tests.mcp.conftest import stdio_config

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("allow_model_requests")]


async def test_the_local_model_calls_a_tool_of_a_stdio_mcp_server(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    manager = MCPClientManager([stdio_config()])
    (server,) = manager.as_toolsets()
    # Only the argument-free tool: the 135M model's arguments are not what is under test here.
    only_pid = server.filtered(lambda ctx, tool: tool.name == "pid")
    agent = Agent(settings=AgentSettings(model_backend={"backend": "local"}), toolsets=[only_pid])
    try:
        result = await agent.run(
            "Call the pid tool and tell me the number.", usage_limits=UsageLimits(request_limit=3)
        )
    finally:
        await manager.aclose()
    returns: list[Any] = [
        p
        for m in result.all_messages()
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, ToolReturnPart)
    ]
    assert returns and returns[0].tool_name == "pid"
    assert int(returns[0].content) > 1  # the server process's pid, from the real server
    assert manager.status()["t"].connects == 1
