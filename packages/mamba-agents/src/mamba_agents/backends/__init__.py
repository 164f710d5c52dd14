"""Model backends: ``from mamba_agents.backends import create_ollama_backend, get_profile, ...``.

The names live in plugin packages (``mamba-agents-backends``, ``mamba-agents-local``) and are imported on
first use, so importing this package (the core's own backend plugin does) loads neither of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "DEFAULT_CONTEXT_WINDOW",
    "DEFAULT_PROFILE",
    "DEFAULT_URLS",
    "BackendStatus",
    "BackendUnavailableError",
    "LocalBackend",
    "ModelProfile",
    "OpenAICompatibleBackend",
    "ServerQuirks",
    "create_llamacpp_backend",
    "create_lmstudio_backend",
    "create_local_backend",
    "create_ollama_backend",
    "create_vllm_backend",
    "default_model_path",
    "get_profile",
    "get_profiles_by_provider",
    "list_profiles",
    "register_profile",
    "unregister_profile",
]

_LOCAL_NAMES = frozenset({"LocalBackend", "create_local_backend", "default_model_path"})
# import name, distribution, extra of mamba-agents that pulls it in
_BACKENDS = ("mamba_agents_backends", "mamba-agents-backends", "backends")
_LOCAL = ("mamba_agents_local", "mamba-agents-local", "local")


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'mamba_agents.backends' has no attribute {name!r}")
    module_name, distribution, extra = _LOCAL if name in _LOCAL_NAMES else _BACKENDS
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ImportError(
            f"mamba_agents.backends.{name} is provided by the {distribution!r} package: "
            f'pip install {distribution}  (or: pip install "mamba-agents[{extra}]")',
            name=module_name,
        ) from None
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from mamba_agents_backends import (
        DEFAULT_CONTEXT_WINDOW,
        DEFAULT_PROFILE,
        DEFAULT_URLS,
        BackendStatus,
        BackendUnavailableError,
        ModelProfile,
        OpenAICompatibleBackend,
        ServerQuirks,
        create_llamacpp_backend,
        create_lmstudio_backend,
        create_ollama_backend,
        create_vllm_backend,
        get_profile,
        get_profiles_by_provider,
        list_profiles,
        register_profile,
        unregister_profile,
    )
    from mamba_agents_local import LocalBackend, create_local_backend, default_model_path
