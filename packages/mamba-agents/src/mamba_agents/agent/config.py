"""``AgentConfig``: per-agent behaviour that is not about which model or plugin to use."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mamba_agents.context.config import CompactionConfig
from mamba_agents.prompts.config import TemplateConfig


class AgentConfig(BaseModel):
    """How an :class:`~mamba_agents.Agent` keeps context and handles tool errors.

    ``context`` falls back to ``settings.context``. ``max_iterations`` caps model requests per run
    (pydantic-ai's ``UsageLimits.request_limit``; its default of 50 applies when unset). ``run_timeout``
    bounds each run in seconds unless the call passes ``timeout=``; ``tool_timeout`` bounds each tool call
    (MCP tools included): past it the tool is cancelled and the model reads a failed result.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    system_prompt: str | TemplateConfig | None = None
    context: CompactionConfig | None = None
    track_context: bool = True
    auto_compact: bool = True
    graceful_tool_errors: bool = True
    max_iterations: int | None = Field(default=None, gt=0)
    run_timeout: float | None = Field(default=None, gt=0)
    tool_timeout: float | None = Field(default=None, gt=0)
