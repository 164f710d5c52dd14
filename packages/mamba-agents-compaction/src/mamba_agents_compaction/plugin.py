"""Entry point module: registrations only (the strategy modules load on first lookup)."""

from mamba_agents.plugins import hookimpl, lazy


@hookimpl
def mamba_register_compaction_strategies(register) -> None:
    register("summarize_older", lazy("mamba_agents_compaction.summarize:SummarizeOlderStrategy"))
    register("selective_pruning", lazy("mamba_agents_compaction.pruning:SelectivePruningStrategy"))
    register("importance_scoring", lazy("mamba_agents_compaction.importance:ImportanceScoringStrategy"))
    register("hybrid", lazy("mamba_agents_compaction.hybrid:HybridStrategy"))
