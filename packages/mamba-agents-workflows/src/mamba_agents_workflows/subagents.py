"""Sub-agents: a parent delegates a task to a named agent through one tool, ``delegate_task``.

Each delegation runs the sub-agent's pydantic-ai agent with a fresh history (the parent sees only the
answer and a usage line), the sub-agent's own tools narrowed to its allow-list, and its own limits
(requests, tokens, cost, time). A sub-agent that fails, times out or runs over a limit comes back to the
parent's model as a failed tool call; the parent's run goes on. Delegations from one model response run
concurrently, at most ``max_parallel`` at a time. Their usage and cost are added to the parent's tracker
(``parent.get_usage()`` / ``get_cost()``) and kept per sub-agent (``usage_by_subagent()``).
"""

from __future__ import annotations

import asyncio
import re
import weakref
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mamba_agents.tokens.cost import CostBreakdown
from mamba_agents.workflows.base import price_messages
from pydantic_ai import RunContext, ToolFailed, UsageLimits
from pydantic_ai.capabilities import PrepareTools
from pydantic_ai.toolsets import FunctionToolset
from pydantic_ai.usage import RunUsage

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
# The parent's context gets at most this much of a sub-agent's answer.
MAX_ANSWER_CHARS = 20_000


@dataclass
class SubAgent:
    """A named agent the parent may delegate to. ``tools`` is an allow-list of the sub-agent's own tool
    names (``None``: all of them, ``[]``: none); the limits bound each delegation. With ``keep_history``
    (a Mamba ``Agent`` only) the sub-agent keeps its own conversation across delegations, saved to its
    session when it has one (``Agent(session=...)``); its delegations then take turns."""

    agent: Any
    name: str
    description: str = ""
    tools: list[str] | None = None
    max_requests: int | None = 20
    max_tokens: int | None = None
    max_cost: float | None = None
    timeout: float | None = 120.0
    keep_history: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(
                f"SubAgent name must be a letter then letters, digits, _ or - (got {self.name!r})"
            )
        for key in ("max_requests", "max_tokens", "max_cost", "timeout"):
            value = getattr(self, key)
            if value is not None and not value > 0:
                raise ValueError(f"SubAgent {self.name!r}: {key} must be positive or None (got {value!r})")
        if not hasattr(self.agent, "run"):
            raise TypeError(f"SubAgent {self.name!r}: agent must be a Mamba or pydantic-ai Agent")
        if self.keep_history and not hasattr(self.agent, "pydantic_agent"):
            raise ValueError(
                f"SubAgent {self.name!r}: keep_history needs a Mamba Agent (it keeps the history)"
            )


@dataclass
class SubAgentUsage:
    """What the delegations to one sub-agent used."""

    delegations: int = 0
    failures: int = 0
    usage: RunUsage = field(default_factory=RunUsage)
    costs: list[CostBreakdown] = field(default_factory=list)

    @property
    def cost(self) -> CostBreakdown:
        return CostBreakdown.combine(self.costs)


class SubAgentToolset(FunctionToolset[Any]):
    """The ``delegate_task(agent_name, task)`` tool over ``subagents``; pass it in ``toolsets=`` or use
    ``Agent(subagents=[...])``. ``tracker`` (the parent's ``UsageTracker``) receives the sub-agents' usage."""

    def __init__(self, subagents: list[SubAgent], *, tracker: Any = None, max_parallel: int = 4) -> None:
        super().__init__(id="subagents")
        if not subagents:
            raise ValueError("SubAgentToolset needs at least one SubAgent")
        names = [s.name for s in subagents]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"sub-agent names must be unique ({', '.join(repeated)} repeat)")
        if max_parallel < 1:
            raise ValueError(f"max_parallel must be at least 1 (got {max_parallel})")
        self.subagents = {s.name: s for s in subagents}
        self.tracker = tracker
        self.max_parallel = max_parallel
        # One semaphore per event loop: an Agent may be run from several loops, a semaphore binds to one.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._usage = {name: SubAgentUsage() for name in self.subagents}
        listing = "\n".join(f"- {s.name}: {s.description or 'no description'}" for s in subagents)
        self.add_function(
            self._delegate,
            name="delegate_task",
            description=(
                "Give a self-contained task to a sub-agent and get its final answer. It sees only the task "
                f"you write, not this conversation. Sub-agents:\n{listing}"
            ),
            takes_ctx=True,
        )

    def usage_by_subagent(self) -> dict[str, SubAgentUsage]:
        return dict(self._usage)

    async def _delegate(self, ctx: RunContext[Any], agent_name: str, task: str) -> str:
        """Delegate ``task`` to the sub-agent ``agent_name``.

        Args:
            agent_name: one of the sub-agents listed in this tool's description.
            task: the complete task; the sub-agent sees nothing else.
        """
        sub = self.subagents.get(agent_name)
        if sub is None:
            raise ToolFailed(f"no sub-agent {agent_name!r}; sub-agents: {', '.join(self.subagents)}")
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.max_parallel)
        from opentelemetry import trace

        record = self._usage[sub.name]
        record.delegations += 1
        with trace.get_tracer("mamba_agents.subagents").start_as_current_span(f"delegate {sub.name}") as span:
            async with slots:
                try:
                    runner = sub.agent if sub.keep_history else _runner(sub.agent)
                    result = await runner.run(task, deps=ctx.deps, **_limits(sub))
                except Exception as exc:  # the parent reads a failed tool call; its run goes on
                    record.failures += 1
                    span.set_attribute("mamba.subagent.failed", True)
                    raise ToolFailed(f"sub-agent {sub.name!r} failed: {_describe(exc, sub)}") from exc
            messages = result.new_messages()
            cost = price_messages(sub.agent, messages)
            record.usage = record.usage + result.usage
            record.costs.append(cost)
            if self.tracker is not None:
                self.tracker.record_messages(messages)
            span.set_attribute("mamba.subagent.requests", result.usage.requests)
        answer = str(result.output)
        if len(answer) > MAX_ANSWER_CHARS:
            answer = answer[:MAX_ANSWER_CHARS] + f"... [{len(answer) - MAX_ANSWER_CHARS} characters cut]"
        usage = result.usage
        return (
            f"{answer}\n\n[sub-agent {sub.name}: {usage.requests} request(s), "
            f"{usage.input_tokens} in / {usage.output_tokens} out tokens]"
        )


def _runner(agent: Any) -> Any:
    # The pydantic-ai agent under a Mamba Agent: a fresh history per delegation, concurrent delegations
    # allowed, and the agent's own capabilities (compaction, retries, usage tracking) still apply.
    return getattr(agent, "pydantic_agent", agent)


def _limits(sub: SubAgent) -> dict[str, Any]:
    limits = UsageLimits(
        request_limit=sub.max_requests,
        total_tokens_limit=sub.max_tokens,
        cost_limit=None if sub.max_cost is None else Decimal(str(sub.max_cost)),
    )
    kwargs: dict[str, Any] = {"usage_limits": limits}
    if sub.timeout is not None:
        kwargs["timeout"] = sub.timeout
    if sub.tools is not None:
        allowed = set(sub.tools)
        kwargs["capabilities"] = [PrepareTools(lambda ctx, defs: [d for d in defs if d.name in allowed])]
    return kwargs


def _describe(exc: Exception, sub: SubAgent) -> str:
    from pydantic_ai import RunTimedOut, UsageLimitExceeded

    if isinstance(exc, RunTimedOut):
        return f"it ran past its timeout of {sub.timeout:g} s"
    if isinstance(exc, UsageLimitExceeded):
        return f"it ran over a limit: {exc}"
    return f"{type(exc).__name__}: {exc}"
