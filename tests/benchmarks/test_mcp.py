"""MCP costs, each against the raw ``mcp`` SDK on the same stdio server in the same run.

* per call: the facade's route (``ServerToolset`` over pydantic-ai's ``MCPToolset``) vs
  ``ClientSession.call_tool`` (and vs a bare ``MCPToolset``, to show which layer costs what);
* a run's tool listing with caching on (the kept connection and pydantic-ai's tool cache) vs ``list_tools``;
* time to reconnect after the server process is killed (kill, then the next run's check and connect).
"""

from __future__ import annotations

import os
import signal
import statistics
import time
from typing import Any

import pytest
from mamba_agents.mcp import MCPClientManager
from pydantic_ai import RunContext
from pydantic_ai.models.test import TestModel
from pydantic_ai.usage import RunUsage

from tests.mcp.conftest import PY, SERVER, stdio_config

pytestmark = pytest.mark.slow

CALLS = 40


def _ctx() -> RunContext[Any]:
    return RunContext(deps=None, model=TestModel(), usage=RunUsage())


async def _median(fn, n: int = CALLS) -> float:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def test_mcp_call_and_listing_overhead_vs_raw_sdk(benchmark, report):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=PY, args=[SERVER])
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        raw_call = await _median(lambda: session.call_tool("add", {"a": 2, "b": 3}))
        raw_list = await _median(session.list_tools)

    manager = MCPClientManager([stdio_config()])
    (toolset,) = manager.as_toolsets()
    ctx = _ctx()
    try:
        await toolset.__aenter__()
        tools = await toolset.get_tools(ctx)
        add = tools["add"]
        ours_call = await _median(lambda: toolset.call_tool("add", {"a": 2, "b": 3}, ctx, add))
        ours_list = await _median(lambda: toolset.get_tools(ctx))
        inner = toolset._inner  # the bare pydantic-ai MCPToolset under ours
        inner_tool = (await inner.get_tools(ctx))["add"]
        bare_call = await _median(lambda: inner.call_tool("add", {"a": 2, "b": 3}, ctx, inner_tool))
    finally:
        await manager.aclose()

    report("raw ClientSession.call_tool ms", round(raw_call * 1000, 3))
    report("bare pydantic-ai MCPToolset.call_tool ms", round(bare_call * 1000, 3))
    report("mamba ServerToolset.call_tool ms", round(ours_call * 1000, 3))
    report("call ratio mamba/raw", round(ours_call / raw_call, 2))
    report("call ratio mamba/bare MCPToolset", round(ours_call / bare_call, 2))
    report("raw list_tools ms", round(raw_list * 1000, 3))
    report("mamba get_tools (cached) ms", round(ours_list * 1000, 3))
    report("listing ratio mamba cached/raw", round(ours_list / raw_list, 3))
    benchmark.pedantic(lambda: None, rounds=1)


async def test_mcp_reconnect_after_kill(benchmark, report):
    manager = MCPClientManager([stdio_config()])
    (toolset,) = manager.as_toolsets()
    ctx = _ctx()
    samples = []
    try:
        await toolset.__aenter__()
        for _ in range(3):
            tools = await toolset.get_tools(ctx)
            pid = int(str(await toolset.call_tool("pid", {}, ctx, tools["pid"])))
            os.kill(pid, signal.SIGKILL)
            started = time.perf_counter()
            await toolset.__aenter__()  # the next run's check finds it dead and connects again
            tools = await toolset.get_tools(ctx)
            await toolset.call_tool("add", {"a": 1, "b": 1}, ctx, tools["add"])
            samples.append(time.perf_counter() - started)
    finally:
        await manager.aclose()
    report(
        "reconnect after SIGKILL, to the first answered call, median s", round(statistics.median(samples), 3)
    )
    report("reconnects", manager.status()["t"].reconnects)
    benchmark.pedantic(lambda: None, rounds=1)
