"""``mamba sessions list|show|delete|export`` and ``mamba logs``: the stored sessions, from the terminal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from mamba_agents.config import AgentSettings
    from pydantic_ai.conversation_store import ConversationStore
    from pydantic_ai.messages import ModelMessage

LOG_SESSIONS = 100  # the most recent sessions `mamba logs` reads, so it stays quick on a big store

_config_option = click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file.")
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _settings(config_file: str | None) -> AgentSettings:
    from mamba_agents.config import AgentSettings

    return AgentSettings.from_file(config_file) if config_file else AgentSettings()


def _store(settings: AgentSettings) -> ConversationStore:
    from mamba_agents.plugins import get_plugin_manager
    from mamba_agents.sessions import open_store

    return open_store(settings.sessions, get_plugin_manager(settings.plugins))


def _run(coro: Any) -> Any:
    from mamba_agents.agent.loop import run_sync

    return run_sync(coro)


@dataclass
class Exchange:
    """One prompt and the answer it got, with what the answer cost."""

    session: str
    prompt: str
    answer: str
    model: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    timestamp: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list | tuple):
        return " ".join(_text(c) for c in content)
    return f"[{type(content).__name__}]"


def exchanges(session: str, messages: list[ModelMessage], settings: AgentSettings) -> list[Exchange]:
    """Pair each user prompt with the model responses up to the next prompt (tool calls included)."""
    from mamba_agents.tokens import UsageTracker
    from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserPromptPart

    tracker = UsageTracker(prices=settings.tokens.prices)
    out: list[Exchange] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            prompts = [_text(p.content) for p in message.parts if isinstance(p, UserPromptPart)]
            if prompts:
                out.append(
                    Exchange(session, "\n".join(prompts), "", None, 0, 0, None, message.timestamp.isoformat())
                )
        elif isinstance(message, ModelResponse) and out:
            current = out[-1]
            record = tracker.record_response(message)
            text = "".join(p.content for p in message.parts if isinstance(p, TextPart))
            current.answer = f"{current.answer}{text}" if text else current.answer
            current.model = message.model_name or current.model
            current.input_tokens += record.input_tokens
            current.output_tokens += record.output_tokens
            if record.cost is not None:
                current.cost_usd = (current.cost_usd or 0.0) + float(record.cost)
    return out


def _messages(store: ConversationStore, name: str) -> list[ModelMessage]:
    from mamba_agents.sessions import logged_messages

    messages = _run(logged_messages(store, name))
    if messages is None:
        raise click.ClickException(f"no stored session {name!r}; see `mamba sessions list`")
    return messages


@click.group()
def sessions() -> None:
    """Stored sessions: list, show, delete, export ([sessions] url picks the store)."""


@sessions.command("list")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=50, show_default=True)
@_json_option
@_config_option
def list_cmd(limit: int, as_json: bool, config_file: str | None) -> None:
    """The stored sessions, most recently saved first."""
    from mamba_agents.cli.output import print_json, stdout
    from mamba_agents.sessions import SessionInfo

    store = _store(_settings(config_file))
    infos = [SessionInfo.from_record(r) for r in _run(store.list_conversations(limit=limit))]
    if as_json:
        print_json([info.to_dict() for info in infos])
        return
    if not infos:
        stdout().print("no sessions")
        return
    for info in infos:
        stdout().print(
            f"{info.name}\t{info.updated_at:%Y-%m-%d %H:%M:%S}\t{info.requests} request(s)\t"
            f"{info.input_tokens} in / {info.output_tokens} out tokens",
            markup=False,
            highlight=False,
        )


@sessions.command()
@click.argument("name")
@_json_option
@_config_option
def show(name: str, as_json: bool, config_file: str | None) -> None:
    """The prompts and answers of one session, with model, tokens and cost."""
    from mamba_agents.cli.output import print_json

    settings = _settings(config_file)
    rows = exchanges(name, _messages(_store(settings), name), settings)
    if as_json:
        print_json([row.to_dict() for row in rows])
        return
    _print_exchanges(rows)


@sessions.command()
@click.argument("name")
@_config_option
def delete(name: str, config_file: str | None) -> None:
    """Delete a stored session and the messages no other session shares."""
    store = _store(_settings(config_file))
    if _run(store.read_record(name)) is None:
        raise click.ClickException(f"no stored session {name!r}; see `mamba sessions list`")
    _run(store.delete(name))
    click.echo(f"deleted session {name!r}")


@sessions.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="pydantic-ai Conversation JSON (loadable again).")
@_config_option
def export(name: str, as_json: bool, config_file: str | None) -> None:
    """Print a session as a Markdown transcript, or with --json as pydantic-ai's Conversation JSON."""
    from pydantic_ai.conversation import ConversationTypeAdapter

    settings = _settings(config_file)
    store = _store(settings)
    conversation = _run(store.load(name))
    if conversation is None:
        raise click.ClickException(f"no stored session {name!r}; see `mamba sessions list`")
    if as_json:
        click.echo(ConversationTypeAdapter.dump_json(conversation, indent=2).decode())
        return
    click.echo(f"# Session {name}\n")
    for row in exchanges(name, conversation.messages, settings):
        click.echo(f"## You\n\n{row.prompt}\n\n## {row.model or 'model'}\n\n{row.answer}\n")


@click.command()
@click.option("--count", "-n", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N.")
@click.option("--query", "-q", help="Only exchanges whose prompt or answer contains this (any case).")
@click.option("--session", "-s", "session", help="Only this session.")
@_json_option
@_config_option
def logs(count: int, query: str | None, session: str | None, as_json: bool, config_file: str | None) -> None:
    """Past prompts and answers from the session store, newest last, with model, tokens and cost.

    Reads the 100 most recently saved sessions (or the one given with --session).
    """
    from mamba_agents.cli.output import print_json

    settings = _settings(config_file)
    store = _store(settings)
    recent = _run(store.list_conversations(limit=LOG_SESSIONS))
    names = [session] if session else [r.conversation_id for r in recent]
    rows: list[Exchange] = []
    for name in names:
        rows.extend(exchanges(name, _messages(store, name), settings))
    if query:
        needle = query.casefold()
        rows = [r for r in rows if needle in r.prompt.casefold() or needle in r.answer.casefold()]
    rows = sorted(rows, key=lambda r: r.timestamp)[-count:]
    if as_json:
        print_json([row.to_dict() for row in rows])
        return
    _print_exchanges(rows, with_session=True)


def _print_exchanges(rows: list[Exchange], *, with_session: bool = False) -> None:
    from mamba_agents.cli.output import stdout
    from rich.markup import escape

    if not rows:
        stdout().print("no prompts")
        return
    for row in rows:
        cost = "unpriced" if row.cost_usd is None else f"${row.cost_usd:.6f}"
        where = f"{row.session} · " if with_session else ""
        console = stdout()
        console.print(
            f"[dim]{escape(where)}{row.timestamp} · {escape(str(row.model))} · {row.input_tokens} in / "
            f"{row.output_tokens} out · {cost}[/dim]",
            highlight=False,
        )
        console.print(f"> {row.prompt}", markup=False, highlight=False)
        console.print(row.answer, markup=False, highlight=False)
        console.print()
