"""Entry point module: registrations only (the heavy modules load on first lookup)."""

from mamba_agents.plugins import hookimpl, lazy  # noqa: F401
