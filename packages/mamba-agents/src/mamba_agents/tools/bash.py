"""The bash tool: ``run_bash``, ``run_bash_async`` and ``BashResult`` (lazy re-exports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mamba_agents.tools._plugin import tools_module

__all__ = ["BashResult", "run_bash", "run_bash_async"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'mamba_agents.tools.bash' has no attribute {name!r}")
    return getattr(tools_module("bash", name), name)


if TYPE_CHECKING:
    from mamba_agents_tools.bash import BashResult, run_bash, run_bash_async
