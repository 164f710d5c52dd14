"""The bash tool: ``run_bash``, ``run_bash_async`` and ``BashResult`` (lazy re-exports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

__all__ = ["BashResult", "run_bash", "run_bash_async"]


__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(__all__, "mamba_agents_tools.bash"))


if TYPE_CHECKING:
    from mamba_agents_tools.bash import BashResult, run_bash, run_bash_async
