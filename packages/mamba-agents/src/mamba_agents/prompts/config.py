"""Prompt configuration models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PromptConfig(BaseModel):
    """Where templates live and how they render."""

    model_config = ConfigDict(extra="forbid")

    prompts_dir: Path = Path("prompts")
    default_version: str = "v1"
    file_extension: str = ".jinja2"
    enable_caching: bool = True
    strict_mode: bool = False
    default_variables: dict[str, Any] = Field(default_factory=dict)


class TemplateConfig(BaseModel):
    """A reference to a template plus the variables to render it with."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
