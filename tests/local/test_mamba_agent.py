"""The mamba ``Agent`` on the embedded model: chosen by configuration, or because nothing is configured."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from mamba_agents import Agent, AgentSettings
from mamba_agents_local import LocalBackend
from pydantic_ai import UsageLimits
from pydantic_ai.messages import ModelRequest, ToolReturnPart

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("allow_model_requests", "isolated")]

NOW = "2026-11-21 08:15:02 UTC"


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No config files or MAMBA_ variables from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)


def get_current_time() -> str:
    """Get the current date and time."""
    return NOW


def spy(backend: LocalBackend) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    handle = backend.transport.handle_async_request

    async def record(request):
        if request.url.path.endswith("/chat/completions"):
            bodies.append(json.loads(await request.aread()))
        return await handle(request)

    backend.transport.handle_async_request = record  # type: ignore[method-assign]
    return bodies


def test_agent_with_the_local_backend_calls_a_tool_and_sends_its_result_back():
    agent = Agent(settings=AgentSettings(model_backend={"backend": "local"}), tools=[get_current_time])
    assert isinstance(agent.model, LocalBackend)
    bodies = spy(agent.model)
    result = agent.run_sync("What time is it?", usage_limits=UsageLimits(request_limit=3))
    returns = [p for m in result.all_messages() if isinstance(m, ModelRequest) for p in m.parts
               if isinstance(p, ToolReturnPart)]  # fmt: skip
    assert [r.content for r in returns] == [NOW]
    assert len(bodies) == 2
    assert any(m["role"] == "tool" and m["content"] == NOW for m in bodies[1]["messages"])
    assert isinstance(result.output, str)
    assert agent.get_usage().total_tokens > 0  # usage from the local model reaches the facade's tracking


def test_local_settings_reach_the_model():
    settings = AgentSettings(model_backend={"backend": "local", "n_ctx": 2048, "temperature": 0.0})
    agent = Agent(settings=settings)
    assert isinstance(agent.model, LocalBackend)
    assert agent.model.context_window == 2048
    assert agent.model.settings["temperature"] == 0.0


def test_nothing_configured_means_the_embedded_model():
    agent = Agent()
    assert isinstance(agent.model, LocalBackend)
    result = agent.run_sync("Say hi.", model_settings={"max_tokens": 8})
    assert isinstance(result.output, str)
