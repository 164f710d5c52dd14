"""Shared result types, and the marker that lets the Agent bind public tools to a sandboxed toolset."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])

TOOLSET_FACTORY = "mamba_agents_tools.toolset:build_toolset"


# Policy a model must never set: a caller's own environment for run_bash (LD_PRELOAD, PATH) is one too.
_POLICY_PARAMETERS = frozenset({"env"})


def builtin_tool(func: F) -> F:
    """Mark a public tool: ``Agent(tools=[read_file])`` builds it through the toolset factory (bound to the
    configured sandbox) instead of showing the model the raw signature with its ``security`` parameter.

    Every other route (``pydantic_ai.Tool(read_file)``, ``pydantic_ai.Agent(tools=[read_file])``, a
    ``FunctionToolset``) reads the function's signature, so that signature is narrowed to the arguments a
    model may choose: the keyword-only policy parameters (``security``, ``config``, ``max_entries``...) and
    ``env`` are left out. A model's call then cannot name them (the schema forbids extra arguments) and the
    tool runs with its safe default: a sandbox rooted at the working directory. Python callers still pass
    them as before.
    """
    func.__mamba_toolset_factory__ = TOOLSET_FACTORY  # type: ignore[attr-defined]
    signature = inspect.signature(func)
    public = [
        p
        for p in signature.parameters.values()
        if p.kind is not inspect.Parameter.KEYWORD_ONLY and p.name not in _POLICY_PARAMETERS
    ]
    func.__signature__ = signature.replace(parameters=public)  # type: ignore[attr-defined]
    return func


class ResultList(list[T], Generic[T]):
    """A plain list of results that also says whether a limit cut it short."""

    truncated: bool = False

    def __init__(self, items: list[T] | None = None, *, truncated: bool = False) -> None:
        super().__init__(items or [])
        self.truncated = truncated
