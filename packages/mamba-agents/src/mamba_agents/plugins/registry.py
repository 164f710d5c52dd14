"""One registry per kind of registered thing; names are unique across plugins."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from mamba_agents.plugins.errors import PluginConflictError, PluginError, UnknownNameError

# Which first-party package provides a name, so an unknown-name error can say what to install.
FIRST_PARTY_PROVIDERS: dict[str, dict[str, str]] = {
    "compaction_strategies": dict.fromkeys(
        ("summarize_older", "selective_pruning", "importance_scoring", "hybrid"), "mamba-agents-compaction"
    ),
    "tools": dict.fromkeys(
        (
            "read_file",
            "write_file",
            "append_file",
            "list_directory",
            "file_info",
            "delete_file",
            "move_file",
            "copy_file",
            "glob_search",
            "grep_search",
            "run_bash",
            "filesystem",
            "search",
            "bash",
        ),
        "mamba-agents-tools",
    ),
    "backends": {
        **dict.fromkeys(
            ("openai_compatible", "ollama", "vllm", "lmstudio", "llamacpp"), "mamba-agents-backends"
        ),
        "local": "mamba-agents-local",
    },
    "workflows": dict.fromkeys(("react", "plan_execute", "reflection"), "mamba-agents-workflows"),
    "mcp_transports": dict.fromkeys(("stdio", "sse", "streamable_http"), "mamba-agents-mcp"),
    "session_stores": dict.fromkeys(
        ("sqlite", "postgresql", "postgres", "redis", "rediss", "memory"), "mamba-agents-sessions"
    ),
}


_SINGULAR = {
    "compaction_strategies": "compaction strategy",
    "tools": "tool",
    "backends": "backend",
    "workflows": "workflow",
    "mcp_transports": "MCP transport",
    "capabilities": "capability",
    "session_stores": "session store",
}


@dataclass(frozen=True)
class lazy:
    """A reference imported only when the name is first looked up, so plugin entry modules stay tiny."""

    target: str

    def resolve(self) -> Any:
        module, _, attr = self.target.partition(":")
        obj: Any = importlib.import_module(module)
        for part in filter(None, attr.split(".")):
            obj = getattr(obj, part)
        return obj


@dataclass
class Registration:
    """One registered name: the object, the plugin that registered it and the metadata it passed.

    ``replaced`` names the plugin whose registration this one overrode (``override=True``, allowed by
    ``[plugins] overrides``).
    """

    name: str
    value: Any
    plugin: str
    meta: dict[str, Any] = field(default_factory=dict)
    replaced: str | None = None

    @property
    def obj(self) -> Any:
        if isinstance(self.value, lazy):
            try:
                self.value = self.value.resolve()
            except Exception as exc:
                raise PluginError(
                    f"plugin {self.plugin!r} registered {self.name!r} as {self.value.target!r}, "
                    f"which cannot be imported: {type(exc).__name__}: {exc}"
                ) from exc
        return self.value


@dataclass
class Registry:
    """Names of one kind (tools, backends, ...) mapped to what registered them.

    A name belongs to the first plugin that registers it (the core, then first-party plugins, then the
    rest by name). A later plugin registering the same name is refused with :class:`PluginConflictError`
    (the manager reports it and keeps the plugin's other names), unless it passes ``override=True`` and
    configuration allows that plugin to override (``[plugins] overrides``).
    """

    kind: str
    _entries: dict[str, Registration] = field(default_factory=dict)
    refused: dict[str, list[str]] = field(default_factory=dict)

    def add(
        self,
        name: str,
        obj: Any,
        *,
        plugin: str,
        override: bool = False,
        may_override: bool = False,
        **meta: Any,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"plugin {plugin!r} registered a {self.kind} entry with an invalid name {name!r}"
            )
        current = self._entries.get(name)
        replaced = None
        if current is not None:
            if current.plugin == plugin:
                raise PluginConflictError(f"plugin {plugin!r} registered {self.kind} name {name!r} twice")
            if not (override and may_override):
                self.refused.setdefault(name, []).append(plugin)
                how = (
                    f"add {plugin!r} to [plugins] overrides to let it replace it"
                    if override
                    else "a plugin meant to replace it registers with override=True and is listed in "
                    "[plugins] overrides"
                )
                raise PluginConflictError(
                    f"{self.kind} name {name!r} is already registered by plugin {current.plugin!r}; "
                    f"plugin {plugin!r}'s registration is ignored ({how})"
                )
            replaced = current.plugin
        self._entries[name] = Registration(name, obj, plugin, dict(meta), replaced)

    def remove_plugin(self, plugin: str) -> None:
        """Forget every name ``plugin`` registered (it failed part-way and is skipped as a whole)."""
        for name in [n for n, e in self._entries.items() if e.plugin == plugin]:
            del self._entries[name]

    def entry(self, name: str) -> Registration:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def get(self, name: str) -> Any:
        return self.entry(name).obj

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._entries)

    def entries(self) -> list[Registration]:
        return [self._entries[n] for n in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def unknown_message(self, name: str) -> str:
        """Why ``name`` cannot be used: the closest registered name, all of them, and what to install."""
        import difflib

        label = _SINGULAR.get(self.kind, self.kind)
        known = ", ".join(self.names()) or "none"
        close = difflib.get_close_matches(str(name), self.names(), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = f"unknown {label} {name!r}; registered: {known}{hint}"
        provider = FIRST_PARTY_PROVIDERS.get(self.kind, {}).get(name)
        if provider:
            message += f". {name!r} is provided by the {provider!r} package: pip install {provider}"
        return message
