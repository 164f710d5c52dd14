"""Entry point module: registrations only (stores and commands load on first use)."""

from mamba_agents.plugins import hookimpl, lazy


@hookimpl
def mamba_register_session_stores(register) -> None:
    register("sqlite", lazy("mamba_agents_sessions.factories:sqlite_store"))
    register("postgresql", lazy("mamba_agents_sessions.factories:postgres_store"))
    register("postgres", lazy("mamba_agents_sessions.factories:postgres_store"))
    register("redis", lazy("mamba_agents_sessions.factories:redis_store"))
    register("rediss", lazy("mamba_agents_sessions.factories:redis_store"))
    register("memory", lazy("mamba_agents_sessions.factories:memory_store"))


@hookimpl
def mamba_register_commands(cli) -> None:
    from mamba_agents_sessions.cli import logs, sessions

    cli.add_command(sessions)
    cli.add_command(logs)
