"""``mamba backends [--check] [--json]``: the registered model backends, and whether their servers answer.

A registration may carry ``probe=`` metadata: ``probe(name, settings, *, timeout)``, sync or async,
returning an object with ``as_dict()`` (or a dict) holding at least ``ok`` and ``error``. Server backends
probe ``GET /v1/models``; the ``local`` backend checks its weights without loading them.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from typing import Any

import click

from mamba_agents_backends.model import redact_url


def _load_settings() -> Any:
    from mamba_agents.config import AgentSettings

    return AgentSettings()


def effective_backend(settings: Any) -> str:
    """The backend ``[model_backend]`` selects; ``auto`` follows the Agent's rule (a model or base_url picks a
    server backend, nothing configured picks the embedded ``local`` model)."""
    if settings.backend != "auto":
        return str(settings.backend)
    if settings.base_url:
        return "openai_compatible"
    return "pydantic_ai" if settings.model else "local"


def _settings_for(name: str, configured: Any) -> Any:
    """``[model_backend]`` for the selected backend; defaults (and no API key) for the others."""
    from mamba_agents.config import ModelBackendSettings

    if configured is not None and effective_backend(configured) == name:
        return configured
    return ModelBackendSettings(backend=name)


async def _probe(entry: Any, settings: Any, timeout: float) -> dict[str, Any]:
    probe = entry.meta.get("probe")
    if probe is None:
        return {"ok": None, "error": None, "note": "-"}
    try:
        func = probe.resolve() if hasattr(probe, "resolve") else probe
        result = func(entry.name, settings, timeout=timeout)
        if inspect.isawaitable(result):
            result = await result
    except Exception as exc:  # one broken backend must not hide the others
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return result.as_dict() if hasattr(result, "as_dict") else dict(result)


def _address(entry: Any, settings: Any) -> str:
    if entry.meta.get("kind") == "server":
        url = settings.base_url or entry.meta.get("default_url")
        return redact_url(url) if url else "(set base_url)"
    return str(entry.meta.get("location") or "")


async def _collect(check: bool, timeout: float) -> tuple[list[dict[str, Any]], str | None]:
    from mamba_agents.plugins import get_plugin_manager

    configured = None
    config_error = None
    try:
        configured = _load_settings().model_backend
    except Exception as exc:  # show the backends even when the configuration does not validate
        config_error = str(exc)
    registry = get_plugin_manager().registry("backends")
    rows: list[dict[str, Any]] = []
    entries = registry.entries()
    settings_list = [_settings_for(e.name, configured) for e in entries]
    probes: list[Any] = []
    if check:
        probes = await asyncio.gather(
            *(_probe(e, s, timeout) for e, s in zip(entries, settings_list, strict=True))
        )
    for index, (entry, settings) in enumerate(zip(entries, settings_list, strict=True)):
        row: dict[str, Any] = {
            "name": entry.name,
            "plugin": entry.plugin,
            "kind": entry.meta.get("kind", ""),
            "description": entry.meta.get("description", ""),
            "address": _address(entry, settings),
            "configured": configured is not None and effective_backend(configured) == entry.name,
        }
        if check:
            row["check"] = probes[index]
            if row["kind"] != "server" and probes[index].get("url"):
                row["address"] = probes[index]["url"]
        rows.append(row)
    return rows, config_error


def _status_text(check: dict[str, Any]) -> str:
    if check.get("ok") is None:
        return f"[dim]{check.get('note') or '-'}[/dim]"
    if check["ok"]:
        latency = check.get("latency_ms")
        return "[green]ok[/green]" + (f" ({latency:g} ms)" if latency is not None else "")
    return f"[red]down[/red]: {check.get('error')}"


def _models_text(check: dict[str, Any]) -> str:
    models = check.get("models") or []
    if len(models) > 4:
        return ", ".join(models[:4]) + f" (+{len(models) - 4})"
    return ", ".join(models)


@click.command("backends")
@click.option("--check", is_flag=True, help="Ask each backend's server whether it answers (GET /v1/models).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--timeout",
    default=3.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds to wait for each server with --check.",
)
def backends_command(check: bool, as_json: bool, timeout: float) -> None:
    """List the registered model backends; with --check, probe their servers."""
    rows, config_error = asyncio.run(_collect(check, timeout))
    if as_json:
        click.echo(json.dumps({"backends": rows, "config_error": config_error}, indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        console = Console()
        table = Table(title="Model backends")
        table.add_column("Backend", no_wrap=True)
        table.add_column("Plugin", no_wrap=True)
        table.add_column("Address", overflow="fold")
        table.add_column("Status" if check else "Description")
        if check:
            table.add_column("Models", overflow="fold")
        for row in rows:
            name = f"[bold]{row['name']}[/bold] *" if row["configured"] else row["name"]
            plugin = "built-in" if row["plugin"].startswith("mamba_agents.") else row["plugin"]
            cells = [name, plugin, row["address"]]
            if check:
                cells += [_status_text(row["check"]), _models_text(row["check"])]
            else:
                cells.append(row["description"])
            table.add_row(*cells)
        console.print(table)
        if any(r["configured"] for r in rows):
            console.print("* the backend \\[model_backend] selects")
        if config_error:
            Console(stderr=True).print(f"[yellow]configuration not loaded:[/yellow] {config_error}")
    if check and any(r["configured"] and r["check"].get("ok") is False for r in rows):
        sys.exit(1)
