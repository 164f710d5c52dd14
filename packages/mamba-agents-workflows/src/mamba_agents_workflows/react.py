"""``ReActWorkflow``: Thought, Action, Observation, on one pydantic-ai agent run driven node by node.

The loop is pydantic-ai's own (``agent.iter()``): the workflow does not re-prompt. Each model turn and the
tool calls it makes are one iteration and one step; the model ends the run by calling the final-answer
tool, an output tool of the run, so the agent itself is never changed.
"""

from __future__ import annotations

import copy
from typing import Any, Generic, TypeVar

from mamba_agents.prompts import PromptManager
from mamba_agents.workflows import Workflow, WorkflowError, WorkflowState
from mamba_agents.workflows.base import price_messages
from pydantic_ai import CallToolsNode, ModelRequestNode, ToolOutput, UsageLimits
from pydantic_ai.messages import (
    ModelRequest,
    ModelResponse,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_graph import End

from mamba_agents_workflows.react_config import ReActConfig
from mamba_agents_workflows.react_hooks import ReActHooks
from mamba_agents_workflows.react_state import ReActState, ScratchpadEntry
from mamba_agents_workflows.react_steering import ReActSteering
from mamba_agents_workflows.templates import BUILTIN, check_template, prompt_manager_of, render

DepsT = TypeVar("DepsT")

_SYSTEM = "workflow/react_system"


class ReActWorkflow(Workflow[DepsT, str, ReActState], Generic[DepsT]):
    """ReAct over a Mamba ``Agent``: ``ReActWorkflow(agent, config=ReActConfig(...), hooks=ReActHooks(...))``.

    The agent keeps its tools, instructions and conversation; the final-answer tool and the ReAct
    instructions are added to each run only, so several workflows can share one agent.
    """

    config_class = ReActConfig
    hooks_class = ReActHooks

    def __init__(
        self,
        agent: Any,
        config: ReActConfig | None = None,
        hooks: ReActHooks | None = None,
        prompt_manager: PromptManager | None = None,
    ) -> None:
        if config is not None and not isinstance(config, ReActConfig):
            config = ReActConfig(**config.model_dump())
        super().__init__(config=config, hooks=hooks)
        self.agent = agent
        self._prompt_manager = prompt_manager
        cfg = self.react_config
        check_template(self.prompt_manager, cfg.system_prompt_template, "system_prompt_template")
        check_template(self.prompt_manager, cfg.iteration_prompt_template, "iteration_prompt_template")
        # Built once: pydantic-ai derives the tool's schema from it on every run otherwise (measured).
        self._final_output = ToolOutput(
            _final_answer,
            name=cfg.final_answer_tool_name,
            description="Give the final answer to the task; this ends the task.",
            max_retries=cfg.tool_retry_count,
        )

    @property
    def name(self) -> str:
        return "react"

    @property
    def react_config(self) -> ReActConfig:
        return self._config  # type: ignore[return-value]

    @property
    def prompt_manager(self) -> PromptManager:
        if self._prompt_manager is None:
            self._prompt_manager = prompt_manager_of(self.agent)
        return self._prompt_manager

    def _create_initial_state(self, prompt: str) -> WorkflowState[ReActState]:
        return WorkflowState(context=ReActState(task=prompt))

    # -- the trace ------------------------------------------------------------------------------------

    def get_scratchpad(self) -> list[ScratchpadEntry]:
        """The last run's entries (thought, action, observation, final_answer), in order."""
        if self.last_state is None or self.last_state.context is None:
            return []
        return list(self.last_state.context.scratchpad)

    def get_reasoning_trace(self) -> str:
        """The last run's scratchpad as text, each line with its configured prefix."""
        if self.last_state is None or self.last_state.context is None:
            return ""
        cfg = self.react_config
        return self.last_state.context.get_scratchpad_text(
            cfg.reasoning_prefix, cfg.action_prefix, cfg.observation_prefix
        )

    def get_token_usage(self) -> Any:
        """The last run's pydantic-ai ``RunUsage``."""
        return self.last_result.usage if self.last_result is not None else None

    # -- the loop -------------------------------------------------------------------------------------

    async def _execute(self, prompt: str, state: WorkflowState[ReActState], deps: DepsT | None = None) -> str:
        react = state.context
        assert react is not None
        cfg = self.react_config
        steering = ReActSteering(
            cfg,
            react,
            getattr(self.agent, "context_manager", None),
            lambda force: self._iteration_prompt(state, force),
            lambda result: self._trigger("on_compaction", state, result),
        )
        kwargs: dict[str, Any] = {
            "output_type": self._final_output,
            # Tool-less turns spend the output budget; max_iterations is the bound that matters.
            "retries": {"tools": cfg.tool_retry_count, "output": cfg.max_iterations},
            "capabilities": [steering],
            "instructions": self._system_prompt(prompt),
            "usage_limits": UsageLimits(request_limit=None),
        }
        if deps is not None:
            kwargs["deps"] = deps
        try:
            async with self.agent.iter(prompt, **kwargs) as run:
                node: Any = run.next_node
                while not isinstance(node, End):
                    if not isinstance(node, ModelRequestNode):
                        node = await run.next(node)
                        continue
                    async with self.iteration(state) as number:
                        before = copy.copy(run.usage)  # run.usage is updated in place
                        async with self.step_scope(
                            "react_iteration", description=f"iteration {number}"
                        ) as step:
                            node = await run.next(node)  # the model's turn
                            if isinstance(node, CallToolsNode):
                                response = node.model_response
                                await self._record_turn(state, response, number)
                                node = await run.next(node)  # its tool calls
                                returns = _returns_after(run, node, response)
                                await self._record_returns(state, returns, response, number)
                                step.cost = price_messages(self.agent, [response])
                            step.usage = run.usage - before
                            step.output_data = react.final_answer
            react.termination_reason = "final_answer_tool"
            return run.result.output
        except WorkflowError as exc:
            react.termination_reason = exc.reason
            raise
        except Exception:
            react.termination_reason = "error"
            raise

    async def _record_turn(
        self, state: WorkflowState[ReActState], response: ModelResponse, iteration: int
    ) -> None:
        """The model's turn: its text is a thought, each tool call but the final answer an action."""
        react, cfg = state.context, self.react_config
        assert react is not None
        thoughts = [
            _strip(p.content, cfg.reasoning_prefix)
            for p in response.parts
            if isinstance(p, TextPart | ThinkingPart) and p.content.strip()
        ]
        calls = [p for p in response.parts if isinstance(p, ToolCallPart)]
        for thought in thoughts:
            if cfg.expose_reasoning:
                react.scratchpad.append(ScratchpadEntry("thought", thought, iteration))
            await self._trigger("on_thought", state, state, thought)
        react.consecutive_thought_count = 0 if calls else react.consecutive_thought_count + 1
        for call in calls:
            if call.tool_name == cfg.final_answer_tool_name:
                continue  # recorded once it validated (a bad answer is retried)
            args = call.args_as_dict()
            content = f"{call.tool_name}({_format_args(args)})"
            meta = {"tool_name": call.tool_name, "args": args, "tool_call_id": call.tool_call_id}
            react.scratchpad.append(ScratchpadEntry("action", content, iteration, metadata=meta))
            await self._trigger("on_action", state, state, call.tool_name, args)

    async def _record_returns(
        self,
        state: WorkflowState[ReActState],
        returns: list[ToolReturnPart],
        response: ModelResponse,
        iteration: int,
    ) -> None:
        """The tool results of that turn: observations, or the final answer once it validated."""
        react, cfg = state.context, self.react_config
        assert react is not None
        for part in returns:
            if part.tool_name == cfg.final_answer_tool_name and part.outcome == "success":
                answer = _answer_of(response, part.tool_call_id)
                react.final_answer = answer
                react.scratchpad.append(ScratchpadEntry("final_answer", answer, iteration))
                continue
            is_error = part.outcome in ("failed", "retried")
            text = part.model_response_str()
            meta = {"tool_name": part.tool_name, "tool_call_id": part.tool_call_id, "is_error": is_error}
            react.scratchpad.append(ScratchpadEntry("observation", text, iteration, metadata=meta))
            await self._trigger("on_observation", state, state, text, is_error)

    # -- prompts --------------------------------------------------------------------------------------

    def _variables(self, state: WorkflowState[ReActState] | None, task: str) -> dict[str, Any]:
        cfg = self.react_config
        react = state.context if state is not None else None
        return {
            "task": task,
            "expose_reasoning": cfg.expose_reasoning,
            "reasoning_prefix": cfg.reasoning_prefix,
            "action_prefix": cfg.action_prefix,
            "observation_prefix": cfg.observation_prefix,
            "final_answer_tool_name": cfg.final_answer_tool_name,
            "max_iterations": cfg.max_iterations,
            "iteration": state.iteration_count if state is not None else 0,
            "remaining_iterations": cfg.max_iterations - (state.iteration_count if state is not None else 0),
            "consecutive_thoughts": react.consecutive_thought_count if react is not None else 0,
            "scratchpad": react.get_scratchpad_text(
                cfg.reasoning_prefix, cfg.action_prefix, cfg.observation_prefix
            )
            if react is not None
            else "",
        }

    def _system_prompt(self, task: str) -> str:
        from mamba_agents.prompts import TemplateConfig

        template = self.react_config.system_prompt_template or TemplateConfig(name=_SYSTEM)
        return render(self.prompt_manager, template, self._variables(None, task))

    def _iteration_prompt(self, state: WorkflowState[ReActState], force: bool) -> str | None:
        template = self.react_config.iteration_prompt_template
        if template is None or state.iteration_count < 2:
            return None
        assert state.context is not None
        return render(
            self.prompt_manager,
            template,
            {**self._variables(state, state.context.task), "force_action": force},
        )


def _final_answer(answer: str) -> str:
    """The complete final answer to the task."""
    return answer


def _returns_after(run: Any, node: Any, response: ModelResponse) -> list[ToolReturnPart]:
    """The tool results of ``response``: in the next request, or at the end of the run's history."""
    if isinstance(node, ModelRequestNode):
        requests = [node.request]
    else:
        requests = []
        for message in reversed(run.all_messages()):
            if message is response or isinstance(message, ModelResponse):
                break
            requests.append(message)
        requests.reverse()
    ids = {p.tool_call_id for p in response.parts if isinstance(p, ToolCallPart)}
    return [
        p
        for request in requests
        if isinstance(request, ModelRequest)
        for p in request.parts
        if isinstance(p, ToolReturnPart) and p.tool_call_id in ids
    ]


def _answer_of(response: ModelResponse, tool_call_id: str) -> str:
    for part in response.parts:
        if isinstance(part, ToolCallPart) and part.tool_call_id == tool_call_id:
            return str(part.args_as_dict().get("answer", ""))
    return ""


def _strip(text: str, prefix: str) -> str:
    text = text.strip()
    return text[len(prefix) :].strip() if prefix.strip() and text.startswith(prefix.strip()) else text


def _format_args(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items())


assert _SYSTEM in BUILTIN
