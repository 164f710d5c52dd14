"""Scripted models and small workflows for the workflow tests."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from mamba_agents import Agent, Workflow, WorkflowConfig, WorkflowHooks, WorkflowState
from mamba_agents.config import AgentSettings
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage


def text_model(answer: str | Callable[[int], str] = "done", *, delay: float = 0.0, name: str = "scripted"):
    """A FunctionModel answering text (``answer(n)`` for the n-th call); optional delay per call."""
    calls = {"n": 0}

    async def fn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls["n"] += 1
        if delay:
            await asyncio.sleep(delay)
        text = answer(calls["n"]) if callable(answer) else answer
        return ModelResponse(parts=[TextPart(text)], usage=RequestUsage(input_tokens=10, output_tokens=5))

    return FunctionModel(fn, model_name=name), calls


def facade(model: Any, **kwargs: Any) -> Agent:
    return Agent(model, settings=AgentSettings(), **kwargs)


class RecordingHooks:
    """Every hook of a WorkflowHooks (or subclass), recording (name, args) in call order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def hooks(self, cls: type[WorkflowHooks] = WorkflowHooks, **overrides: Any) -> WorkflowHooks:
        import dataclasses

        kwargs = {}
        for f in dataclasses.fields(cls):
            kwargs[f.name] = overrides.get(f.name, self._recorder(f.name))
        return cls(**kwargs)

    def _recorder(self, name: str) -> Callable[..., None]:
        def record(*args: Any) -> None:
            self.calls.append((name, args))

        return record

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


class MyWorkflow(Workflow[None, str, dict]):
    """The seed README's custom workflow, as written there."""

    def __init__(self, agent: Agent, config: WorkflowConfig | None = None):
        super().__init__(config=config)
        self.agent = agent

    @property
    def name(self) -> str:
        return "my_workflow"

    def _create_initial_state(self, prompt: str) -> WorkflowState[dict]:
        return WorkflowState(context={"prompt": prompt, "observations": []})

    async def _execute(self, prompt: str, state: WorkflowState[dict], deps=None) -> str:
        while state.iteration_count < self._config.max_iterations:
            state.iteration_count += 1
            result = await self.agent.run(prompt)
            if self._is_complete(result):
                return result.output
        return "Max iterations reached"


class LoopWorkflow(Workflow[None, str, dict]):
    """Runs ``agent`` once per iteration through the base's building blocks, never stopping by itself."""

    def __init__(
        self, agent: Agent, config: WorkflowConfig | None = None, hooks: WorkflowHooks | None = None
    ):
        super().__init__(config=config, hooks=hooks)
        self.agent = agent

    @property
    def name(self) -> str:
        return "loop"

    def _create_initial_state(self, prompt: str) -> WorkflowState[dict]:
        return WorkflowState(context={"outputs": []})

    async def _execute(self, prompt: str, state: WorkflowState[dict], deps=None) -> str:
        while True:
            async with self.iteration(state):
                result = await self.run_agent(self.agent, prompt, step_type="turn")
                state.context["outputs"].append(result.output)


def process_gone_marker() -> str:
    return f"31.{os.getpid()}7"
