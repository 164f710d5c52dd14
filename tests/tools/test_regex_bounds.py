"""Holes 6 and 8 (issue 10): a catastrophic regex cannot stall the process, and an invalid one is a failure
the model reads, on every documented route (not a ModelRetry whose budget two bad patterns exhaust)."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import Any

import pytest
from mamba_agents.config import AgentSettings, ToolsConfig
from mamba_agents.tools import build_toolset, glob_search, grep_search
from mamba_agents.tools.filesystem import FilesystemSecurity
from mamba_agents_tools.errors import InvalidArgumentError
from pydantic_ai import Agent, Tool
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

CATASTROPHIC = r"(a|aa)+$"  # exponential even for the regex module's optimiser
HOSTILE_LINE = "a" * 64 + "b"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text("needle here\n" + (HOSTILE_LINE + "\n") * 3)
    (tmp_path / "b.txt").write_text("needle there\n")
    return tmp_path


def test_a_catastrophic_pattern_stops_at_the_deadline(hostile: Path) -> None:
    sec = FilesystemSecurity(base_directory=hostile)
    found = grep_search(CATASTROPHIC, timeout=0.3, security=sec)
    assert found.timed_out
    found = grep_search("needle", timeout=5, security=sec)
    assert not found.timed_out and len(found) == 2


def test_the_event_loop_keeps_running_while_grep_works(hostile: Path) -> None:
    # pydantic-ai runs sync tools in a thread; with `re` the match held the GIL and froze the loop.
    toolset = build_toolset(["grep_search"], ToolsConfig(base_directory=hostile, search_timeout=1.0))
    ticks = 0

    async def main() -> dict[str, Any]:
        nonlocal ticks

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        calls = [("grep_search", {"pattern": CATASTROPHIC})]
        seen: list[Any] = []
        result = await Agent(_model(calls, seen), toolsets=[toolset]).run("go")
        ticker.cancel()
        assert result.output == "done"
        return next(p for p in seen if isinstance(p, ToolReturnPart)).content

    content = asyncio.run(main())
    assert content["timed_out"] is True and "tools.search_timeout" in content["note"]
    assert ticks > 20  # about 100 in the second the search took, if the loop was never blocked


def _model(calls: list[tuple[str, dict[str, Any]]], seen: list[Any]) -> FunctionModel:
    pending = list(calls)

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.extend(messages[-1].parts)
        if not pending:
            return ModelResponse(parts=[TextPart("done")])
        name, args = pending.pop(0)
        return ModelResponse(parts=[ToolCallPart(name, args, tool_call_id=f"c{len(pending)}")])

    return FunctionModel(respond)


BAD = [("grep_search", {"pattern": "(unclosed"}), ("grep_search", {"pattern": "[z-a]"})]
BAD += [("grep_search", {"pattern": "*oops"}), ("grep_search", {"pattern": "needle", "max_results": 0})]


def _routes(root: Path) -> dict[str, dict[str, Any]]:
    return {
        "plain Agent + build_toolset": {
            "toolsets": [build_toolset(["search"], ToolsConfig(base_directory=root))]
        },
        "plain Agent + Tool(grep_search)": {"tools": [Tool(grep_search)]},
        "plain Agent + tools=[grep_search]": {"tools": [grep_search]},
    }


@pytest.mark.parametrize(
    "route",
    ["plain Agent + build_toolset", "plain Agent + Tool(grep_search)", "plain Agent + tools=[grep_search]"],
)
def test_invalid_patterns_are_failures_the_model_reads(
    route: str, hostile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(hostile)
    seen: list[Any] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        agent = Agent(_model([*BAD, ("grep_search", {"pattern": "needle"})], seen), **_routes(hostile)[route])
    result = agent.run_sync("search")  # default retries=1: four retries would end the run
    assert result.output == "done"
    returns = [p for p in seen if isinstance(p, ToolReturnPart)]
    assert [p.outcome for p in returns] == ["failed"] * len(BAD) + ["success"]
    assert "invalid regular expression" in str(returns[0].content)
    assert "regex=false" in str(returns[0].content)


def test_the_mamba_agent_route_too(hostile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mamba_agents.agent import Agent as MambaAgent

    monkeypatch.chdir(hostile)
    seen: list[Any] = []
    settings = AgentSettings(tools={"enabled": ["grep_search"]})
    MambaAgent(_model(BAD, seen), settings=settings).run_sync("search")
    assert [p.outcome for p in seen if isinstance(p, ToolReturnPart)] == ["failed"] * len(BAD)


def test_invalid_argument_is_still_a_value_error_for_python_callers(hostile: Path) -> None:
    with pytest.raises(ValueError, match="invalid regular expression"):
        grep_search("(", security=FilesystemSecurity(base_directory=hostile))
    assert issubclass(InvalidArgumentError, ValueError)


@pytest.mark.parametrize("route", ["plain Agent + Tool(grep_search)", "plain Agent + tools=[grep_search]"])
def test_a_model_cannot_ask_a_plain_route_for_an_unbounded_result(
    route: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mamba_agents_tools.search import MAX_CONTEXT_LINES, MAX_RESULTS

    (tmp_path / "big.txt").write_text("hit\n" * (MAX_RESULTS + 500))
    for i in range(3):
        (tmp_path / f"f{i}.txt").touch()
    monkeypatch.chdir(tmp_path)
    huge = 10**9
    calls = [("grep_search", {"pattern": "hit", "max_results": huge, "context_lines": huge})]
    seen: list[Any] = []
    routes = _routes(tmp_path)
    routes[route]["tools"].append(Tool(glob_search) if "Tool(" in route else glob_search)
    calls.append(("glob_search", {"pattern": "*.txt", "max_results": huge}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pydantic-ai: no return schema for ResultList
        agent = Agent(_model(calls, seen), **routes[route])
    agent.run_sync("search")
    grep, glob = (p.content for p in seen if isinstance(p, ToolReturnPart))
    assert len(grep) == MAX_RESULTS
    assert all(len(m.context_after) <= MAX_CONTEXT_LINES for m in grep)
    assert max(len(m.context_before) for m in grep) == MAX_CONTEXT_LINES
    assert len(glob) == 4
