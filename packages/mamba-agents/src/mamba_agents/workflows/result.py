"""``WorkflowResult``: the outcome of one workflow run, with which limit stopped it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic_ai.usage import RunUsage

from mamba_agents.tokens.cost import Cost, CostBreakdown
from mamba_agents.workflows.state import HookError, WorkflowState

OutputT = TypeVar("OutputT")
StateT = TypeVar("StateT")


@dataclass
class WorkflowResult(Generic[OutputT, StateT]):
    """``success`` and ``output``, or ``error``; ``termination_reason`` is ``completed``, ``timeout``,
    ``step_timeout``, ``max_steps``, ``max_iterations``, ``cancelled`` or ``error``, and ``limit`` names the
    ``WorkflowConfig`` field that stopped the run (``None`` when none did). A failed run's ``output`` is
    ``None`` unless the workflow had a partial one to give (Reflection's last draft)."""

    success: bool
    output: OutputT | None = None
    state: WorkflowState[StateT] | None = None
    error: str | None = None
    total_steps: int = 0
    total_iterations: int = 0
    duration_seconds: float = 0.0
    termination_reason: str = "completed"
    limit: str | None = None
    usage: RunUsage = field(default_factory=RunUsage)
    cost_breakdown: CostBreakdown = field(default_factory=CostBreakdown)
    hook_errors: list[HookError] = field(default_factory=list)
    exception: BaseException | None = field(default=None, repr=False)

    @property
    def cost(self) -> Cost:
        """USD spent by every step (``cost.priced`` is False when some request could not be priced)."""
        return self.cost_breakdown.cost

    def get_cost(self) -> Cost:
        return self.cost

    def summary(self) -> dict[str, Any]:
        """The figures ``mamba run --workflow`` prints."""
        return {
            "success": self.success,
            "termination_reason": self.termination_reason,
            "limit": self.limit,
            "error": self.error,
            "steps": self.total_steps,
            "iterations": self.total_iterations,
            "duration_seconds": round(self.duration_seconds, 3),
            "requests": self.usage.requests,
            "input_tokens": self.usage.input_tokens,
            "output_tokens": self.usage.output_tokens,
            "cost_usd": self.cost_breakdown.total_cost if self.cost_breakdown.priced else None,
        }
