"""Entry point module: registrations only (the heavy modules load on first lookup)."""

from typing import Any

from mamba_agents.plugins import hookimpl, lazy

_FACTORY = "mamba_agents_tools.toolset:build_toolset"
# The group name is also the module that holds the group's tools.
_GROUPS = {
    "filesystem": (
        "read_file",
        "write_file",
        "append_file",
        "list_directory",
        "file_info",
        "delete_file",
        "move_file",
        "copy_file",
    ),
    "search": ("glob_search", "grep_search"),
    "bash": ("run_bash",),
}


@hookimpl
def mamba_register_tools(register) -> None:
    for group, names in _GROUPS.items():
        for name in names:
            register(name, lazy(f"mamba_agents_tools.{group}:{name}"), toolset_factory=_FACTORY, group=group)
        register(group, names, kind="group")


@hookimpl
def mamba_register_commands(cli: Any) -> None:
    # by import path: `mamba --help` lists the command without importing the tools
    cli.add_lazy_command(
        "tools",
        "mamba_agents_tools.cli:tools_group",
        help="Built-in tools: doctor reports run_bash protections.",
    )
