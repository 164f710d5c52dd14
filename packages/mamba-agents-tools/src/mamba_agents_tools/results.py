"""Shared result types, and the marker that lets the Agent bind public tools to a sandboxed toolset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])

TOOLSET_FACTORY = "mamba_agents_tools.toolset:build_toolset"


def builtin_tool(func: F) -> F:
    """Mark a public tool: ``Agent(tools=[read_file])`` builds it through the toolset factory (bound to the
    configured sandbox) instead of showing the model the raw signature with its ``security`` parameter."""
    func.__mamba_toolset_factory__ = TOOLSET_FACTORY  # type: ignore[attr-defined]
    return func


class ResultList(list[T], Generic[T]):
    """A plain list of results that also says whether a limit cut it short."""

    truncated: bool = False

    def __init__(self, items: list[T] | None = None, *, truncated: bool = False) -> None:
        super().__init__(items or [])
        self.truncated = truncated
