"""Names in configuration that resolve through a plugin registry, checked when an Agent is built.

A strategy, backend, tool or capability is only a string in configuration; looking it up at first use would
let a misspelt name run for several turns before failing on every one. These checks run when the ``Agent`` or
``ContextManager`` is built and say which file or variable set the name, and what is registered.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mamba_agents.config.errors import ConfigError

if TYPE_CHECKING:
    from mamba_agents.config.settings import AgentSettings
    from mamba_agents.context.config import CompactionConfig
    from mamba_agents.context.strategy import CompactionStrategy
    from mamba_agents.plugins import PluginManager

Source = Callable[[str], str]


def check_settings(settings: AgentSettings, plugins: PluginManager) -> None:
    """Raise one :class:`ConfigError` listing every registry name in ``settings`` that does not resolve."""
    source = settings.source_of
    problems: list[str] = []
    backend = settings.model_backend.backend
    if backend != "auto":
        problems += _unknown(plugins, "backends", "model_backend.backend", backend, source)
    problems += _compaction_problems(settings.context, plugins, source, "context")[1]
    for index, name in enumerate(settings.tools.enabled):
        problems += _unknown(plugins, "tools", f"tools.enabled[{index}]", name, source, "tools.enabled")
    problems += _capability_problems(settings, plugins, source)
    problems += _workflow_problems(settings, plugins, source)
    summary_model = settings.context.summarization_model
    if summary_model and not settings.model_backend.base_url:
        from mamba_agents.backends.resolve import qualify_model_name

        try:
            qualify_model_name(summary_model)
        except ConfigError as exc:
            where = source("context.summarization_model")
            problems.append(f"{where}: context.summarization_model = {summary_model!r}: {exc}")
    _raise(problems)


def build_strategy(
    config: CompactionConfig, plugins: PluginManager | None, name: str | None = None
) -> CompactionStrategy:
    """The configured compaction strategy, built now: an unknown name or option is a ``ConfigError``."""
    if plugins is None:
        from mamba_agents.plugins import get_plugin_manager

        plugins = get_plugin_manager()
    if name is not None and name != config.strategy:
        config = config.model_copy(update={"strategy": name})
    strategy, problems = _compaction_problems(config, plugins, lambda key: "CompactionConfig", "")
    _raise(problems)
    assert strategy is not None
    return strategy


def _compaction_problems(
    config: CompactionConfig, plugins: PluginManager, source: Source, prefix: str
) -> tuple[CompactionStrategy | None, list[str]]:
    from mamba_agents.context.strategy import CompactionStrategy

    key = f"{prefix}.strategy" if prefix else "strategy"
    problems = _unknown(plugins, "compaction_strategies", key, config.strategy, source)
    if problems:
        return None, problems
    cls = plugins.get("compaction_strategies", config.strategy)
    options = dict(config.strategy_options)
    options_key = f"{prefix}.strategy_options" if prefix else "strategy_options"
    if options and cls.__init__ is CompactionStrategy.__init__:
        # the base class stores any keyword and reads none: an option here would silently do nothing
        return None, [
            f"{source(options_key)}: {options_key}: compaction strategy {config.strategy!r} takes no options "
            f"(got {', '.join(sorted(options))})"
        ]
    allowed = _parameters(cls)
    if allowed is not None:
        extra = sorted(set(options) - set(allowed))
        if extra:
            return None, [
                f"{source(options_key)}: {options_key}: unknown option(s) {', '.join(map(repr, extra))} for "
                f"compaction strategy {config.strategy!r}{_hint(extra[0], allowed)} "
                f"(allowed options: {', '.join(allowed) or 'none'})"
            ]
    try:
        return cls(**options), []
    except Exception as exc:  # the strategy's own validation of its options
        return None, [f"{source(options_key)}: {options_key}: {exc}"]


def _capability_problems(settings: AgentSettings, plugins: PluginManager, source: Source) -> list[str]:
    config = settings.capabilities
    problems: list[str] = []
    for index, name in enumerate(config.enabled):
        problems += _unknown(
            plugins, "capabilities", f"capabilities.enabled[{index}]", name, source, "capabilities.enabled"
        )
    for name, options in config.options.items():
        key = f"capabilities.options.{name}"
        if name not in config.enabled:
            problems.append(
                f"{source(key)}: {key}: options for capability {name!r}, which is not in "
                f"capabilities.enabled (enabled: {', '.join(config.enabled) or 'none'})"
            )
            continue
        if name not in plugins.registry("capabilities"):
            continue
        allowed = _parameters(plugins.get("capabilities", name))
        extra = sorted(set(options) - set(allowed)) if allowed is not None else []
        if extra:
            problems.append(
                f"{source(key)}: {key}: unknown option(s) {', '.join(map(repr, extra))} for capability "
                f"{name!r}{_hint(extra[0], allowed or [])} "
                f"(allowed options: {', '.join(allowed or []) or 'none'})"
            )
    return problems


def _workflow_problems(settings: AgentSettings, plugins: PluginManager, source: Source) -> list[str]:
    config = settings.workflows
    problems: list[str] = []
    if config.default is not None:
        problems += _unknown(plugins, "workflows", "workflows.default", config.default, source)
    for name, options in config.options.items():
        key = f"workflows.options.{name}"
        unknown = _unknown(plugins, "workflows", key, name, source)
        if unknown:
            problems += unknown
            continue
        try:
            workflow_config(plugins.get("workflows", name), options, name)
        except ConfigError as exc:
            problems.append(f"{source(key)}: {exc}")
    return problems


def workflow_config(cls: Any, options: Mapping[str, Any], name: str) -> Any:
    """``cls.config_class`` built from ``options``; a wrong key or value is a ``ConfigError`` naming it."""
    from pydantic import ValidationError

    config_class = getattr(cls, "config_class", None)
    if config_class is None:
        raise ConfigError(f"workflows.options.{name}: workflow {name!r} has no config_class to take options")
    allowed = list(config_class.model_fields)
    extra = sorted(set(options) - set(allowed))
    if extra:
        raise ConfigError(
            f"workflows.options.{name}: unknown option(s) {', '.join(map(repr, extra))} for workflow "
            f"{name!r}{_hint(extra[0], allowed)} (allowed options: {', '.join(allowed)})"
        )
    try:
        return config_class(**options)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e.get('input')!r})" for e in exc.errors()
        )
        raise ConfigError(f"workflows.options.{name}: {details}") from None


def _unknown(
    plugins: PluginManager, kind: str, key: str, name: str, source: Source, source_key: str | None = None
) -> list[str]:
    registry = plugins.registry(kind)
    if name in registry:
        return []
    return [f"{source(source_key or key)}: {key} = {name!r}: {registry.unknown_message(name)}"]


def _parameters(target: Any) -> list[str] | None:
    """Keyword names ``target`` accepts, or ``None`` when it takes ``**kwargs`` (or cannot be inspected)."""
    options_model = getattr(target, "Options", None)
    fields: Mapping[str, Any] | None = getattr(options_model, "model_fields", None)
    if fields is not None:
        return list(fields)
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    names = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        if parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
            names.append(parameter.name)
    return names


def _hint(name: str, candidates: list[str]) -> str:
    from mamba_agents.config.sources import closest

    match = closest(name, candidates)
    return f"; did you mean {match!r}?" if match else ""


def _raise(problems: list[str]) -> None:
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(f"invalid configuration ({len(problems)} problems):\n  " + "\n  ".join(problems))
