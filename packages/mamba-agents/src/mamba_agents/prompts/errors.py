"""Errors raised by prompt loading and rendering. All derive from :class:`PromptError`."""

from __future__ import annotations

from collections.abc import Sequence


class PromptError(Exception):
    """Base class for prompt template errors."""


class PromptNotFoundError(PromptError, LookupError):
    """No template with this name at this version; the message lists what exists."""

    def __init__(
        self,
        name: str,
        version: str | None,
        *,
        available: Sequence[str] = (),
        other_versions: Sequence[str] = (),
        searched: str | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.available = list(available)
        self.other_versions = list(other_versions)
        at = f" (version {version})" if version else ""
        message = f"prompt {name!r}{at} not found"
        if searched:
            message += f" in {searched}"
        if self.other_versions:
            message += f"; it exists in version(s): {', '.join(self.other_versions)}"
        if self.available:
            shown = ", ".join(self.available[:20])
            more = f" and {len(self.available) - 20} more" if len(self.available) > 20 else ""
            message += f"; available{at}: {shown}{more}"
        else:
            message += "; no prompts are available there"
        super().__init__(message)


class TemplateRenderError(PromptError):
    """Rendering failed: a missing variable (strict mode), a missing parent, a sandbox violation..."""

    def __init__(self, name: str, version: str | None, reason: str, *, variable: str | None = None) -> None:
        self.name = name
        self.version = version
        self.variable = variable
        self.reason = reason
        at = f" (version {version})" if version else ""
        super().__init__(f"cannot render prompt {name!r}{at}: {reason}")

    @property
    def cause(self) -> BaseException | None:
        """The exception rendering raised (Jinja2's, the sandbox's), if any."""
        return self.__cause__


class TemplateValidationError(PromptError):
    """A template (or its name) is invalid: a Jinja2 syntax error, a bad name or version."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.detail = message
        super().__init__(f"invalid prompt {name!r}: {message}")


class MarkdownParseError(TemplateValidationError):
    """A markdown prompt's YAML front matter is malformed."""


class TemplateConflictError(PromptError):
    """Several files define the same template (e.g. ``x.jinja2`` and ``x.md``)."""

    def __init__(self, name: str, version: str, extensions: Sequence[str]) -> None:
        self.name = name
        self.version = version
        self.extensions = list(extensions)
        super().__init__(
            f"prompt {name!r} (version {version}) is defined by several files "
            f"({', '.join(name + ext for ext in self.extensions)}); keep one"
        )
