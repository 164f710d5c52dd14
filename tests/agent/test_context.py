"""Context management through the facade and standalone: compaction before every model request."""

from __future__ import annotations

import logging

import pytest
from mamba_agents import Agent, AgentConfig, CompactionConfig
from mamba_agents.context import ContextManager, SlidingWindowStrategy, invariant_violations
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai import ModelContextWindowExceededError, ModelHTTPError
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.agent.conftest import user_prompts

BIG = "word " * 400  # ~400 tokens


def _tool_loop_model(steps: int, seen: list[int], counter):
    def model(messages, info: AgentInfo):
        seen.append(counter.count_messages(messages))
        done = len(seen) - 1  # compaction removes old tool results, so count calls rather than results
        if done >= steps:
            return ModelResponse(parts=[TextPart(f"read {done} chunks")])
        return ModelResponse(parts=[ToolCallPart("read_chunk", {"n": done}, tool_call_id=f"c{done}")])

    return model


def test_long_tool_loop_is_compacted_inside_one_run(settings):
    from mamba_agents.tokens import TokenCounter

    counter = TokenCounter()
    seen: list[int] = []

    def read_chunk(n: int) -> str:
        """Return a large chunk."""
        return f"chunk {n}: {BIG}"

    config = AgentConfig(
        context=CompactionConfig(trigger_threshold_tokens=3000, target_tokens=1500, preserve_recent_turns=1)
    )
    agent = Agent(
        FunctionModel(_tool_loop_model(20, seen, counter)),
        settings=settings,
        config=config,
        tools=[read_chunk],
    )
    result = agent.run_sync("read the whole file")
    # without compaction the last request would hold 20 x ~400 tokens
    assert max(seen) < 3000 + 1000
    assert result.compactions and all(c.success for c in result.compactions)
    assert not invariant_violations(agent.get_messages(), allow_open_last=False)
    assert user_prompts(agent.get_messages()) == ["read the whole file"]
    assert agent.get_context_state().compaction_count == len(result.compactions)


def test_compaction_is_reported_by_listener_log_and_span(settings, caplog):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    from opentelemetry import trace

    trace.set_tracer_provider(provider)
    cm = ContextManager(
        CompactionConfig(trigger_threshold_tokens=200, target_tokens=100, preserve_recent_turns=1)
    )
    heard = []
    cm.listeners.append(heard.append)
    for i in range(10):
        cm.add_messages(
            [
                {"role": "user", "content": f"question {i} " + "x " * 50},
                {"role": "assistant", "content": "answer " * 50},
            ]
        )
    assert cm.should_compact()
    import asyncio

    with caplog.at_level(logging.INFO, logger="mamba_agents.context"):
        result = asyncio.run(cm.compact())
    assert result.success and result.tokens_after < result.tokens_before
    assert heard == [result]
    assert any("compacted with sliding_window" in r.getMessage() for r in caplog.records)
    spans = [s for s in exporter.get_finished_spans() if s.name == "mamba.compaction"]
    if spans:  # the global provider can be set only once per process
        attrs = spans[-1].attributes
        assert attrs["mamba.compaction.tokens_before"] == result.tokens_before
        assert attrs["mamba.compaction.tokens_after"] == result.tokens_after


async def test_readme_standalone_context_manager():
    config = CompactionConfig(
        strategy="sliding_window",
        trigger_threshold_tokens=100000,
        target_tokens=80000,
        preserve_recent_turns=5,
    )
    manager = ContextManager(config=config)
    manager.add_messages(
        [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi there!"}]
    )
    assert not manager.should_compact()
    assert [type(m).__name__ for m in manager.get_messages()] == ["ModelRequest", "ModelResponse"]
    result = await manager.compact()
    assert result.success and result.removed_count == 0
    assert manager.get_context_state().message_count == 2


async def test_facade_context_methods(recorder, settings):
    config = AgentConfig(
        context=CompactionConfig(trigger_threshold_tokens=120, target_tokens=60, preserve_recent_turns=1),
        auto_compact=False,
    )
    agent = Agent(recorder.model("gpt-4o"), settings=settings, config=config)
    for i in range(6):
        await agent.run(f"Hello, I'm working on a Python project, message {i} " + "pad " * 10)
    state = agent.get_context_state()
    assert state.message_count == 12 and state.token_count > 120
    assert agent.should_compact()
    result = await agent.compact()
    assert result.removed_count > 0 and result.tokens_after <= result.tokens_before
    assert user_prompts(agent.get_messages())[0].endswith("message 0 " + "pad " * 10)
    assert agent.get_token_count() > 0 and agent.get_token_count("Hello, world!") == 4
    agent.clear_context()
    assert agent.get_messages() == [] and agent.get_context_state().message_count == 0


def test_context_window_exceeded_compacts_and_retries(settings):
    calls = []

    def model(messages, info):
        calls.append(len(messages))
        if len(messages) > 3:
            raise ModelHTTPError.for_category(
                ModelContextWindowExceededError, status_code=400, model_name="small"
            )
        return ModelResponse(parts=[TextPart("ok")])

    config = AgentConfig(
        context=CompactionConfig(trigger_threshold_tokens=100_000, target_tokens=50, preserve_recent_turns=1)
    )
    agent = Agent(FunctionModel(model), settings=settings, config=config)
    for prompt in ("one " * 30, "two " * 30, "three " * 30):
        assert agent.run_sync(prompt).output == "ok"
    assert calls[-2] > 3 and calls[-1] <= 3


def test_ratio_trigger_uses_the_models_context_window(settings):
    settings.model_backend.context_window = 1000
    config = AgentConfig(context=CompactionConfig(trigger_threshold_ratio=0.5))
    agent = Agent(
        FunctionModel(lambda m, i: ModelResponse(parts=[TextPart("ok")])), settings=settings, config=config
    )
    state = agent.get_context_state()
    assert (state.trigger_threshold_tokens, state.target_tokens, state.context_window) == (500, 400, 1000)


def test_failed_strategy_never_costs_the_conversation(settings):
    from mamba_agents.context import CompactionStrategy

    class Exploding(CompactionStrategy):
        name = "exploding"

        async def compact(self, messages, context):
            raise RuntimeError("summarizer down")

    class Breaking(CompactionStrategy):
        name = "breaking"

        async def compact(self, messages, context):
            from mamba_agents.context import CompactionResult

            return CompactionResult(strategy=self.name, messages=list(messages)[-1:])

    import asyncio

    for strategy in (Exploding(), Breaking()):
        cm = ContextManager(CompactionConfig(trigger_threshold_tokens=10, target_tokens=5), strategy=strategy)
        cm.add_messages(
            [
                {"role": "user", "content": "first"},
                {"role": "assistant", "content": "a"},
                {"role": "user", "content": "second"},
                {"role": "assistant", "content": "b"},
                {"role": "user", "content": "third"},
                {"role": "assistant", "content": "c"},
            ]
        )
        before = cm.get_messages()
        result = asyncio.run(cm.compact())
        assert not result.success and result.error
        assert cm.get_messages() == before


@pytest.mark.parametrize("keep", [1, 2, 3])
async def test_sliding_window_keeps_first_message_recent_turns_and_tool_pairs(keep):
    cm = ContextManager(
        CompactionConfig(trigger_threshold_tokens=100, target_tokens=50, preserve_recent_turns=keep),
        strategy=SlidingWindowStrategy(),
    )
    for i in range(8):
        cm.add_messages(
            [
                {"role": "user", "content": f"turn {i}"},
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [{"id": f"c{i}", "function": {"name": "f", "arguments": '{"a": 1}'}}],
                },
                {"role": "tool", "tool_call_id": f"c{i}", "name": "f", "content": "data " * 30},
                {"role": "assistant", "content": f"done {i}"},
            ]
        )
    result = await cm.compact()
    messages = cm.get_messages()
    assert result.success and not invariant_violations(messages, allow_open_last=False)
    prompts = user_prompts(messages)
    assert prompts[0] == "turn 0" and prompts[-keep:] == [f"turn {i}" for i in range(8 - keep, 8)]
