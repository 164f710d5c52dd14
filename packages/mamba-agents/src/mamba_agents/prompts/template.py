"""``PromptTemplate``: one named, versioned template (Jinja2 or markdown) and how it renders."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mamba_agents.prompts.errors import TemplateRenderError, TemplateValidationError
from mamba_agents.prompts.markdown import placeholders, render_markdown

if TYPE_CHECKING:
    from jinja2 import Environment, Template


class TemplateType(StrEnum):
    """How a template is written; a plain string (``"jinja2"``) is accepted wherever one is expected."""

    JINJA2 = "jinja2"
    MARKDOWN = "markdown"


_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")
_HAS_NO_ATTRIBUTE = re.compile(r"has no attribute '([^']+)'")


def sandboxed_environment(*, loader: Any = None, strict: bool = False, caching: bool = True) -> Environment:
    """The Jinja2 environment for prompts: sandboxed (templates cannot reach Python internals), no HTML
    escaping, block tags leave no stray blank lines, and ``StrictUndefined`` in strict mode."""
    from jinja2 import StrictUndefined, Undefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=loader,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=StrictUndefined if strict else Undefined,
        cache_size=400 if caching else 0,
        auto_reload=not caching,
    )


@dataclass
class PromptTemplate:
    """A template with its name, version and defaults.

    ``render(**variables)`` merges, lowest first: the manager's ``default_variables``, the template's own
    defaults (markdown front matter), variables bound with :meth:`with_variables`, then the call's.
    A template built directly (``PromptTemplate(name="x", source="Hi {{ who }}")``) compiles in its own
    sandboxed environment.
    """

    name: str
    source: str
    version: str | None = None
    template_type: TemplateType = "jinja2"
    path: Path | None = None
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    strict: bool = False
    _compiled: Template | None = field(default=None, repr=False, compare=False)
    _environment: Environment | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.template_type not in ("jinja2", "markdown"):
            raise TemplateValidationError(
                self.name, f"unknown template_type {self.template_type!r}; allowed: jinja2, markdown"
            )
        self.template_type = TemplateType(self.template_type)
        if self.template_type == "jinja2" and self._compiled is None:
            self._compiled = self._compile(self.source)

    def _env(self) -> Environment:
        if self._environment is None:
            self._environment = sandboxed_environment(strict=self.strict)
        return self._environment

    def _compile(self, source: str) -> Template:
        from jinja2 import TemplateSyntaxError

        try:
            return self._env().from_string(source)
        except TemplateSyntaxError as exc:
            raise TemplateValidationError(
                self.name, f"Jinja2 syntax error on line {exc.lineno}: {exc.message}"
            ) from exc

    @property
    def label(self) -> str:
        return f"{self.version}/{self.name}" if self.version else self.name

    def render(self, **variables: Any) -> str:
        """Render with ``variables``; any failure is a :class:`TemplateRenderError` naming this template."""
        values = {**self.defaults, **variables}
        if self.template_type == "markdown":
            if self.strict:
                missing = [key for key in self.required if key not in values]
                if missing:
                    raise TemplateRenderError(
                        self.name,
                        self.version,
                        f"variable(s) undefined: {', '.join(missing)}",
                        variable=missing[0],
                    )
            return render_markdown(
                self.source, values, name=self.name, version=self.version, strict=self.strict
            )
        assert self._compiled is not None
        return _render_jinja(self._compiled, values, self.name, self.version)

    def __str__(self) -> str:
        """The template rendered with its defaults, as the original ``PromptTemplate`` did."""
        return self.render()

    def with_variables(self, **variables: Any) -> PromptTemplate:
        """A copy with ``variables`` bound as defaults (partial application)."""
        return replace(self, defaults={**self.defaults, **variables})

    def get_variables(self) -> set[str]:
        """The variables the template reads (for Jinja2, across the templates it extends or includes)."""
        if self.template_type == "markdown":
            return placeholders(self.source) | set(self.required)
        return _jinja_variables(self._env(), self.source)


def _render_jinja(template: Template, values: dict[str, Any], name: str, version: str | None) -> str:
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    try:
        return template.render(values)
    except UndefinedError as exc:
        message = str(exc)
        variable: str | None = None
        reason = message
        if match := _UNDEFINED_NAME.search(message):
            variable = match.group(1)
            reason = f"variable {variable!r} is undefined"
        elif match := _HAS_NO_ATTRIBUTE.search(message):
            variable = match.group(1)
        raise TemplateRenderError(name, version, reason, variable=variable) from exc
    except SecurityError as exc:
        raise TemplateRenderError(name, version, f"blocked by the template sandbox: {exc}") from exc
    except TemplateNotFound as exc:
        raise TemplateRenderError(
            name, version, f"it uses template {exc.name!r}, which does not exist"
        ) from exc
    except TemplateSyntaxError as exc:
        where = f" ({exc.name}, line {exc.lineno})" if exc.name else f" (line {exc.lineno})"
        raise TemplateRenderError(
            name, version, f"syntax error in a parent template{where}: {exc.message}"
        ) from exc
    except Exception as exc:
        raise TemplateRenderError(name, version, f"{type(exc).__name__}: {exc}") from exc


def _jinja_variables(env: Environment, source: str) -> set[str]:
    from jinja2 import TemplateError, meta

    found: set[str] = set()
    seen: set[str] = set()
    pending: list[str] = [source]
    while pending:
        current = pending.pop()
        try:
            ast = env.parse(current)
        except TemplateError:
            continue
        found |= meta.find_undeclared_variables(ast)
        for ref in meta.find_referenced_templates(ast):
            if ref is None or ref in seen or env.loader is None:
                continue
            seen.add(ref)
            try:
                parent_source, _, _ = env.loader.get_source(env, ref)
            except TemplateError:
                continue
            pending.append(parent_source)
    return found
