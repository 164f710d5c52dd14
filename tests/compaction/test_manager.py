"""The strategies as users reach them: by name from config, through ContextManager, inside an agent run."""

from __future__ import annotations

import subprocess
import sys

import mamba_agents_compaction
import pytest
from mamba_agents.context import CompactionConfig, ContextManager, invariant_violations
from mamba_agents.plugins import get_plugin_manager
from pydantic_ai import Agent as RawAgent
from pydantic_ai.messages import CompactionPart, ModelMessage, ModelRequest, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.compaction.helpers import CharCounter, Summarizer, failing_model, prompts, summaries
from tests.compaction.transcripts import FIRST_REQUEST, coding_session

NAMES = ("summarize_older", "selective_pruning", "importance_scoring", "hybrid")


def test_registered_by_name_and_importable_from_the_seed_path():
    registry = get_plugin_manager().registry("compaction_strategies")
    assert set(NAMES) <= set(registry.names())
    from mamba_agents.context import (
        HybridStrategy,
        ImportanceScoringStrategy,
        SelectivePruningStrategy,
        SummarizeOlderStrategy,
    )

    classes = (SummarizeOlderStrategy, SelectivePruningStrategy, ImportanceScoringStrategy, HybridStrategy)
    for name, cls in zip(NAMES, classes, strict=True):
        assert registry.get(name) is cls and cls.name == name
        assert getattr(mamba_agents_compaction, cls.__name__) is cls
    assert sorted(mamba_agents_compaction.__all__) == sorted(c.__name__ for c in classes)


def test_the_entry_module_imports_no_strategy_module():
    code = (
        "import sys, mamba_agents_compaction.plugin\n"
        "print(sorted(m for m in sys.modules if m.startswith('mamba_agents_compaction')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['mamba_agents_compaction', 'mamba_agents_compaction.plugin']"


def manager(name: str, model=None, **options) -> ContextManager:
    config = CompactionConfig(
        strategy=name,
        trigger_threshold_tokens=20_000,
        target_tokens=12_000,
        preserve_recent_turns=2,
        strategy_options=options,
    )
    cm = ContextManager(config=config, token_counter=CharCounter(), model=model)
    cm.add_messages(coding_session(turns=20))
    return cm


@pytest.mark.parametrize("name", NAMES)
def test_context_manager_compacts_with_each_strategy(name):
    summarizer = Summarizer("## Task\nfix the reservation race\n## Facts and values\nport 6543")
    cm = manager(name, model=summarizer.model)
    before = cm.get_messages()
    assert cm.should_compact()
    result = await_(cm.compact())
    assert result.success, result.error
    assert result.strategy == name
    assert result.tokens_before > result.tokens_after and result.tokens_after <= 12_000
    assert result.messages_before == len(before) and result.messages_after == len(cm.get_messages())
    assert cm.get_messages() == result.messages
    assert not invariant_violations(cm.get_messages())
    assert prompts(cm.get_messages())[0] == FIRST_REQUEST
    assert prompts(cm.get_messages())[-2:] == prompts(before)[-2:]
    assert result.model_requests == summarizer.calls
    if name == "summarize_older":
        assert summarizer.calls >= 1 and result.summary and summaries(cm.get_messages()) == [result.summary]
    assert cm.get_context_state().compaction_count == 1


def test_summarization_model_from_config_wins_over_the_agent_model():
    summarizer = Summarizer("## Task\nvia config")

    def agent_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise AssertionError("the agent's own model must not summarize when summarization_model is set")

    config = CompactionConfig(
        strategy="summarize_older",
        trigger_threshold_tokens=20_000,
        target_tokens=12_000,
        summarization_model="summarizer",
    )
    cm = ContextManager(
        config=config,
        token_counter=CharCounter(),
        model=FunctionModel(agent_model),
        resolve_model=lambda name: summarizer.model,
    )
    cm.add_messages(coding_session(turns=12))
    result = await_(cm.compact())
    assert result.success and result.summary.startswith("## Task\nvia config") and summarizer.calls >= 1


def test_a_failed_summary_leaves_the_managed_history_alone():
    cm = manager("summarize_older", model=failing_model(RuntimeError("no route to host")))
    before = cm.get_messages()
    result = await_(cm.compact())
    assert not result.success and "no route to host" in result.error
    assert cm.get_messages() == before
    assert cm.get_context_state().compaction_count == 0


def test_options_from_config_reach_the_strategy():
    cm = manager("selective_pruning", keep_tool_pairs=7)
    assert cm.strategy.settings.keep_tool_pairs == 7
    with pytest.raises(ValueError, match="allowed options"):
        _ = manager("selective_pruning", keep=1).strategy


def test_summary_reaches_the_model_inside_an_agent_run():
    """The capability compacts before the model request; the agent's model sees a CompactionPart."""
    from mamba_agents.context import CompactionCapability

    summarizer = Summarizer("## Task\nfix the race\n## Facts and values\nstaging port 6543")
    seen: list[list[ModelMessage]] = []

    def agent_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(list(messages))
        return ModelResponse(parts=[TextPart("The staging port is 6543.")])

    config = CompactionConfig(
        strategy="summarize_older",
        trigger_threshold_tokens=20_000,
        target_tokens=12_000,
        preserve_recent_turns=1,
    )
    cm = ContextManager(config=config, token_counter=CharCounter(), model=summarizer.model)
    agent = RawAgent(FunctionModel(agent_model), capabilities=[CompactionCapability(manager=cm)])
    history = coding_session(turns=20)
    result = agent.run_sync("Which staging port did I mention?", message_history=history)

    assert summarizer.calls >= 1
    sent = seen[-1]
    parts = [p for m in sent for p in m.parts]
    assert any(isinstance(p, CompactionPart) and "6543" in p.content for p in parts)
    assert isinstance(sent[0], ModelRequest) and prompts(sent)[0] == FIRST_REQUEST
    assert prompts(sent)[-1] == "Which staging port did I mention?"
    assert not invariant_violations(result.all_messages())
    assert summaries(result.all_messages())  # the persistent history holds the summary too
    assert CharCounter().count_messages(sent) <= 12_000


def await_(coro):
    import asyncio

    return asyncio.run(coro)


@pytest.mark.parametrize("name", NAMES)
def test_one_long_tool_loop_is_compacted_inside_the_run(name):
    """The manager opens an oversize current turn; each strategy then works on its older tool exchanges."""
    from mamba_agents.context import CompactionCapability
    from pydantic_ai.messages import ToolCallPart

    counter = CharCounter()
    seen: list[int] = []

    def looping(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(counter.count_messages(messages))
        if len(seen) > 20:
            return ModelResponse(parts=[TextPart("read everything")])
        return ModelResponse(
            parts=[ToolCallPart("read_chunk", {"n": len(seen)}, tool_call_id=f"c{len(seen)}")]
        )

    def read_chunk(n: int) -> str:
        """Return one chunk of a large file."""
        return f"chunk {n}: " + "line " * 400

    summarizer = Summarizer(lambda prompt: f"## Task\nread chunks ({prompt.count('read_chunk')} calls seen)")
    config = CompactionConfig(
        strategy=name, trigger_threshold_tokens=3_000, target_tokens=1_500, preserve_recent_turns=1
    )
    cm = ContextManager(config=config, token_counter=counter, model=summarizer.model)
    heard: list = []
    cm.listeners.append(heard.append)
    agent = RawAgent(
        FunctionModel(looping), tools=[read_chunk], capabilities=[CompactionCapability(manager=cm)]
    )
    result = agent.run_sync("read the whole file")

    assert result.output == "read everything"
    assert heard and all(r.success for r in heard), [r.error for r in heard]
    assert max(seen) < 3_000  # 20 results of ~500 tokens would be ~10,000 without compaction
    messages = result.all_messages()
    assert not invariant_violations(messages, allow_open_last=False)
    assert prompts(messages) == ["read the whole file"]
    if name == "summarize_older":
        assert len(summaries(messages)) == 1 and summarizer.calls == len(heard)
    if name == "hybrid":  # pruning (which now clears old results down to the preserved turn) may be enough
        assert len(summaries(messages)) <= 1 and summarizer.calls <= len(heard)
        # each compaction extended the summary instead of starting over
        assert all("<summary>" in p for p in summarizer.prompts[1:])
