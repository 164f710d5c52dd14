"""Reflection from the outside: the critic loop, acceptance, limits, a critic of the same or another model."""

from __future__ import annotations

import asyncio

import pytest
from mamba_agents import Agent
from mamba_agents.config import AgentSettings
from mamba_agents.prompts import PromptManager, TemplateConfig
from mamba_agents.workflows import (
    Critique,
    ReflectionConfig,
    ReflectionHooks,
    ReflectionState,
    ReflectionWorkflow,
    WorkflowState,
)
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from tests.workflows.helpers import RecordingHooks
from tests.workflows.script import Script

PRICES = {
    "writer": {"input_per_mtok": 1.0, "output_per_mtok": 2.0},
    "critic": {"input_per_mtok": 10.0, "output_per_mtok": 20.0},
}


def verdict(accepted: bool, score: float, feedback: str = "", issues: tuple[str, ...] = ()):
    def turn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        args = {"accepted": accepted, "score": score, "feedback": feedback, "issues": list(issues)}
        return ModelResponse(
            parts=[ToolCallPart(info.output_tools[0].name, args)],
            usage=RequestUsage(input_tokens=20, output_tokens=10),
        )

    return turn


def drafts(n: int = 10) -> Script:
    return Script(
        [
            ModelResponse(
                parts=[TextPart(f"draft {i}")], usage=RequestUsage(input_tokens=10, output_tokens=5)
            )
            for i in range(1, n + 1)
        ]
    )


def agents(writer: Script, critic: Script, settings: AgentSettings | None = None) -> tuple[Agent, Agent]:
    settings = settings or AgentSettings()
    return (
        Agent(writer.model("writer"), settings=settings),
        Agent(critic.model("critic"), settings=settings),
    )


def test_revises_until_the_critic_accepts() -> None:
    writer = drafts()
    critic = Script([verdict(False, 0.3, "Name the cause.", ("too vague",)), verdict(True, 0.9)])
    recorder = RecordingHooks()
    w, c = agents(writer, critic)
    workflow = ReflectionWorkflow(w, critic=c, hooks=recorder.hooks(ReflectionHooks))
    result = workflow.run_sync("Explain the outage")

    assert result.success and result.output == "draft 2"
    rounds = result.state.context.rounds
    assert [(r.number, r.draft, r.accepted) for r in rounds] == [(1, "draft 1", False), (2, "draft 2", True)]
    assert isinstance(rounds[0].critique, Critique) and rounds[0].critique.issues == ["too vague"]
    assert result.state.iteration_count == 2 and result.state.context.accepted
    # the revision is pydantic-ai's retry: the writer's second request carries the critic's feedback
    assert "Name the cause." in str(writer.requests[1][-1].parts) and "too vague" in str(
        writer.requests[1][-1].parts
    )
    assert critic.requests[0][-1].parts[0].content == "Task:\nExplain the outage\n\nDraft 1:\ndraft 1"
    assert [s.step_type for s in result.state.steps] == ["draft", "critique", "draft", "critique"]
    names = recorder.names()
    assert names[:7] == [
        "on_workflow_start",
        "on_step_start",
        "on_step_complete",
        "on_draft",
        "on_iteration_start",
        "on_step_start",
        "on_step_complete",
    ]
    assert names.count("on_critique") == 2 and names[-1] == "on_workflow_complete"
    critique_calls = [a for n, a in recorder.calls if n == "on_critique"]
    assert isinstance(critique_calls[0][0], WorkflowState) and isinstance(
        critique_calls[0][0].context, ReflectionState
    )
    assert critique_calls[1][1:] == (2, rounds[1].critique)
    # the writer keeps the accepted answer in its conversation
    assert w.get_messages()[-1].parts[0].content == "draft 2"


def test_max_iterations_ends_with_the_last_draft_and_says_so() -> None:
    writer, critic = drafts(), Script([verdict(False, 0.2, "no")], repeat_last=True)
    w, c = agents(writer, critic)
    result = ReflectionWorkflow(w, critic=c, config=ReflectionConfig(max_iterations=3)).run_sync("t")
    assert (result.success, result.termination_reason, result.limit) == (
        False,
        "max_iterations",
        "max_iterations",
    )
    assert result.output == "draft 3" and "accepted none of 3 drafts" in result.error
    assert writer.calls == 3 == critic.calls and len(result.state.context.rounds) == 3


def test_min_score_is_required_on_top_of_accepted() -> None:
    writer = drafts()
    critic = Script([verdict(True, 0.5, "ok-ish"), verdict(True, 0.85)])
    w, c = agents(writer, critic)
    result = ReflectionWorkflow(w, critic=c, config=ReflectionConfig(min_score=0.8)).run_sync("t")
    assert result.output == "draft 2" and [r.accepted for r in result.state.context.rounds] == [False, True]
    assert "at least 0.8" in critic.infos[0].instructions


def test_the_writers_own_model_critiques_when_no_critic_is_given() -> None:
    seen: list[str] = []

    def both(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if info.output_tools and info.output_tools[0].name == "final_result":
            seen.append("critic")
            return verdict(len(seen) > 2, 0.9)(messages, info)
        seen.append("writer")
        return ModelResponse(parts=[TextPart(f"draft {seen.count('writer')}")])

    agent = Agent(FunctionModel(both), settings=AgentSettings())
    result = ReflectionWorkflow(agent).run_sync("t")
    assert result.success and result.output == "draft 2"
    assert seen == ["writer", "critic", "writer", "critic"]


def test_critic_model_builds_the_critic() -> None:
    writer = drafts()
    workflow = ReflectionWorkflow(
        Agent(writer.model(), settings=AgentSettings()), config=ReflectionConfig(critic_model="test")
    )
    assert isinstance(workflow.critic, Agent) and workflow.critic.model_name == "test"


def test_critic_prompt_template() -> None:
    manager = PromptManager()
    manager.register("review/strict", "Be strict about {{ task }}.")
    writer, critic = drafts(), Script([verdict(True, 1.0)])
    w, c = agents(writer, critic)
    config = ReflectionConfig(critic_prompt_template=TemplateConfig(name="review/strict"))
    ReflectionWorkflow(w, critic=c, config=config, prompt_manager=manager).run_sync("the essay")
    assert "Be strict about the essay." in critic.infos[0].instructions
    with pytest.raises(ValueError, match="critic_prompt_template: no prompt template 'review/missing'"):
        ReflectionWorkflow(
            w, critic=c, config=ReflectionConfig(critic_prompt_template=TemplateConfig(name="review/missing"))
        )


def test_a_slow_critic_hits_the_step_timeout() -> None:
    async def slow(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await asyncio.sleep(5)
        return verdict(True, 1.0)(messages, info)

    writer = drafts()
    w = Agent(writer.model(), settings=AgentSettings())
    c = Agent(FunctionModel(slow), settings=AgentSettings())
    config = ReflectionConfig(step_timeout_seconds=0.2, timeout_seconds=None)
    result = ReflectionWorkflow(w, critic=c, config=config).run_sync("t")
    assert (result.termination_reason, result.limit) == ("step_timeout", "step_timeout_seconds")
    assert [s.step_type for s in result.state.steps] == ["draft", "critique"] and result.state.steps[1].error


def test_writer_and_critic_costs_add_up() -> None:
    writer, critic = drafts(), Script([verdict(False, 0.1, "more"), verdict(True, 1.0)])
    settings = AgentSettings(tokens={"prices": PRICES})
    w, c = agents(writer, critic, settings)
    result = ReflectionWorkflow(w, critic=c).run_sync("t")
    writer_cost = 2 * (10 * 1 + 5 * 2) / 1e6
    critic_cost = 2 * (20 * 10 + 10 * 20) / 1e6
    assert result.cost == pytest.approx(writer_cost + critic_cost) and result.cost.priced
    assert result.usage.requests == 4


def test_registered_by_name() -> None:
    from mamba_agents.plugins import get_plugin_manager

    assert get_plugin_manager().get("workflows", "reflection") is ReflectionWorkflow
