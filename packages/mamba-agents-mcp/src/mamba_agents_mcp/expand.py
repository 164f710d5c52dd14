"""``${VAR}`` and ``${VAR:-default}`` expansion, the syntax pydantic-ai's ``load_mcp_toolsets`` uses."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from mamba_agents_mcp.errors import MCPConfigError

_VAR = re.compile(r"\$\{([^}:]+)(:-([^}]*))?\}")


def expand(value: str, where: str, environ: Mapping[str, str] | None = None) -> str:
    """Expand every ``${VAR}`` in ``value``; an unset variable without a default is an error naming it."""
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        name, has_default, default = match.group(1), match.group(2), match.group(3)
        if name in env:
            return env[name]
        if has_default is not None:
            return default or ""
        raise MCPConfigError(
            f"{where}: environment variable {name!r} is not set (write ${{{name}:-default}})"
        )

    return _VAR.sub(replace, value)


def expand_all(value: Any, where: str) -> Any:
    """Expand every string in a JSON value, recursively; ``where`` grows with the key path for errors."""
    if isinstance(value, str):
        return expand(value, where)
    if isinstance(value, list):
        return [expand_all(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: expand_all(v, f"{where}.{k}") for k, v in value.items()}
    return value
