"""Prompt configuration models."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def valid_segment(value: str) -> bool:
    """A folder or file-name piece: letters, digits, ``_ . -``, not starting with a dot."""
    return bool(_SEGMENT.match(value)) and value not in (".", "..")


def valid_template_name(value: str) -> bool:
    """``"system/assistant"``: one or more segments separated by ``/``."""
    return bool(value) and all(valid_segment(part) for part in value.split("/"))


_MARKDOWN = (".md", ".markdown")


class PromptConfig(BaseModel):
    """Where templates live and how they render.

    A template ``name`` such as ``"system/assistant"`` at version ``v1`` is the file
    ``<prompts_dir>/v1/system/assistant.jinja2`` (Jinja2) or ``.../assistant.md`` (markdown with YAML front
    matter; ``markdown_extension=None`` turns markdown files off). ``strict_mode`` makes a missing variable an
    error instead of an empty string. ``file_extensions=[".j2", ".md"]`` (the original's form) sets both
    extensions at once. With ``enable_caching`` a loaded template is kept until
    ``PromptManager.clear_cache()``; without it, files are re-read on every use.
    """

    model_config = ConfigDict(extra="forbid")

    prompts_dir: Path = Field(
        default=Path("prompts"), description="relative paths start at the working directory"
    )
    default_version: str = Field(default="v1", description="the version folder used when none is given")
    file_extension: str = Field(default=".jinja2", description="Jinja2 template files")
    markdown_extension: str | None = Field(
        default=".md", description="markdown prompts with YAML front matter; unset: none"
    )
    enable_caching: bool = Field(default=True, description="keep loaded templates until clear_cache()")
    strict_mode: bool = Field(default=False, description="a missing variable is an error, not empty text")
    default_variables: dict[str, Any] = Field(
        default_factory=dict, description="variables every template sees (lowest precedence)"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_extension_list(cls, data: Any) -> Any:
        # The original took one list, file_extensions=[".jinja2", ".md"]; here a markdown one is told apart.
        if not isinstance(data, dict) or "file_extensions" not in data:
            return data
        data = dict(data)
        given = data.pop("file_extensions")
        if isinstance(given, str) or not isinstance(given, list | tuple):
            raise ValueError(f"file_extensions must be a list such as ['.j2', '.md'], got {given!r}")
        markdown = [ext for ext in given if ext in _MARKDOWN]
        jinja = [ext for ext in given if ext not in _MARKDOWN]
        if len(jinja) != 1 or len(markdown) > 1 or {"file_extension", "markdown_extension"} & data.keys():
            raise ValueError(
                "file_extensions holds one Jinja2 extension and at most one markdown one (.md or .markdown), "
                f"e.g. ['.j2', '.md'], and replaces file_extension/markdown_extension; got {list(given)!r}"
            )
        data["file_extension"] = jinja[0]
        data["markdown_extension"] = markdown[0] if markdown else None
        return data

    @field_validator("default_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not valid_segment(value):
            raise ValueError(f"default_version must be a folder name such as 'v1', got {value!r}")
        return value

    @field_validator("file_extension", "markdown_extension")
    @classmethod
    def _extension(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(".") or not valid_segment(value[1:]):
            raise ValueError(f"a file extension starts with a dot, e.g. '.jinja2', got {value!r}")
        return value

    @model_validator(mode="after")
    def _distinct_extensions(self) -> PromptConfig:
        if self.markdown_extension is not None and self.markdown_extension == self.file_extension:
            raise ValueError("file_extension and markdown_extension must differ")
        return self

    @property
    def file_extensions(self) -> list[str]:
        """Every template file extension in lookup order."""
        return [self.file_extension] + ([self.markdown_extension] if self.markdown_extension else [])


class TemplateConfig(BaseModel):
    """A reference to a template plus the variables to render it with."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not valid_template_name(value):
            raise ValueError(
                f"a template name is like 'system/assistant' (no '..', no leading '/'), got {value!r}"
            )
        return value

    @field_validator("version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None and not valid_segment(value):
            raise ValueError(f"version must be a folder name such as 'v1', got {value!r}")
        return value
