"""Built-in plugin: the core's default compaction strategy."""

from mamba_agents.plugins import hookimpl, lazy


@hookimpl
def mamba_register_compaction_strategies(register) -> None:
    register("sliding_window", lazy("mamba_agents.context.sliding_window:SlidingWindowStrategy"))
