"""Entry point module: registrations only (the heavy modules load on first lookup)."""

from typing import Any

from mamba_agents.plugins import hookimpl, lazy


@hookimpl
def mamba_register_backends(register: Any) -> None:
    register(
        "local",
        lazy("mamba_agents_local.model:local_backend"),
        description="embedded GGUF via llama.cpp, offline (default SmolLM2-135M)",
        kind="in-process",
        location="in-process (llama.cpp)",
        probe=lazy("mamba_agents_local.model:probe_local"),
    )
