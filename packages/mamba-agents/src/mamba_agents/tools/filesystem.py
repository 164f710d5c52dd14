"""Filesystem tools and their sandbox: ``FilesystemSecurity`` plus the eight file tools (lazy re-exports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mamba_agents.tools._plugin import tools_module

_EXPORTS: dict[str, str] = {
    "FilesystemSecurity": "security",
    "read_file": "filesystem",
    "write_file": "filesystem",
    "append_file": "filesystem",
    "list_directory": "filesystem",
    "file_info": "filesystem",
    "delete_file": "filesystem",
    "move_file": "filesystem",
    "copy_file": "filesystem",
}

__all__ = [
    "FilesystemSecurity",
    "append_file",
    "copy_file",
    "delete_file",
    "file_info",
    "list_directory",
    "move_file",
    "read_file",
    "write_file",
]


def __getattr__(name: str) -> Any:
    submodule = _EXPORTS.get(name)
    if submodule is None:
        raise AttributeError(f"module 'mamba_agents.tools.filesystem' has no attribute {name!r}")
    return getattr(tools_module(submodule, name), name)


if TYPE_CHECKING:
    from mamba_agents_tools.filesystem import (
        append_file,
        copy_file,
        delete_file,
        file_info,
        list_directory,
        move_file,
        read_file,
        write_file,
    )
    from mamba_agents_tools.security import FilesystemSecurity
