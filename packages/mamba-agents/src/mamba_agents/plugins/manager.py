"""Discover, filter, load and register plugins: a typed facade over pluggy."""

from __future__ import annotations

import importlib
import logging
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pluggy

from mamba_agents.plugins import hookspecs
from mamba_agents.plugins.registry import Registry

logger = logging.getLogger("mamba_agents.plugins")

ENTRY_POINT_GROUP = "mamba_agents"

# The core's own features, registered through the same hooks as everyone else's.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "mamba_agents.context.plugin",
    "mamba_agents.backends.plugin",
    "mamba_agents.clock",
)

# hook name -> registry kind
KINDS: dict[str, str] = {
    "mamba_register_compaction_strategies": "compaction_strategies",
    "mamba_register_tools": "tools",
    "mamba_register_backends": "backends",
    "mamba_register_workflows": "workflows",
    "mamba_register_mcp_transports": "mcp_transports",
    "mamba_register_capabilities": "capabilities",
}


class PluginWarning(UserWarning):
    """A plugin failed to load or register and was skipped."""


@dataclass
class PluginInfo:
    """What ``mamba plugins`` reports about one plugin."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    enabled: bool = True
    reason: str | None = None
    loaded: bool = False
    import_seconds: float | None = None
    hooks: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "distribution": self.distribution,
            "version": self.version,
            "builtin": self.builtin,
            "enabled": self.enabled,
            "reason": self.reason,
            "loaded": self.loaded,
            "import_ms": None if self.import_seconds is None else round(self.import_seconds * 1000, 3),
            "hooks": self.hooks,
            "registered": self.registered,
            "error": self.error,
        }


@dataclass(frozen=True)
class PluginSource:
    """A plugin found in metadata (an entry point) or in DEFAULT_PLUGINS, not yet imported."""

    name: str
    module: str
    load: Callable[[], Any]
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False


def discover_entry_points(group: str = ENTRY_POINT_GROUP) -> list[PluginSource]:
    """List the plugins installed for ``group`` from distribution metadata only (nothing is imported)."""
    # The stdlib module, not the importlib-metadata backport: on 3.11+ it has the same selection API and
    # its first call does not pay the backport's ~11 ms of lazy imports.
    from importlib import metadata

    seen: set[tuple[str, str]] = set()
    sources: list[PluginSource] = []
    for ep in metadata.entry_points(group=group):
        if (ep.name, ep.value) in seen:  # the same distribution twice on sys.path
            continue
        seen.add((ep.name, ep.value))
        dist = ep.dist
        sources.append(
            PluginSource(
                name=ep.name,
                module=ep.value,
                load=ep.load,
                distribution=dist.name if dist else None,
                version=dist.version if dist else None,
            )
        )
    return sorted(sources, key=lambda s: s.name)


def builtin_sources(modules: Iterable[str] = DEFAULT_PLUGINS) -> list[PluginSource]:
    return [
        PluginSource(
            name=m,
            module=m,
            load=partial(importlib.import_module, m),
            distribution="mamba-agents",
            builtin=True,
        )
        for m in modules
    ]


class PluginManager:
    """Loads plugins once, on first lookup, and keeps one :class:`Registry` per kind.

    ``enabled`` is an allow-list of entry-point names (``None`` allows all); ``disabled`` always wins.
    Plugins filtered out are never imported.
    """

    def __init__(
        self,
        *,
        enabled: Sequence[str] | None = None,
        disabled: Sequence[str] = (),
        entry_points: bool | Sequence[PluginSource] = True,
        builtins: Sequence[str] = DEFAULT_PLUGINS,
    ) -> None:
        self.enabled = None if enabled is None else list(enabled)
        self.disabled = list(disabled)
        self._entry_points = entry_points
        self._builtins = tuple(builtins)
        self.hook = pluggy.PluginManager("mamba_agents")
        self.hook.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self._registries = {kind: Registry(kind) for kind in KINDS.values()}
        self._extra: list[tuple[str, object]] = []
        self._loaded = False
        self._lock = threading.RLock()

    # -- public API -----------------------------------------------------------------------------------

    def registry(self, kind: str) -> Registry:
        """The registry for ``kind`` (``tools``, ``backends``, ...), loading plugins on first use."""
        self.load()
        try:
            return self._registries[kind]
        except KeyError:
            raise ValueError(
                f"unknown registry kind {kind!r}; kinds: {', '.join(self._registries)}"
            ) from None

    def get(self, kind: str, name: str) -> Any:
        return self.registry(kind).get(name)

    def register(self, plugin: object, name: str | None = None) -> str:
        """Add a plugin object (a module or an object with hookimpls) directly, e.g. in tests."""
        with self._lock:
            plugin_name = name or getattr(plugin, "__name__", None) or f"object:{id(plugin):x}"
            if self._loaded:
                self._add(plugin_name, plugin, PluginInfo(name=plugin_name, module=repr(plugin)))
            else:
                self._extra.append((plugin_name, plugin))
            return plugin_name

    def plugins(self) -> list[PluginInfo]:
        self.load()
        return list(self.infos.values())

    def load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            for source in self._sources():
                info = PluginInfo(
                    name=source.name,
                    module=source.module,
                    distribution=source.distribution,
                    version=source.version,
                    builtin=source.builtin,
                )
                self.infos[source.name] = info
                reason = self._blocked(source)
                if reason:
                    info.enabled, info.reason = False, reason
                    continue
                started = time.perf_counter()
                try:
                    module = source.load()
                except BaseException as exc:  # a plugin must never take the framework down
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    info.import_seconds = time.perf_counter() - started
                    self._fail(info, f"import failed: {type(exc).__name__}: {exc}", exc)
                    continue
                info.import_seconds = time.perf_counter() - started
                self._add(source.name, module, info)
            for plugin_name, plugin in self._extra:
                self._add(plugin_name, plugin, PluginInfo(name=plugin_name, module=repr(plugin)))
            self._extra.clear()
            self._loaded = True

    def add_commands(self, cli: Any) -> None:
        """Let every loaded plugin add sub-commands to the ``mamba`` click group."""
        self.load()
        for impl in self.hook.hook.mamba_register_commands.get_hookimpls():
            try:
                impl.function(cli=cli)
            except Exception as exc:
                self._fail(self.infos[impl.plugin_name], f"mamba_register_commands failed: {exc}", exc)

    # -- internals ------------------------------------------------------------------------------------

    def _sources(self) -> list[PluginSource]:
        sources = builtin_sources(self._builtins)
        if self._entry_points is True:
            sources += discover_entry_points()
        elif self._entry_points:
            sources += list(self._entry_points)
        return sources

    def _blocked(self, source: PluginSource) -> str | None:
        if source.name in self.disabled:
            return "disabled by configuration ([plugins] disabled / MAMBA_PLUGINS__DISABLED)"
        if source.builtin:
            return None
        if self.enabled is not None and source.name not in self.enabled:
            return "not in the allow-list ([plugins] enabled / MAMBA_PLUGINS__ENABLED)"
        return None

    def _add(self, plugin_name: str, plugin: object, info: PluginInfo) -> None:
        self.infos[plugin_name] = info
        try:
            self.hook.register(plugin, name=plugin_name)
        except Exception as exc:  # pluggy validation errors (bad hook signature, unknown hook name)
            self._fail(info, f"invalid plugin: {exc}", exc)
            return
        info.loaded = True
        info.hooks = sorted(impl.name for impl in self.hook.get_hookcallers(plugin) or [])
        for hook_name, kind in KINDS.items():
            caller = getattr(self.hook.hook, hook_name)
            for impl in caller.get_hookimpls():
                if impl.plugin_name != plugin_name:
                    continue
                registry = self._registries[kind]
                names: list[str] = []

                def register(
                    name: str, obj: Any, _reg: Registry = registry, _names: list[str] = names, **meta: Any
                ) -> None:
                    _reg.add(name, obj, plugin=plugin_name, **meta)
                    _names.append(name)

                try:
                    impl.function(register=register)
                except Exception as exc:
                    self._fail(info, f"{hook_name} failed: {type(exc).__name__}: {exc}", exc)
                if names:
                    info.registered.setdefault(kind, []).extend(names)

    def _fail(self, info: PluginInfo, message: str, exc: BaseException) -> None:
        info.error = message if info.error is None else f"{info.error}; {message}"
        logger.debug("plugin %s: %s\n%s", info.name, message, "".join(traceback.format_exception(exc)))
        warnings.warn(f"mamba-agents plugin {info.name!r} skipped: {message}", PluginWarning, stacklevel=3)


_managers: dict[tuple[tuple[str, ...] | None, tuple[str, ...]], PluginManager] = {}
_managers_lock = threading.Lock()
_override: PluginManager | None = None


def get_plugin_manager(plugins: Any = None) -> PluginManager:
    """The process-wide manager for a plugin configuration (``PluginsConfig``; ``None`` reads settings)."""
    if _override is not None:
        return _override
    if plugins is None:
        from mamba_agents.config import PluginsConfig

        plugins = PluginsConfig.from_environment()
    key = (None if plugins.enabled is None else tuple(plugins.enabled), tuple(plugins.disabled))
    with _managers_lock:
        manager = _managers.get(key)
        if manager is None:
            manager = _managers[key] = PluginManager(enabled=plugins.enabled, disabled=plugins.disabled)
        return manager


def set_plugin_manager(manager: PluginManager | None) -> PluginManager | None:
    """Make ``manager`` the one every lookup uses (``None`` restores the default); returns the old one."""
    global _override
    previous, _override = _override, manager
    return previous


def reset_plugin_managers() -> None:
    """Forget loaded managers, so the next lookup discovers plugins again."""
    with _managers_lock:
        _managers.clear()
