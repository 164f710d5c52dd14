"""Names a module provides on first use: the ``__getattr__`` and ``__dir__`` every lazy re-export uses."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

# Import name of each first-party plugin -> (distribution, extra of mamba-agents that pulls it in)
PLUGIN_DISTRIBUTIONS: dict[str, tuple[str, str]] = {
    "mamba_agents_tools": ("mamba-agents-tools", "tools"),
    "mamba_agents_compaction": ("mamba-agents-compaction", "compaction"),
    "mamba_agents_backends": ("mamba-agents-backends", "backends"),
    "mamba_agents_local": ("mamba-agents-local", "local"),
    "mamba_agents_mcp": ("mamba-agents-mcp", "mcp"),
    "mamba_agents_sessions": ("mamba-agents-sessions", "sessions"),
    "mamba_agents_workflows": ("mamba-agents-workflows", "workflows"),
}


def lazy_exports(
    owner: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for module ``owner``; ``exports`` maps a name to its defining module.

    A name from a first-party plugin that is not installed raises ``ImportError`` saying what to install.
    """

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {owner!r} has no attribute {name!r}")
        try:
            module = importlib.import_module(target)
        except ModuleNotFoundError as exc:
            top = target.partition(".")[0]
            plugin = PLUGIN_DISTRIBUTIONS.get(top)
            if plugin is None or exc.name is None or exc.name.partition(".")[0] != top:
                raise
            dist, extra = plugin
            raise ImportError(
                f"{owner}.{name} is provided by the {dist!r} package: pip install {dist} "
                f'(or pip install "mamba-agents[{extra}]")',
                name=top,
            ) from None
        value = getattr(module, name)
        setattr(sys.modules[owner], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[owner])) | set(exports))

    return __getattr__, __dir__
