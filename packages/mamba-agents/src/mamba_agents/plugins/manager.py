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

from mamba_agents._lazy import PLUGIN_DISTRIBUTIONS
from mamba_agents.plugins import hookspecs
from mamba_agents.plugins.errors import PluginConflictError
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
    "mamba_register_session_stores": "session_stores",
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
    conflicts: list[str] = field(default_factory=list)

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
            "conflicts": self.conflicts,
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
    Plugins filtered out are never imported. ``overrides`` names the plugins whose ``register(...,
    override=True)`` may replace a name another plugin registered first.

    Load order decides who owns a name: the core's built-ins, then first-party plugins, then the others by
    name. A plugin that fails (import, a hook raising anything but ``KeyboardInterrupt``, an unknown hook)
    is reported and skipped as a whole; a conflicting name is reported and only that name is refused.
    """

    def __init__(
        self,
        *,
        enabled: Sequence[str] | None = None,
        disabled: Sequence[str] = (),
        entry_points: bool | Sequence[PluginSource] = True,
        builtins: Sequence[str] = DEFAULT_PLUGINS,
        overrides: Sequence[str] = (),
    ) -> None:
        self.enabled = None if enabled is None else list(enabled)
        self.disabled = list(disabled)
        self.overrides = list(overrides)
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
            sources = self._sources()
            self._check_filters(sources)
            for source in sources:
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
        """Let every loaded plugin add sub-commands to the ``mamba`` click group.

        Plugins register with ``cli.add_lazy_command(name, "module:attr", help=...)`` (imported when run) or
        any click ``Group`` method; a plain click group gets the lazy ones imported at once.
        """
        self.load()
        if not hasattr(cli, "add_lazy_command"):
            cli = _EagerCommands(cli)
        for impl in self.hook.hook.mamba_register_commands.get_hookimpls():
            try:
                impl.function(cli=cli)
            except BaseException as exc:  # SystemExit from a plugin is its failure, not the program's exit
                if isinstance(exc, KeyboardInterrupt):
                    raise
                message = f"mamba_register_commands failed: {type(exc).__name__}: {exc}"
                self._fail(self.infos[impl.plugin_name], message, exc)

    # -- internals ------------------------------------------------------------------------------------

    def _sources(self) -> list[PluginSource]:
        found: list[PluginSource] = []
        if self._entry_points is True:
            found = discover_entry_points()
        elif self._entry_points:
            found = list(self._entry_points)
        first_party = {dist for dist, _ in PLUGIN_DISTRIBUTIONS.values()} | {"mamba-agents"}
        found.sort(key=lambda s: (s.distribution not in first_party, s.name))
        return builtin_sources(self._builtins) + found

    def _check_filters(self, sources: list[PluginSource]) -> None:
        """An allow-list naming no installed plugin would silently disable every plugin: refuse it."""
        from mamba_agents.config.errors import ConfigError
        from mamba_agents.config.sources import closest

        known = [s.name for s in sources if not s.builtin]
        valid = {s.name for s in sources}
        for name in self.enabled or []:
            if name not in valid:
                match = closest(name, known)
                hint = f"; did you mean {match!r}?" if match else ""
                raise ConfigError(
                    f"plugins.enabled: no installed plugin is named {name!r}{hint} "
                    f"(installed: {', '.join(known) or 'none'}; see `mamba plugins`)"
                )
        for name in self.disabled:
            if name not in valid:
                warnings.warn(
                    f"plugins.disabled names {name!r}, which is not installed (installed: "
                    f"{', '.join(known) or 'none'})",
                    PluginWarning,
                    stacklevel=4,
                )

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
        except Exception as exc:  # pluggy validation errors (bad hook signature, a name registered twice)
            self._fail(info, f"invalid plugin: {exc}", exc)
            return
        problem = self._hook_problems(plugin)
        if problem:
            self.hook.unregister(plugin, name=plugin_name)
            self._fail(info, problem, None)
            return
        info.loaded = True
        info.hooks = sorted(impl.name for impl in self.hook.get_hookcallers(plugin) or [])
        may_override = plugin_name in self.overrides
        for hook_name, kind in KINDS.items():
            caller = getattr(self.hook.hook, hook_name)
            for impl in caller.get_hookimpls():
                if impl.plugin_name != plugin_name:
                    continue
                registry = self._registries[kind]
                names: list[str] = []

                def register(
                    name: str,
                    obj: Any,
                    _reg: Registry = registry,
                    _names: list[str] = names,
                    override: bool = False,
                    **meta: Any,
                ) -> None:
                    try:
                        _reg.add(
                            name,
                            obj,
                            plugin=plugin_name,
                            override=override,
                            may_override=may_override,
                            **meta,
                        )
                    except PluginConflictError as exc:  # only this name is refused; the rest still register
                        info.conflicts.append(str(exc))
                        logger.warning("plugin %s: %s", plugin_name, exc)
                        warnings.warn(
                            f"mamba-agents plugin {plugin_name!r}: {exc}", PluginWarning, stacklevel=2
                        )
                        return
                    _names.append(name)

                try:
                    impl.function(register=register)
                except BaseException as exc:  # a plugin must never take the framework down
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    self._skip(plugin_name, plugin, info)
                    self._fail(info, f"{hook_name} failed: {type(exc).__name__}: {exc}", exc)
                    return
                if names:
                    info.registered.setdefault(kind, []).extend(names)

    def _skip(self, plugin_name: str, plugin: object, info: PluginInfo) -> None:
        """Undo a plugin that failed part-way: none of its names stay, none of its hooks run."""
        for registry in self._registries.values():
            registry.remove_plugin(plugin_name)
        self.hook.unregister(plugin, name=plugin_name)
        info.loaded = False
        info.registered = {}

    def _hook_problems(self, plugin: object) -> str | None:
        """A misspelt hook (pluggy keeps hookimpls that match no spec) or a hook without ``@hookimpl``."""
        import difflib

        specs = sorted(n for n in dir(hookspecs) if n.startswith("mamba_"))
        problems = []
        for caller in self.hook.get_hookcallers(plugin) or []:
            if caller.spec is None:
                match = difflib.get_close_matches(caller.name, specs, n=1, cutoff=0.6)
                hint = f"; did you mean {match[0]!r}?" if match else ""
                problems.append(f"unknown hook {caller.name!r}{hint} (hooks: {', '.join(specs)})")
        marker = f"{self.hook.project_name}_impl"
        for attr in dir(plugin):
            value = getattr(plugin, attr, None)
            if attr in specs and callable(value) and not hasattr(value, marker):
                problems.append(f"{attr} is not marked with @hookimpl, so it would never be called")
        return "; ".join(problems) or None

    def _fail(self, info: PluginInfo, message: str, exc: BaseException | None) -> None:
        info.error = message if info.error is None else f"{info.error}; {message}"
        if exc is not None:
            logger.debug("plugin %s: %s\n%s", info.name, message, "".join(traceback.format_exception(exc)))
        warnings.warn(f"mamba-agents plugin {info.name!r} skipped: {message}", PluginWarning, stacklevel=3)


class _EagerCommands:
    """A plain click group seen through the ``mamba`` group's API: lazy commands are imported now."""

    def __init__(self, group: Any) -> None:
        self._group = group

    def add_lazy_command(self, name: str, target: str, help: str = "") -> None:
        from mamba_agents.plugins.registry import lazy

        self._group.add_command(lazy(target).resolve(), name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._group, name)


_managers: dict[tuple[tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]], PluginManager] = {}
_managers_lock = threading.Lock()
_override: PluginManager | None = None


def get_plugin_manager(plugins: Any = None) -> PluginManager:
    """The process-wide manager for a plugin configuration (``PluginsConfig``; ``None`` reads settings)."""
    if _override is not None:
        return _override
    if plugins is None:
        from mamba_agents.config import PluginsConfig

        plugins = PluginsConfig.from_environment()
    key = (
        None if plugins.enabled is None else tuple(plugins.enabled),
        tuple(plugins.disabled),
        tuple(plugins.overrides),
    )
    with _managers_lock:
        manager = _managers.get(key)
        if manager is None:
            manager = _managers[key] = PluginManager(
                enabled=plugins.enabled, disabled=plugins.disabled, overrides=plugins.overrides
            )
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
