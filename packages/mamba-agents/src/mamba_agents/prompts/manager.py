"""``PromptManager``: find, load, cache and render versioned prompt templates."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mamba_agents.prompts.config import PromptConfig, TemplateConfig, valid_segment, valid_template_name
from mamba_agents.prompts.errors import (
    PromptNotFoundError,
    TemplateConflictError,
    TemplateValidationError,
)
from mamba_agents.prompts.markdown import parse_markdown
from mamba_agents.prompts.template import PromptTemplate, TemplateType, sandboxed_environment

if TYPE_CHECKING:
    from jinja2 import Environment


class PromptManager:
    """Versioned prompt templates from ``config.prompts_dir``, plus templates registered in code.

    Files: ``<prompts_dir>/<version>/<name><ext>``. Jinja2 templates may ``{% extends %}`` or
    ``{% include %}`` others by their path under ``prompts_dir`` (``"v1/base/base.jinja2"``). Templates
    run in a Jinja2 sandbox. Registered templates win over files of the same name and version, compile in
    the same environment (so strict mode and ``extends`` work for them too), and can themselves be extended
    as ``"<version>/<name>"``.
    """

    def __init__(self, config: PromptConfig | None = None) -> None:
        if config is not None and not isinstance(config, PromptConfig):
            raise TypeError(f"config must be a PromptConfig, got {type(config).__name__}")
        self._config = config or PromptConfig()
        self._root = Path(self._config.prompts_dir).expanduser().resolve()
        self._lock = threading.RLock()
        self._registered: dict[tuple[str, str], PromptTemplate] = {}
        self._registered_sources: dict[str, str] = {}
        self._cache: dict[tuple[str, str], PromptTemplate] = {}
        self._environment: Environment | None = None

    @property
    def config(self) -> PromptConfig:
        return self._config

    @property
    def prompts_dir(self) -> Path:
        """The resolved template folder."""
        return self._root

    def __repr__(self) -> str:
        version = self._config.default_version
        return f"PromptManager(prompts_dir={str(self._root)!r}, default_version={version!r})"

    # -- environment ----------------------------------------------------------------------------------------

    def _env(self) -> Environment:
        if self._environment is None:
            from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader

            loader = ChoiceLoader([DictLoader(self._registered_sources), FileSystemLoader(str(self._root))])
            self._environment = sandboxed_environment(
                loader=loader, strict=self._config.strict_mode, caching=self._config.enable_caching
            )
        return self._environment

    # -- lookup ---------------------------------------------------------------------------------------------

    def _key(self, name: str, version: str | None) -> tuple[str, str]:
        if not isinstance(name, str):
            raise TypeError(f"a template name is a str, got {type(name).__name__}")
        for ext in self._config.file_extensions:
            if name.endswith(ext) and len(name) > len(ext):
                name = name[: -len(ext)]
                break
        if not valid_template_name(name):
            raise TemplateValidationError(
                name, "a template name is like 'system/assistant': letters, digits, '_', '-', '.', no '..'"
            )
        version = self._config.default_version if version is None else version
        if not isinstance(version, str) or not valid_segment(version):
            raise TemplateValidationError(
                name, f"version must be a folder name such as 'v1', got {version!r}"
            )
        return name, version

    def _files(self, name: str, version: str) -> list[Path]:
        base = self._root / version
        return [
            base / f"{name}{ext}" for ext in self._config.file_extensions if (base / f"{name}{ext}").is_file()
        ]

    def get(self, name: str, version: str | None = None) -> PromptTemplate:
        """The template ``name`` at ``version`` (default: ``config.default_version``)."""
        name, version = self._key(name, version)
        with self._lock:
            registered = self._registered.get((name, version))
            if registered is not None:
                return registered
            if self._config.enable_caching:
                cached = self._cache.get((name, version))
                if cached is not None:
                    return cached
        template = self._load(name, version)
        if self._config.enable_caching:
            with self._lock:
                self._cache[(name, version)] = template
        return template

    def _load(self, name: str, version: str) -> PromptTemplate:
        files = self._files(name, version)
        if len(files) > 1:
            raise TemplateConflictError(name, version, [path.name[len(Path(name).name) :] for path in files])
        if not files:
            folder = self._root / version
            raise PromptNotFoundError(
                name,
                version,
                available=self.list_prompts(version=version),
                other_versions=[v for v in self.list_versions(name) if v != version],
                searched=str(folder) if folder.is_dir() else f"{self._root} (it has no folder {version!r})",
            )
        path = files[0]
        markdown = self._config.markdown_extension
        if markdown and path.name.endswith(markdown):
            return self._markdown(name, version, path.read_text(encoding="utf-8"), path)
        from jinja2 import TemplateSyntaxError

        relative = f"{version}/{name}{self._config.file_extension}"
        try:
            compiled = self._env().get_template(relative)
        except TemplateSyntaxError as exc:
            raise TemplateValidationError(
                name, f"Jinja2 syntax error in {path} on line {exc.lineno}: {exc.message}"
            ) from exc
        return PromptTemplate(
            name=name,
            version=version,
            source=path.read_text(encoding="utf-8"),
            template_type="jinja2",
            path=path,
            defaults=dict(self._config.default_variables),
            strict=self._config.strict_mode,
            _compiled=compiled,
            _environment=self._env(),
        )

    def _markdown(self, name: str, version: str, text: str, path: Path | None) -> PromptTemplate:
        parsed = parse_markdown(name, text)
        return PromptTemplate(
            name=name,
            version=version,
            source=parsed.body,
            template_type="markdown",
            path=path,
            description=parsed.description,
            metadata=parsed.metadata,
            defaults={**self._config.default_variables, **parsed.defaults},
            required=parsed.required,
            strict=self._config.strict_mode,
        )

    def exists(self, name: str, version: str | None = None) -> bool:
        name, version = self._key(name, version)
        return (name, version) in self._registered or bool(self._files(name, version))

    # -- rendering ------------------------------------------------------------------------------------------

    def render(self, template_name: str, /, version: str | None = None, **variables: Any) -> str:
        """Render ``template_name``; every other keyword is a template variable."""
        return self.get(template_name, version).render(**variables)

    def render_string(self, source: str, /, **variables: Any) -> str:
        """Render ad-hoc Jinja2 ``source`` in this manager's sandbox (strict mode and ``extends`` apply)."""
        if not isinstance(source, str):
            raise TypeError(f"render_string() takes template source text, got {type(source).__name__}")
        from jinja2 import TemplateSyntaxError

        try:
            compiled = self._env().from_string(source)
        except TemplateSyntaxError as exc:
            raise TemplateValidationError(
                "<string>", f"Jinja2 syntax error on line {exc.lineno}: {exc.message}"
            ) from exc
        template = PromptTemplate(
            name="<string>",
            source=source,
            defaults=dict(self._config.default_variables),
            strict=self._config.strict_mode,
            _compiled=compiled,
            _environment=self._env(),
        )
        return template.render(**variables)

    def render_config(self, config: TemplateConfig | Mapping[str, Any]) -> str:
        """Render the template a :class:`TemplateConfig` points at, with its variables."""
        if not isinstance(config, TemplateConfig):
            config = TemplateConfig.model_validate(config)
        return self.get(config.name, config.version).render(**config.variables)

    # -- registration ---------------------------------------------------------------------------------------

    def register(
        self,
        name: str,
        template: str | PromptTemplate,
        version: str | None = None,
        *,
        template_type: TemplateType = "jinja2",
    ) -> PromptTemplate:
        """Add a template in code (it wins over a file of the same name and version); returns it."""
        name, version = self._key(name, version)
        if isinstance(template, PromptTemplate):
            registered = dataclasses.replace(template, name=name, version=version)
        elif isinstance(template, str):
            if template_type == "markdown":
                registered = self._markdown(name, version, template, None)
            elif template_type == "jinja2":
                from jinja2 import TemplateSyntaxError

                try:
                    compiled = self._env().from_string(template)
                except TemplateSyntaxError as exc:
                    raise TemplateValidationError(
                        name, f"Jinja2 syntax error on line {exc.lineno}: {exc.message}"
                    ) from exc
                registered = PromptTemplate(
                    name=name,
                    version=version,
                    source=template,
                    defaults=dict(self._config.default_variables),
                    strict=self._config.strict_mode,
                    _compiled=compiled,
                    _environment=self._env(),
                )
            else:
                raise TemplateValidationError(name, f"unknown template_type {template_type!r}")
        else:
            raise TypeError(
                f"register() takes a template source str or a PromptTemplate, got {type(template)}"
            )
        with self._lock:
            self._registered[(name, version)] = registered
            if registered.template_type == "jinja2":
                for key in (f"{version}/{name}", f"{version}/{name}{self._config.file_extension}"):
                    self._registered_sources[key] = registered.source
            self._cache.pop((name, version), None)
            self._clear_env_cache()
        return registered

    def unregister(self, name: str, version: str | None = None) -> None:
        name, version = self._key(name, version)
        with self._lock:
            self._registered.pop((name, version), None)
            for key in (f"{version}/{name}", f"{version}/{name}{self._config.file_extension}"):
                self._registered_sources.pop(key, None)
            self._clear_env_cache()

    # -- listing --------------------------------------------------------------------------------------------

    def list_prompts(self, category: str | None = None, *, version: str | None = None) -> list[str]:
        """Template names (files in every version, or only ``version``, plus registered ones), sorted;
        ``category="system"`` keeps ``system/...``."""
        if category is not None:
            category = category.strip("/")
            if not valid_template_name(category):
                raise TemplateValidationError(category, "a category is a folder such as 'system'")
        if version is not None and not valid_segment(version):
            raise TemplateValidationError(str(version), "version must be a folder name such as 'v1'")
        names: set[str] = set()
        for folder in self._version_dirs():
            if version is not None and folder.name != version:
                continue
            for ext in self._config.file_extensions:
                for path in folder.rglob(f"*{ext}"):
                    if path.is_file():
                        relative = path.relative_to(folder).as_posix()[: -len(ext)]
                        if valid_template_name(relative):
                            names.add(relative)
        with self._lock:
            names.update(n for (n, v) in self._registered if version is None or v == version)
        if category is not None:
            names = {n for n in names if n.startswith(category + "/")}
        return sorted(names)

    def list_versions(self, name: str) -> list[str]:
        """The versions that have ``name``, in natural order (``v2`` before ``v10``)."""
        name, _ = self._key(name, None)
        versions = {folder.name for folder in self._version_dirs() if self._files(name, folder.name)}
        with self._lock:
            versions.update(v for (n, v) in self._registered if n == name)
        return sorted(versions, key=_natural_key)

    def _version_dirs(self) -> list[Path]:
        if not self._root.is_dir():
            return []
        return sorted(p for p in self._root.iterdir() if p.is_dir() and valid_segment(p.name))

    # -- caching --------------------------------------------------------------------------------------------

    def clear_cache(self) -> None:
        """Forget loaded templates, so edited files are read again."""
        with self._lock:
            self._cache.clear()
            self._clear_env_cache()

    def _clear_env_cache(self) -> None:
        if self._environment is not None and self._environment.cache is not None:
            self._environment.cache.clear()


def _natural_key(value: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", value)]
