"""Built-in tools: filesystem, glob, grep and bash, with a security sandbox.

Provided by the ``mamba-agents-tools`` plugin package; every name loads on first use and, when the package is
missing, raises ``ImportError`` saying what to install.

    from mamba_agents.tools import read_file, run_bash, grep_search
    from mamba_agents.tools.filesystem import FilesystemSecurity
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mamba_agents.tools._plugin import tools_module

_EXPORTS: dict[str, str] = {
    "read_file": "filesystem",
    "write_file": "filesystem",
    "append_file": "filesystem",
    "list_directory": "filesystem",
    "file_info": "filesystem",
    "delete_file": "filesystem",
    "move_file": "filesystem",
    "copy_file": "filesystem",
    "glob_search": "search",
    "grep_search": "search",
    "GrepMatch": "search",
    "run_bash": "bash",
    "run_bash_async": "bash",
    "BashResult": "bash",
    "FilesystemSecurity": "security",
    "build_toolset": "toolset",
    "ToolError": "errors",
    "PathOutsideSandboxError": "errors",
    "ExtensionNotAllowedError": "errors",
    "ReadOnlyError": "errors",
    "FileTooLargeError": "errors",
    "PathNotFoundError": "errors",
    "BinaryFileError": "errors",
    "CommandDeniedError": "errors",
    "CommandTimeoutError": "errors",
}

__all__ = [
    "BashResult",
    "BinaryFileError",
    "CommandDeniedError",
    "CommandTimeoutError",
    "ExtensionNotAllowedError",
    "FileTooLargeError",
    "FilesystemSecurity",
    "GrepMatch",
    "PathNotFoundError",
    "PathOutsideSandboxError",
    "ReadOnlyError",
    "ToolError",
    "append_file",
    "build_toolset",
    "copy_file",
    "delete_file",
    "file_info",
    "glob_search",
    "grep_search",
    "list_directory",
    "move_file",
    "read_file",
    "run_bash",
    "run_bash_async",
    "write_file",
]


def __getattr__(name: str) -> Any:
    submodule = _EXPORTS.get(name)
    if submodule is None:
        raise AttributeError(f"module 'mamba_agents.tools' has no attribute {name!r}")
    return getattr(tools_module(submodule, name), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from mamba_agents_tools.bash import BashResult, run_bash, run_bash_async
    from mamba_agents_tools.errors import (
        BinaryFileError,
        CommandDeniedError,
        CommandTimeoutError,
        ExtensionNotAllowedError,
        FileTooLargeError,
        PathNotFoundError,
        PathOutsideSandboxError,
        ReadOnlyError,
        ToolError,
    )
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
    from mamba_agents_tools.search import GrepMatch, glob_search, grep_search
    from mamba_agents_tools.security import FilesystemSecurity
    from mamba_agents_tools.toolset import build_toolset
