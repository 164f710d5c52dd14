"""Lazy access to the ``mamba-agents-tools`` plugin package, with an install hint when it is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

DISTRIBUTION = "mamba-agents-tools"


def tools_module(submodule: str, name: str) -> ModuleType:
    """Import ``mamba_agents_tools.<submodule>`` for the attribute ``name``, or say what to install."""
    try:
        return importlib.import_module(f"mamba_agents_tools.{submodule}")
    except ImportError as exc:
        if exc.name is not None and not exc.name.startswith("mamba_agents_tools"):
            raise
        raise ImportError(
            f"{name} is provided by the {DISTRIBUTION!r} package: pip install {DISTRIBUTION} "
            f"(or pip install 'mamba-agents[tools]')",
            name=exc.name,
        ) from exc
