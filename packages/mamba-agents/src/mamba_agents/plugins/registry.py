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
}


_SINGULAR = {
    "compaction_strategies": "compaction strategy",
    "tools": "tool",
    "backends": "backend",
    "workflows": "workflow",
    "mcp_transports": "MCP transport",
    "capabilities": "capability",
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
    """One registered name: the object, the plugin that registered it and the metadata it passed."""

    name: str
    value: Any
    plugin: str
    meta: dict[str, Any] = field(default_factory=dict)

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
    """Names of one kind (tools, backends, ...) mapped to what registered them."""

    kind: str
    _entries: dict[str, Registration] = field(default_factory=dict)
    _conflicts: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, obj: Any, *, plugin: str, **meta: Any) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"plugin {plugin!r} registered a {self.kind} entry with an invalid name {name!r}"
            )
        if name in self._entries:
            first = self._entries[name].plugin
            self._conflicts.setdefault(name, [first]).append(plugin)
            raise PluginConflictError(
                f"{self.kind} name {name!r} is registered by both plugin {first!r} and plugin {plugin!r}; "
                f"disable one of them ([plugins] disabled = [...])"
            )
        self._entries[name] = Registration(name, obj, plugin, dict(meta))

    def entry(self, name: str) -> Registration:
        if name in self._conflicts:
            owners = " and ".join(repr(p) for p in self._conflicts[name])
            raise PluginConflictError(
                f"{self.kind} name {name!r} is registered by {owners}; disable one of them to use it"
            )
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self._unknown_message(name)) from None

    def get(self, name: str) -> Any:
        return self.entry(name).obj

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[Registration]:
        return [self._entries[n] for n in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._entries and name not in self._conflicts

    def __len__(self) -> int:
        return len(self._entries)

    def _unknown_message(self, name: str) -> str:
        label = _SINGULAR.get(self.kind, self.kind)
        known = ", ".join(self.names()) or "none"
        message = f"unknown {label} {name!r}; registered: {known}"
        provider = FIRST_PARTY_PROVIDERS.get(self.kind, {}).get(name)
        if provider:
            message += f". {name!r} is provided by the {provider!r} package: pip install {provider}"
        return message
