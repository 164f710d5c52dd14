"""``AgentResult``: pydantic-ai's run result plus what the facade adds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic_ai.messages import ModelMessage
from pydantic_ai.run import AgentRunResult
from pydantic_ai.usage import RunUsage

from mamba_agents.context.result import CompactionResult

OutputT = TypeVar("OutputT")


@dataclass
class AgentResult(Generic[OutputT]):
    """The outcome of one run. Anything not defined here is read from the pydantic-ai result."""

    result: AgentRunResult[OutputT]
    compactions: list[CompactionResult] = field(default_factory=list)

    @property
    def output(self) -> OutputT:
        return self.result.output

    @property
    def data(self) -> OutputT:
        """Alias of ``output`` (older pydantic-ai name)."""
        return self.result.output

    @property
    def usage(self) -> RunUsage:
        return self.result.usage

    def new_messages(self) -> list[ModelMessage]:
        return self.result.new_messages()

    def all_messages(self) -> list[ModelMessage]:
        return self.result.all_messages()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)
