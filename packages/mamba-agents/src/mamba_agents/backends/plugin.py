"""Built-in plugin: pydantic-ai model strings and OpenAI-compatible base URLs."""

from mamba_agents.plugins import hookimpl, lazy


@hookimpl
def mamba_register_backends(register) -> None:
    register("pydantic_ai", lazy("mamba_agents.backends.builtin:model_string_backend"))
