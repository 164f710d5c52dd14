"""End to end with the embedded local model (SmolLM2-135M, in-process): it calls the sandboxed tools.

The assertions are about plumbing (a call happens, its arguments validate against the tool's schema, the
result or the refusal reaches the next request, nothing outside the sandbox is read), never about what a
135M model says. The first step forces a read_file call so the test does not depend on the model's mood.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pydantic_ai.models
import pytest
from mamba_agents.config import ToolsConfig
from mamba_agents.tools import build_toolset
from pydantic_ai import Agent, UsageLimits
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.messages import ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart

from tests.tools.conftest import SECRET, Layout

local = pytest.importorskip("mamba_agents_local")
pytestmark = pytest.mark.slow


@dataclass
class FirstStepCalls(AbstractCapability[Any]):
    """Force a call to ``tool`` on the first model request only, then let the model answer."""

    tool: str

    def get_model_settings(self) -> Any:
        return lambda ctx: {"tool_choice": [self.tool]} if ctx.run_step <= 1 else {}


def test_local_model_reads_through_the_sandbox(layout: Layout, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    toolset = build_toolset(["read_file"], ToolsConfig(base_directory=layout.root))
    agent = Agent(
        local.create_local_backend(),
        toolsets=[toolset],
        instructions="You can read files in the working directory with read_file.",
        capabilities=[FirstStepCalls("read_file")],
    )
    result = agent.run_sync(
        "Read the file file1.txt and tell me what it says.",
        usage_limits=UsageLimits(request_limit=3),
        model_settings={"max_tokens": 32},
    )
    messages = result.all_messages()
    calls = [
        p for m in messages if isinstance(m, ModelResponse) for p in m.parts if isinstance(p, ToolCallPart)
    ]
    returns = {
        p.tool_call_id: p
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, ToolReturnPart)
    }
    assert calls and calls[0].tool_name == "read_file"
    for call in calls:
        back = returns[call.tool_call_id]
        assert back.outcome in ("success", "failed", "retried")
        if back.outcome == "success" and call.tool_name == "read_file":
            path = call.args_as_dict()["path"]
            assert back.content == (layout.root / path).read_text()
    assert SECRET not in str(messages)
    assert isinstance(result.output, str)
