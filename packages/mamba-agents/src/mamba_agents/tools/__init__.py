"""Built-in tools: filesystem, glob, grep and bash, with a security sandbox.

Provided by the ``mamba-agents-tools`` plugin package; every name loads on first use and, when the package is
missing, raises ``ImportError`` saying what to install.

    from mamba_agents.tools import read_file, run_bash, grep_search
    from mamba_agents.tools.filesystem import FilesystemSecurity
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "read_file": "mamba_agents_tools.filesystem",
    "write_file": "mamba_agents_tools.filesystem",
    "append_file": "mamba_agents_tools.filesystem",
    "list_directory": "mamba_agents_tools.filesystem",
    "file_info": "mamba_agents_tools.filesystem",
    "delete_file": "mamba_agents_tools.filesystem",
    "move_file": "mamba_agents_tools.filesystem",
    "copy_file": "mamba_agents_tools.filesystem",
    "glob_search": "mamba_agents_tools.search",
    "grep_search": "mamba_agents_tools.search",
    "GrepMatch": "mamba_agents_tools.search",
    "run_bash": "mamba_agents_tools.bash",
    "run_bash_async": "mamba_agents_tools.bash",
    "BashResult": "mamba_agents_tools.bash",
    "FilesystemSecurity": "mamba_agents_tools.security",
    "build_toolset": "mamba_agents_tools.toolset",
    "ToolError": "mamba_agents_tools.errors",
    "PathOutsideSandboxError": "mamba_agents_tools.errors",
    "ProtectedPathError": "mamba_agents_tools.errors",
    "ExtensionNotAllowedError": "mamba_agents_tools.errors",
    "ReadOnlyError": "mamba_agents_tools.errors",
    "FileTooLargeError": "mamba_agents_tools.errors",
    "PathNotFoundError": "mamba_agents_tools.errors",
    "BinaryFileError": "mamba_agents_tools.errors",
    "CommandDeniedError": "mamba_agents_tools.errors",
    "CommandTimeoutError": "mamba_agents_tools.errors",
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
    "ProtectedPathError",
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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


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
        ProtectedPathError,
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
