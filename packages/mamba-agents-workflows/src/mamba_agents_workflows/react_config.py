"""``ReActConfig``: the ReAct loop's options, on top of the base limits."""

from __future__ import annotations

from mamba_agents.prompts import TemplateConfig
from mamba_agents.workflows import WorkflowConfig
from pydantic import Field, field_validator


class ReActConfig(WorkflowConfig):
    """Options of :class:`ReActWorkflow`; every field is read by it.

    One iteration is one model turn plus the tool calls it made; ``max_iterations`` bounds them. The model
    finishes by calling the tool ``final_answer_tool_name``. After ``max_consecutive_thoughts`` turns in a
    row without a tool call the next turn must call a tool (``tool_choice``). ``tool_retry_count`` is the
    retry budget of each tool call, the final answer's included. With ``auto_compact_in_workflow`` the
    run's history is compacted (by the agent's strategy) once it reaches ``compact_threshold_ratio`` of the
    agent's compaction trigger. ``system_prompt_template`` replaces the built-in ReAct instructions and
    ``iteration_prompt_template`` is shown to the model at each iteration after the first (this request
    only, never stored).
    """

    expose_reasoning: bool = Field(
        default=True, description="ask for visible thoughts and keep them in the scratchpad"
    )
    reasoning_prefix: str = Field(default="Thought: ", description="prefix of thoughts in prompt and trace")
    action_prefix: str = Field(default="Action: ", description="prefix of actions in the trace")
    observation_prefix: str = Field(default="Observation: ", description="prefix of observations")
    final_answer_tool_name: str = Field(
        default="final_answer", pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$", description="the finishing tool"
    )
    auto_compact_in_workflow: bool = Field(default=True, description="compact the run's history when long")
    compact_threshold_ratio: float = Field(
        default=0.8, ge=0.1, le=1.0, description="fraction of the agent's compaction trigger"
    )
    max_consecutive_thoughts: int = Field(
        default=3, ge=1, description="tool-less turns before forcing a tool"
    )
    tool_retry_count: int = Field(default=2, ge=0, le=20, description="retries of a failed tool call")
    system_prompt_template: TemplateConfig | None = Field(
        default=None, description="replaces the instructions"
    )
    iteration_prompt_template: TemplateConfig | None = Field(
        default=None, description="shown at each iteration after the first"
    )

    @field_validator("reasoning_prefix", "action_prefix", "observation_prefix")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > 64 or "\n" in value:
            raise ValueError("a prefix is one short line (at most 64 characters)")
        return value
