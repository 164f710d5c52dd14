"""Built-in filesystem, search and bash tools with a sandbox that holds.

Users import these from ``mamba_agents.tools`` (and ``mamba_agents.tools.filesystem``);
names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "read_file": "filesystem",
    "write_file": "filesystem",
    "append_file": "filesystem",
    "list_directory": "filesystem",
    "file_info": "filesystem",
    "delete_file": "filesystem",
    "move_file": "filesystem",
    "copy_file": "filesystem",
    "read_window": "filesystem",
    "TextWindow": "filesystem",
    "glob_search": "search",
    "grep_search": "search",
    "GrepMatch": "search",
    "GrepResults": "search",
    "run_bash": "bash",
    "run_bash_async": "bash",
    "BashResult": "bash",
    "FilesystemSecurity": "security",
    "CommandPolicy": "commands",
    "ResultList": "results",
    "build_toolset": "toolset",
    "SandboxedToolset": "toolset",
    "GROUPS": "toolset",
    "TOOL_NAMES": "toolset",
    "ToolError": "errors",
    "PathOutsideSandboxError": "errors",
    "ProtectedPathError": "errors",
    "ExtensionNotAllowedError": "errors",
    "ReadOnlyError": "errors",
    "SymlinkLoopError": "errors",
    "FileTooLargeError": "errors",
    "PathNotFoundError": "errors",
    "NotAFileError": "errors",
    "NotADirectoryToolError": "errors",
    "BinaryFileError": "errors",
    "CommandDeniedError": "errors",
    "CommandTimeoutError": "errors",
    "InvalidArgumentError": "errors",
}

__all__ = [
    "GROUPS",
    "TOOL_NAMES",
    "BashResult",
    "BinaryFileError",
    "CommandDeniedError",
    "CommandPolicy",
    "CommandTimeoutError",
    "ExtensionNotAllowedError",
    "FileTooLargeError",
    "FilesystemSecurity",
    "GrepMatch",
    "GrepResults",
    "InvalidArgumentError",
    "NotADirectoryToolError",
    "NotAFileError",
    "PathNotFoundError",
    "PathOutsideSandboxError",
    "ProtectedPathError",
    "ReadOnlyError",
    "ResultList",
    "SandboxedToolset",
    "SymlinkLoopError",
    "TextWindow",
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
    "read_window",
    "run_bash",
    "run_bash_async",
    "write_file",
]


__getattr__, __dir__ = lazy_exports(
    __name__, {name: f"mamba_agents_tools.{module}" for name, module in _EXPORTS.items()}
)


if TYPE_CHECKING:
    from mamba_agents_tools.bash import BashResult, run_bash, run_bash_async
    from mamba_agents_tools.commands import CommandPolicy
    from mamba_agents_tools.errors import (
        BinaryFileError,
        CommandDeniedError,
        CommandTimeoutError,
        ExtensionNotAllowedError,
        FileTooLargeError,
        InvalidArgumentError,
        NotADirectoryToolError,
        NotAFileError,
        PathNotFoundError,
        PathOutsideSandboxError,
        ProtectedPathError,
        ReadOnlyError,
        SymlinkLoopError,
        ToolError,
    )
    from mamba_agents_tools.filesystem import (
        TextWindow,
        append_file,
        copy_file,
        delete_file,
        file_info,
        list_directory,
        move_file,
        read_file,
        read_window,
        write_file,
    )
    from mamba_agents_tools.results import ResultList
    from mamba_agents_tools.search import GrepMatch, GrepResults, glob_search, grep_search
    from mamba_agents_tools.security import FilesystemSecurity
    from mamba_agents_tools.toolset import GROUPS, TOOL_NAMES, SandboxedToolset, build_toolset
