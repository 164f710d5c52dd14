"""Context compaction strategies: summarize_older, selective_pruning, importance_scoring, hybrid."""
