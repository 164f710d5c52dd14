"""Entry point module: registrations only (the heavy modules load on first lookup)."""

from typing import Any

from mamba_agents.plugins import hookimpl, lazy

_SERVERS = {
    "openai_compatible": ("any OpenAI-compatible server", None),
    "ollama": ("Ollama", "http://localhost:11434/v1"),
    "vllm": ("vLLM", "http://localhost:8000/v1"),
    "lmstudio": ("LM Studio", "http://localhost:1234/v1"),
    "llamacpp": ("llama.cpp server", "http://localhost:8080/v1"),
}


@hookimpl
def mamba_register_backends(register: Any) -> None:
    for name, (description, default_url) in _SERVERS.items():
        register(
            name,
            lazy(f"mamba_agents_backends.factories:{name}_backend"),
            description=description,
            kind="server",
            default_url=default_url,
            probe=lazy("mamba_agents_backends.factories:probe_server"),
        )


@hookimpl
def mamba_register_commands(cli: Any) -> None:
    # by import path: `mamba --help` lists the command without importing the backends and pydantic-ai
    cli.add_lazy_command(
        "backends",
        "mamba_agents_backends.cli:backends_command",
        help="List the registered model backends; with --check, probe their servers.",
    )
