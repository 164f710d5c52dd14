"""Markdown prompt files: optional YAML front matter, then a body with ``{variable}`` placeholders.

```markdown
---
description: Reviews code
variables:
  language: Python        # a default
---
You review {language} code. Write {{braces}} by doubling them.
```

``variables`` may also be a list of names (required variables without defaults). Every other front-matter
key is kept as metadata. In the body, ``{name}`` is replaced; ``{{`` and ``}}`` stand for literal braces. A
placeholder with no value stays as written, unless the template is strict, which raises instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mamba_agents.prompts.errors import MarkdownParseError, TemplateRenderError

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")


@dataclass(frozen=True)
class MarkdownPrompt:
    """A parsed markdown prompt."""

    body: str
    defaults: dict[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def parse_markdown(name: str, text: str) -> MarkdownPrompt:
    """Split ``text`` into front matter and body; :class:`MarkdownParseError` if the front matter is bad."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
        return MarkdownPrompt(body=text)
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i].rstrip("\r\n"))), None)
    if end is None:
        raise MarkdownParseError(name, "front matter starts with '---' but has no closing '---' line")
    raw = "".join(lines[1:end])
    body = "".join(lines[end + 1 :])
    import yaml

    try:
        data = yaml.safe_load(raw) if raw.strip() else {}
    except yaml.YAMLError as exc:
        raise MarkdownParseError(name, f"front matter is not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MarkdownParseError(name, f"front matter must be a mapping, got {type(data).__name__}")
    variables = data.pop("variables", None)
    defaults: dict[str, Any] = {}
    required: list[str] = []
    if isinstance(variables, dict):
        for key, value in variables.items():
            if not isinstance(key, str) or not key.isidentifier():
                raise MarkdownParseError(name, f"variable names must be identifiers, got {key!r}")
            if value is None:
                required.append(key)
            else:
                defaults[key] = value
    elif isinstance(variables, list):
        for key in variables:
            if not isinstance(key, str) or not key.isidentifier():
                raise MarkdownParseError(name, f"variable names must be identifiers, got {key!r}")
            required.append(key)
    elif variables is not None:
        raise MarkdownParseError(
            name,
            f"'variables' must be a mapping of defaults or a list of names, got {type(variables).__name__}",
        )
    description = data.pop("description", None)
    if description is not None and not isinstance(description, str):
        raise MarkdownParseError(name, "'description' must be a string")
    return MarkdownPrompt(
        body=body,
        defaults=defaults,
        required=tuple(required),
        description=description,
        metadata={str(k): v for k, v in data.items()},
    )


def placeholders(body: str) -> set[str]:
    """The variable names used in ``body``."""
    return {m.group(1) for m in _TOKEN.finditer(body) if m.group(1)}


def render_markdown(
    body: str, variables: dict[str, Any], *, name: str, version: str | None, strict: bool
) -> str:
    """Substitute ``{var}`` in one pass (so substituted values are never re-read), unescape ``{{``/``}}``."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        key = match.group(1)
        if key in variables:
            return str(variables[key])
        missing.append(key)
        return token

    rendered = _TOKEN.sub(replace, body)
    if strict and missing:
        first = missing[0]
        names = ", ".join(dict.fromkeys(missing))
        raise TemplateRenderError(name, version, f"variable(s) undefined: {names}", variable=first)
    return rendered
