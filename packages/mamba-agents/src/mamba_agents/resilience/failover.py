"""``[model_backend] fallback``: the backends to fail over to, as pydantic-ai's ``ModelFallback``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mamba_agents.config.errors import ConfigError
from mamba_agents.errors.base import CircuitOpenError

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from mamba_agents.config.sections import ModelBackendSettings
    from mamba_agents.plugins import PluginManager


def fails_over(error: BaseException) -> bool:
    """Move on to the next backend on any model API error but a context overflow (compaction's) and
    on an open circuit."""
    from pydantic_ai.exceptions import ModelAPIError, ModelContextWindowExceededError

    if isinstance(error, CircuitOpenError):
        return True
    return isinstance(error, ModelAPIError) and not isinstance(error, ModelContextWindowExceededError)


def fallback_settings(
    primary: ModelBackendSettings, entries: list[Any], backends: set[str]
) -> list[ModelBackendSettings]:
    """One settings section per ``fallback`` entry.

    A string is ``"backend:model"`` when ``backend`` is a registered backend (``"ollama:llama3.2"``),
    ``"local"`` for the embedded model, else a pydantic-ai model string (``"openai:gpt-4o-mini"``). A table
    is a ``[model_backend]`` section of its own (``{backend = "vllm", model = "m", base_url = "..."}``);
    nothing is inherited from the primary but ``timeout``.
    """
    from mamba_agents.config.sections import ModelBackendSettings

    out: list[ModelBackendSettings] = []
    for index, entry in enumerate(entries):
        where = f"model_backend.fallback[{index}]"
        if isinstance(entry, str):
            prefix, _, rest = entry.partition(":")
            if entry == "local":
                data: dict[str, Any] = {"backend": "local"}
            elif prefix in backends and rest:
                data = {"backend": prefix, "model": rest}
            elif ":" in entry:
                data = {"backend": "pydantic_ai", "model": entry}
            else:
                raise ConfigError(
                    f"{where} = {entry!r}: write 'backend:model' (backends: {', '.join(sorted(backends))}), "
                    "'local', a pydantic-ai model string such as 'openai:gpt-4o-mini', or a table"
                )
        elif isinstance(entry, dict):
            data = dict(entry)
        else:
            raise ConfigError(f"{where}: expected a string or a table, got {type(entry).__name__}")
        if "fallback" in data:
            raise ConfigError(f"{where}: a fallback entry cannot have fallbacks of its own")
        data.setdefault("timeout", primary.timeout)
        backend = data.get("backend", "auto")
        if backend not in backends and backend != "auto":
            known = ", ".join(sorted(backends))
            raise ConfigError(f"{where}.backend = {backend!r} is not a registered backend; known: {known}")
        try:
            out.append(ModelBackendSettings(**data))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)
            )
            raise ConfigError(f"{where}: {problems}") from None
    return out


def resolve_fallbacks(primary: ModelBackendSettings, plugins: PluginManager) -> list[Model]:
    from mamba_agents.backends.resolve import resolve_model

    entries = list(getattr(primary, "fallback", []) or [])
    if not entries:
        return []
    backends = set(plugins.registry("backends").names())
    return [resolve_model(None, s, plugins) for s in fallback_settings(primary, entries, backends)]
