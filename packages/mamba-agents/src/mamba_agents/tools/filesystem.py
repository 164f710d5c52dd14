"""Filesystem tools and their sandbox: ``FilesystemSecurity`` plus the eight file tools (lazy re-exports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "FilesystemSecurity": "mamba_agents_tools.security",
    "read_file": "mamba_agents_tools.filesystem",
    "write_file": "mamba_agents_tools.filesystem",
    "append_file": "mamba_agents_tools.filesystem",
    "list_directory": "mamba_agents_tools.filesystem",
    "file_info": "mamba_agents_tools.filesystem",
    "delete_file": "mamba_agents_tools.filesystem",
    "move_file": "mamba_agents_tools.filesystem",
    "copy_file": "mamba_agents_tools.filesystem",
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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


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
