"""The core's own backend: any pydantic-ai model string, or any OpenAI-compatible ``base_url``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from mamba_agents.config import ModelBackendSettings


def model_string_backend(settings: ModelBackendSettings) -> Model:
    from mamba_agents.backends.resolve import build_model_from_settings

    return build_model_from_settings(settings)
