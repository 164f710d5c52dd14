"""Model backends: ``from mamba_agents.backends import create_ollama_backend, get_profile, ...``.

The names live in plugin packages (``mamba-agents-backends``, ``mamba-agents-local``) and are imported on
first use, so importing this package (the core's own backend plugin does) loads neither of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {name: "mamba_agents_local" if name in _LOCAL_NAMES else "mamba_agents_backends" for name in __all__},
)


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
