"""Prompt templates: ``PromptManager``, ``PromptTemplate``, ``PromptConfig``, ``TemplateConfig`` and errors.

Jinja2 and PyYAML are imported only when a template is compiled or a markdown file parsed.
"""

from mamba_agents.prompts.config import PromptConfig, TemplateConfig
from mamba_agents.prompts.errors import (
    MarkdownParseError,
    PromptError,
    PromptNotFoundError,
    TemplateConflictError,
    TemplateRenderError,
    TemplateValidationError,
)
from mamba_agents.prompts.manager import PromptManager
from mamba_agents.prompts.template import PromptTemplate, TemplateType

__all__ = [
    "MarkdownParseError",
    "PromptConfig",
    "PromptError",
    "PromptManager",
    "PromptNotFoundError",
    "PromptTemplate",
    "TemplateConfig",
    "TemplateConflictError",
    "TemplateRenderError",
    "TemplateType",
    "TemplateValidationError",
]
