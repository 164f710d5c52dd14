"""ReAct from the outside: the seed examples, every ReActConfig field, every hook, limits and timeouts."""

from __future__ import annotations

import asyncio

import pytest
from mamba_agents import Agent, AgentConfig, CompactionConfig, WorkflowConfig
from mamba_agents.config import AgentSettings
from mamba_agents.prompts import PromptManager, TemplateConfig
from mamba_agents.workflows import ReActConfig, ReActHooks, ReActState, ReActWorkflow, WorkflowState
from pydantic import ValidationError
from pydantic_ai import ModelRetry

from tests.workflows.helpers import RecordingHooks
from tests.workflows.script import Script, call, finish, say

PRICED = AgentSettings(tokens={"prices": {"scripted": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}})


def adder(script: Script, settings: AgentSettings | None = None, **kwargs) -> Agent:
    agent = Agent(script.model(), settings=settings or AgentSettings(), **kwargs)

    @agent.tool_plain
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    return agent


def test_seed_react_example(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "utils.py").write_text("def ratio(a, b):\n    return a / b\n")
    from mamba_agents.tools import grep_search, read_file, run_bash

    script = Script(
        [
            call("read_file", "Thought: I should read the file first.", path="src/utils.py"),
            finish("ratio() divides by b without checking for zero.", "Thought: b can be 0."),
        ]
    )
    settings = PRICED
    agent = Agent(script.model(), settings=settings, tools=[read_file, run_bash, grep_search])
    workflow = ReActWorkflow(
        agent=agent,
        config=ReActConfig(
            max_iterations=15,
            expose_reasoning=True,
        ),
    )
    result = workflow.run_sync("Find and explain the bug in src/utils.py")

    assert result.success is True
    assert result.output == "ratio() divides by b without checking for zero."
    assert result.state.iteration_count == 2
    entries = [(e.entry_type, e.content) for e in result.state.context.scratchpad]
    assert entries[0] == ("thought", "I should read the file first.")
    assert entries[1] == ("action", "read_file(path='src/utils.py')")
    assert entries[2][0] == "observation" and "return a / b" in entries[2][1]
    assert entries[3:] == [
        ("thought", "b can be 0."),
        ("final_answer", "ratio() divides by b without checking for zero."),
    ]
    trace = workflow.get_reasoning_trace()
    assert trace.splitlines()[0] == "Thought: I should read the file first."
    assert "Action: read_file(path='src/utils.py')" in trace and "Observation: " in trace
    assert trace.endswith("Final Answer: ratio() divides by b without checking for zero.")
    assert f"Cost: ${workflow.get_cost():.4f}" == "Cost: $0.0000" and workflow.get_cost() > 0
    assert workflow.get_cost() == pytest.approx(2 * (10 + 10) / 1e6)


def test_seed_workflow_integration_templates() -> None:
    script = Script([say("Thought: hmm"), finish("42")])
    agent = adder(script)
    config = ReActConfig(
        system_prompt_template=TemplateConfig(name="workflow/react_system"),
        iteration_prompt_template=TemplateConfig(name="workflow/react_iteration"),
    )
    result = ReActWorkflow(agent, config=config).run_sync("q")
    assert result.output == "42"
    assert "final_answer" in script.infos[0].instructions
    assert "Turn 2 of 10." in script.last_user_text(1)


def test_seed_config_and_hooks_construct_as_written() -> None:
    react_config = ReActConfig(
        max_iterations=15,
        expose_reasoning=True,
        reasoning_prefix="Thought: ",
        action_prefix="Action: ",
        observation_prefix="Observation: ",
        final_answer_tool_name="final_answer",
        auto_compact_in_workflow=True,
        compact_threshold_ratio=0.8,
        max_consecutive_thoughts=3,
        tool_retry_count=2,
    )
    printed: list[str] = []
    react_hooks = ReActHooks(
        on_thought=lambda state, thought: printed.append(f"Thought: {thought}"),
        on_action=lambda state, tool, args: printed.append(f"Action: {tool}({args})"),
        on_observation=lambda state, obs, err: printed.append(f"Observation: {obs}"),
        on_compaction=lambda result: printed.append(f"Compacted: removed {result.removed_count}"),
    )
    script = Script([call("add", "Thought: add", a=2, b=3), finish("5")])
    workflow = ReActWorkflow(adder(script), config=react_config, hooks=react_hooks)
    assert workflow.run_sync("2+3?").output == "5"
    assert printed == ["Thought: add", "Action: add({'a': 2, 'b': 3})", "Observation: 5"]


def test_expose_reasoning_false_keeps_thoughts_out_of_the_scratchpad() -> None:
    thoughts: list[str] = []
    script = Script([call("add", "Thought: adding", a=1, b=1), finish("2", "Thought: done")])
    workflow = ReActWorkflow(
        adder(script),
        config=ReActConfig(expose_reasoning=False),
        hooks=ReActHooks(on_thought=lambda s, t: thoughts.append(t)),
    )
    result = workflow.run_sync("1+1")
    assert [e.entry_type for e in result.state.context.scratchpad] == [
        "action",
        "observation",
        "final_answer",
    ]
    assert thoughts == ["adding", "done"]  # the hook still sees them
    assert "reasoning" not in script.infos[0].instructions.split("\n")[1]
    shown = ReActWorkflow(adder(Script([finish("x")])), config=ReActConfig(expose_reasoning=True))
    shown.run_sync("q")
    assert 'starts with "Thought: "' in shown.agent.model.function.infos[0].instructions


def test_prefixes_shape_the_prompt_and_the_trace() -> None:
    script = Script([call("add", "Because: one and one", a=1, b=1), finish("2")])
    config = ReActConfig(reasoning_prefix="Because: ", action_prefix="Do: ", observation_prefix="Saw: ")
    workflow = ReActWorkflow(adder(script), config=config)
    workflow.run_sync("1+1")
    assert workflow.get_reasoning_trace().splitlines() == [
        "Because: one and one",
        "Do: add(a=1, b=1)",
        "Saw: 2",
        "Final Answer: 2",
    ]
    assert 'starts with "Because: "' in script.infos[0].instructions


def test_final_answer_tool_is_a_real_tool_added_per_run_only() -> None:
    script = Script([say("just text"), finish("done", tool="submit")])
    agent = adder(script)
    workflow = ReActWorkflow(agent, config=ReActConfig(final_answer_tool_name="submit"))
    result = workflow.run_sync("q")
    assert result.output == "done" and result.state.iteration_count == 2  # text alone did not end it
    assert [t.name for t in script.infos[0].output_tools] == ["submit"]
    assert [t.name for t in script.infos[0].function_tools] == ["add"]
    assert not script.infos[0].allow_text_output
    assert "`submit`" in script.infos[0].instructions
    # the agent is unchanged: a second workflow on it, and a plain run, still work
    second = Script([finish("again")])
    with agent.override(model=second.model()):
        assert ReActWorkflow(agent).run_sync("q").output == "again"
    plain = Script([say("plain text answer")])
    with agent.override(model=plain.model()):
        assert agent.run_sync("hi").output == "plain text answer"
    assert [t.name for t in plain.infos[0].output_tools] == []


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_max_consecutive_thoughts_forces_a_tool_call(limit: int) -> None:
    script = Script([say(f"Thought: {i}") for i in range(limit)] + [call("add", a=1, b=2), finish("3")])
    result = ReActWorkflow(adder(script), config=ReActConfig(max_consecutive_thoughts=limit)).run_sync("q")
    assert result.success
    settings = [info.model_settings or {} for info in script.infos]
    forced = [i for i, s in enumerate(settings) if "tool_choice" in s]
    assert forced == [limit]  # the request after `limit` thought-only turns, and only that one
    assert settings[limit]["tool_choice"] == ["add", "final_answer"]
    assert result.state.context.forced_actions == 1


def test_tool_retry_count_bounds_a_failing_tool() -> None:
    attempts: list[int] = []
    script = Script([call("flaky", x=1)], repeat_last=True)
    agent = Agent(script.model(), settings=AgentSettings())

    @agent.tool_plain
    def flaky(x: int) -> str:
        attempts.append(x)
        raise ModelRetry("try again")

    result = ReActWorkflow(agent, config=ReActConfig(tool_retry_count=1, max_iterations=10)).run_sync("q")
    assert not result.success and result.termination_reason == "error"
    assert len(attempts) == 2  # the call and one retry
    observations = result.state.context.get_observations()
    assert observations and all(o.metadata["is_error"] for o in observations)


def test_a_final_answer_that_fails_validation_is_retried_and_observed() -> None:
    observed: list[tuple[str, bool]] = []
    script = Script([call("final_answer", wrong="x"), finish("ok")])
    workflow = ReActWorkflow(
        adder(script), hooks=ReActHooks(on_observation=lambda s, o, e: observed.append((o, e)))
    )
    result = workflow.run_sync("q")
    assert result.output == "ok"
    assert len(observed) == 1 and observed[0][1] is True and "answer" in observed[0][0]


def _long_tool_agent(script: Script, **config) -> Agent:
    compaction = CompactionConfig(
        strategy="sliding_window",
        trigger_threshold_tokens=2_000,
        target_tokens=1_500,
        preserve_recent_turns=1,
    )
    agent = Agent(script.model(), settings=AgentSettings(), config=AgentConfig(context=compaction, **config))

    @agent.tool_plain
    def fetch(page: int) -> str:
        return f"page {page}: " + "lorem ipsum dolor sit amet " * 60

    return agent


def test_auto_compact_in_workflow_compacts_at_the_ratio() -> None:
    script = Script([call("fetch", page=i) for i in range(8)] + [finish("read")])
    compactions = []
    workflow = ReActWorkflow(
        _long_tool_agent(script),
        config=ReActConfig(compact_threshold_ratio=0.5, max_iterations=20),
        hooks=ReActHooks(on_compaction=compactions.append),
    )
    result = workflow.run_sync("read all pages")
    assert result.success and result.state.context.compaction_count >= 1
    assert compactions and all(c.success and c.removed_count > 0 for c in compactions)
    assert compactions[0].tokens_before >= 1_000  # 0.5 x the 2,000-token trigger
    counter = workflow.agent.token_counter
    assert max(counter.count_messages(r) for r in script.requests) < 2_000


def test_auto_compact_off_leaves_it_to_the_agent() -> None:
    script = Script([call("fetch", page=i) for i in range(8)] + [finish("read")])
    compactions = []
    workflow = ReActWorkflow(
        _long_tool_agent(script),
        config=ReActConfig(auto_compact_in_workflow=False, compact_threshold_ratio=0.5, max_iterations=20),
        hooks=ReActHooks(on_compaction=compactions.append),
    )
    assert workflow.run_sync("read all pages").success
    assert compactions == [] and workflow.last_state.context.compaction_count == 0


def test_system_prompt_template_replaces_the_instructions() -> None:
    manager = PromptManager()
    manager.register("react/custom", "Answer with {{ final_answer_tool_name }} at once. Task: {{ task }}")
    script = Script([finish("x")])
    config = ReActConfig(system_prompt_template=TemplateConfig(name="react/custom"))
    ReActWorkflow(adder(script), config=config, prompt_manager=manager).run_sync("do it")
    assert "Answer with final_answer at once. Task: do it" in script.infos[0].instructions
    assert "loop of reasoning" not in script.infos[0].instructions


def test_a_missing_template_fails_when_the_workflow_is_built() -> None:
    config = ReActConfig(iteration_prompt_template=TemplateConfig(name="react/nowhere"))
    with pytest.raises(ValueError, match=r"iteration_prompt_template: no prompt template 'react/nowhere'"):
        ReActWorkflow(adder(Script([])), config=config)


def test_iteration_prompt_is_sent_not_stored() -> None:
    manager = PromptManager()
    manager.register("react/iter", "[{{ iteration }}/{{ max_iterations }} forced={{ force_action }}]")
    script = Script([say("Thought: a"), say("Thought: b"), finish("x")])
    agent = adder(script)
    config = ReActConfig(
        iteration_prompt_template=TemplateConfig(name="react/iter"),
        max_consecutive_thoughts=2,
        max_iterations=5,
    )
    ReActWorkflow(agent, config=config, prompt_manager=manager).run_sync("q")
    assert "[1/" not in script.last_user_text(0)
    assert "[2/5 forced=False]" in script.last_user_text(1)
    assert "[3/5 forced=True]" in script.last_user_text(2)
    stored = " ".join(str(getattr(p, "content", "")) for m in agent.get_messages() for p in m.parts)
    assert "forced=" not in stored


def test_max_iterations_stops_a_model_that_never_answers() -> None:
    script = Script([call("add", a=1, b=1)], repeat_last=True)
    result = ReActWorkflow(adder(script), config=ReActConfig(max_iterations=4)).run_sync("q")
    assert (result.success, result.termination_reason, result.limit) == (
        False,
        "max_iterations",
        "max_iterations",
    )
    assert script.calls == 4 and result.total_steps == 4
    assert result.state.context.termination_reason == "max_iterations"
    assert len(result.state.context.get_actions()) == 4


def test_max_steps_bounds_react_too() -> None:
    script = Script([call("add", a=1, b=1)], repeat_last=True)
    config = ReActConfig(max_iterations=10, max_steps=3)
    result = ReActWorkflow(adder(script), config=config).run_sync("q")
    assert result.termination_reason == "max_steps" and script.calls == 3


def test_step_timeout_cancels_a_slow_react_iteration() -> None:
    script = Script([call("slow")], repeat_last=True)
    agent = Agent(script.model(), settings=AgentSettings())
    done: list[bool] = []

    @agent.tool_plain
    async def slow() -> str:
        await asyncio.sleep(5)
        done.append(True)
        return "late"

    config = ReActConfig(step_timeout_seconds=0.2, timeout_seconds=None)
    result = ReActWorkflow(agent, config=config).run_sync("q")
    assert (result.termination_reason, result.limit) == ("step_timeout", "step_timeout_seconds")
    assert done == [] and result.state.steps[0].step_type == "react_iteration"


def test_every_hook_fires_in_order() -> None:
    recorder = RecordingHooks()
    script = Script([call("add", "Thought: add", a=1, b=2), finish("3", "Thought: got it")])
    workflow = ReActWorkflow(adder(script), hooks=recorder.hooks(ReActHooks))
    result = workflow.run_sync("q")
    assert result.success
    assert recorder.names() == [
        "on_workflow_start",
        "on_iteration_start",
        "on_step_start",
        "on_thought",
        "on_action",
        "on_observation",
        "on_step_complete",
        "on_iteration_complete",
        "on_iteration_start",
        "on_step_start",
        "on_thought",
        "on_step_complete",
        "on_iteration_complete",
        "on_workflow_complete",
    ]
    calls = dict((n, a) for n, a in recorder.calls)
    assert isinstance(calls["on_thought"][0], WorkflowState) and isinstance(
        calls["on_thought"][0].context, ReActState
    )
    assert calls["on_action"][1:] == ("add", {"a": 1, "b": 2})
    assert calls["on_observation"][1:] == ("3", False)


def test_steps_carry_usage_and_cost() -> None:
    script = Script([call("add", a=1, b=2), finish("3")])
    result = ReActWorkflow(adder(script, PRICED)).run_sync("q")
    assert [s.usage.requests for s in result.state.steps] == [1, 1]
    assert result.usage.requests == 2 and result.usage.input_tokens == 20
    assert result.cost == pytest.approx(2 * 20 / 1e6) and result.cost.priced


def test_react_config_is_checked() -> None:
    with pytest.raises(ValidationError, match="compact_threshold_ratio"):
        ReActConfig(compact_threshold_ratio=0)
    with pytest.raises(ValidationError, match="final_answer_tool_name"):
        ReActConfig(final_answer_tool_name="no spaces allowed")
    with pytest.raises(ValidationError, match="reasoning_prefix"):
        ReActConfig(reasoning_prefix="two\nlines")
    assert isinstance(ReActConfig(), WorkflowConfig)


def test_registered_by_name() -> None:
    from mamba_agents.plugins import get_plugin_manager

    assert get_plugin_manager().get("workflows", "react") is ReActWorkflow
