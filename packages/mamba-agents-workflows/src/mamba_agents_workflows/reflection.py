"""``ReflectionWorkflow``: a writer drafts, a critic returns a structured ``Critique``, the writer revises.

Composed from pydantic-ai: the writer's text goes through an output function that asks the critic and
raises ``ModelRetry`` with its feedback, so the revision is pydantic-ai's own retry loop (bounded by the
output retry budget, ``max_iterations - 1``). Each model request of the writer is a ``draft`` step and each
critic run a ``critique`` step; each round (draft + critique) is one iteration.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mamba_agents.prompts import PromptManager, TemplateConfig
from mamba_agents.workflows import Workflow, WorkflowMaxIterationsError, WorkflowState
from mamba_agents.workflows.base import price_messages, record_agent_result
from mamba_agents.workflows.tracking import agent_runs_untracked
from pydantic_ai import ModelRetry, RunContext, TextOutput, UsageLimits
from pydantic_ai.capabilities import AbstractCapability, WrapModelRequestHandler
from pydantic_ai.messages import ModelResponse
from pydantic_ai.models import ModelRequestContext

from mamba_agents_workflows.reflection_config import (
    Critique,
    ReflectionConfig,
    ReflectionRound,
    ReflectionState,
)
from mamba_agents_workflows.reflection_hooks import ReflectionHooks
from mamba_agents_workflows.templates import check_template, prompt_manager_of, render

DepsT = TypeVar("DepsT")


@dataclass
class _DraftSteps(AbstractCapability[Any]):
    """Each model request of the writer's run is one step (timed, bounded, priced)."""

    workflow: ReflectionWorkflow[Any]
    agent: Any

    async def wrap_model_request(
        self, ctx: RunContext[Any], *, request_context: ModelRequestContext, handler: WrapModelRequestHandler
    ) -> ModelResponse:
        async with self.workflow.step_scope("draft", description=f"draft request {ctx.run_step}") as step:
            response = await handler(request_context)
            step.output_data = response.text
            step.usage.incr(response.usage)
            step.usage.requests += 1
            step.cost = price_messages(self.agent, [response])
        return response


class ReflectionWorkflow(Workflow[DepsT, str, ReflectionState], Generic[DepsT]):
    """``ReflectionWorkflow(agent, critic=None, config=ReflectionConfig(...), hooks=ReflectionHooks(...))``.

    ``critic`` is another Mamba ``Agent``, a pydantic-ai ``Agent``, a model (string or instance), or
    ``None``: then ``config.critic_model``, else the writer's own model, critiques with its own
    instructions and no shared conversation.
    """

    config_class = ReflectionConfig
    hooks_class = ReflectionHooks

    def __init__(
        self,
        agent: Any,
        config: ReflectionConfig | None = None,
        hooks: ReflectionHooks | None = None,
        *,
        critic: Any = None,
        prompt_manager: PromptManager | None = None,
    ) -> None:
        if config is not None and not isinstance(config, ReflectionConfig):
            config = ReflectionConfig(**config.model_dump())
        super().__init__(config=config, hooks=hooks)
        self.agent = agent
        self._prompt_manager = prompt_manager
        cfg = self.reflection_config
        check_template(self.prompt_manager, cfg.critic_prompt_template, "critic_prompt_template")
        self.critic = self._build_critic(critic if critic is not None else cfg.critic_model)

    @property
    def name(self) -> str:
        return "reflection"

    @property
    def reflection_config(self) -> ReflectionConfig:
        return self._config  # type: ignore[return-value]

    @property
    def prompt_manager(self) -> PromptManager:
        if self._prompt_manager is None:
            self._prompt_manager = prompt_manager_of(self.agent)
        return self._prompt_manager

    def _create_initial_state(self, prompt: str) -> WorkflowState[ReflectionState]:
        return WorkflowState(context=ReflectionState(task=prompt))

    async def _execute(
        self, prompt: str, state: WorkflowState[ReflectionState], deps: DepsT | None = None
    ) -> str:
        review = self._reviewer(prompt, state)
        kwargs: dict[str, Any] = {
            "output_type": TextOutput(review),
            "retries": {"output": self.reflection_config.max_iterations - 1},
            "capabilities": [_DraftSteps(self, self.agent)],
            "usage_limits": UsageLimits(request_limit=None),  # max_steps and max_iterations bound it
        }
        if deps is not None:
            kwargs["deps"] = deps
        # The writer's run is not itself a step: its requests and the critiques are.
        with agent_runs_untracked():
            result = await self.agent.run(prompt, **kwargs)
        return result.output

    def _reviewer(self, task: str, state: WorkflowState[ReflectionState]) -> Callable[[str], Awaitable[str]]:
        async def review(draft: str) -> str:
            react = state.context
            assert react is not None
            number = len(react.rounds) + 1
            await self._trigger("on_draft", state, state, number, draft)
            async with self.iteration(state):
                critique = await self._critique(task, draft, number)
                cfg = self.reflection_config
                accepted = critique.accepted and (cfg.min_score is None or critique.score >= cfg.min_score)
                react.rounds.append(ReflectionRound(number, draft, critique, accepted))
                await self._trigger("on_critique", state, state, number, critique)
            if accepted:
                react.accepted = True
                return draft
            if number >= cfg.max_iterations:
                raise WorkflowMaxIterationsError(
                    f"workflow 'reflection' stopped: the critic accepted none of {number} drafts "
                    f"(max_iterations={cfg.max_iterations}); output is the last draft",
                    value=cfg.max_iterations,
                    partial_output=draft,
                )
            raise ModelRetry(_revision_request(critique))

        return review

    async def _critique(self, task: str, draft: str, number: int) -> Critique:
        async with self.step_scope("critique", description=f"critique of draft {number}") as step:
            result = await self.critic.run(
                f"Task:\n{task}\n\nDraft {number}:\n{draft}",
                output_type=Critique,
                instructions=self._critic_instructions(task),
                message_history=[],
            )
            record_agent_result(step, self.critic, result)
        return result.output

    def _critic_instructions(self, task: str) -> str:
        cfg = self.reflection_config
        template = cfg.critic_prompt_template or TemplateConfig(name="workflow/reflection_critic")
        return render(
            self.prompt_manager,
            template,
            {"task": task, "min_score": cfg.min_score, "max_iterations": cfg.max_iterations},
        )

    def _build_critic(self, critic: Any) -> Any:
        if critic is None:
            # The writer's model, through the pydantic-ai agent underneath: a facade runs one turn at a
            # time, and the critic is called from inside the writer's turn.
            return getattr(self.agent, "pydantic_agent", self.agent)
        if hasattr(critic, "run"):
            return critic
        from mamba_agents import Agent

        return Agent(critic, settings=getattr(self.agent, "settings", None))


def _revision_request(critique: Critique) -> str:
    issues = "".join(f"\n- {issue}" for issue in critique.issues)
    return (
        f"A reviewer did not accept this draft (score {critique.score:.2f}). {critique.feedback}{issues}\n"
        "Revise it."
    )
