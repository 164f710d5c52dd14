"""``mamba run`` (one shot) and ``mamba chat`` (a REPL that keeps the conversation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from mamba_agents.agent import Agent
    from mamba_agents.cli.streaming import TurnDisplay


def _build_agent(
    model: str | None,
    tools: tuple[str, ...],
    system: str | None,
    config_file: str | None,
    session: str | None = None,
    continue_last: bool = False,
    capabilities: tuple[Any, ...] = (),
) -> Agent:
    from mamba_agents.agent import Agent
    from mamba_agents.cli.output import stderr
    from mamba_agents.config import AgentSettings

    settings = AgentSettings.from_file(config_file) if config_file else AgentSettings()
    if tools:
        names = [n for item in tools for n in item.split(",") if n]
        settings.tools.enabled = list(dict.fromkeys([*settings.tools.enabled, *names]))
    if continue_last:
        session = _last_session(settings)
    with stderr().status("Loading model…", spinner="dots"):
        return Agent(
            model, settings=settings, system_prompt=system, session=session, capabilities=capabilities
        )


def _last_session(settings: Any) -> str:
    """The most recently saved session, for ``mamba run -c`` (as simonw/llm's ``-c``)."""
    from mamba_agents.agent.loop import run_sync
    from mamba_agents.plugins import get_plugin_manager
    from mamba_agents.sessions import open_store

    store = open_store(settings.sessions, get_plugin_manager(settings.plugins))
    latest = run_sync(store.list_conversations(limit=1))
    if not latest:
        raise click.ClickException("no stored session to continue; start one with --session NAME")
    return latest[0].conversation_id


async def _read_events(ctx: Any, events: Any) -> None:
    async for _ in events:
        pass


def _answer(agent: Agent, prompt: Any, display: TurnDisplay | None = None) -> Any:
    """One turn whose model requests are streamed: Ctrl-C then closes the stream, and a llama.cpp server (or
    the embedded model) stops generating at once; a non-streamed request would run on to its end.

    With ``display`` the text is shown as it arrives (``display.finish`` is left to the caller)."""
    if display is None:
        return agent.run_sync(prompt, event_stream_handler=_read_events)
    display.start()
    try:
        return agent.run_sync(prompt, event_stream_handler=display.handle)
    except BaseException:
        display.abort()
        raise


# The exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED_EXIT = 130


def _summary(agent: Agent) -> dict[str, Any]:
    from mamba_agents.tokens import format_cost

    usage = agent.get_usage()
    breakdown = agent.get_cost_breakdown()
    return {
        "model": agent.model_name,
        "requests": usage.request_count,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "cost_usd": breakdown.total_cost if breakdown.priced else None,
        "cost": format_cost(breakdown),
    }


def _footer(agent: Agent) -> str:
    s = _summary(agent)
    return (
        f"[dim]{s['model']} · {s['requests']} request(s) · {s['input_tokens']} in / {s['output_tokens']} out "
        f"tokens · cost {s['cost']}[/dim]"
    )


_model_option = click.option(
    "--model", "-m", help="Model (e.g. 'openai:gpt-4o', 'gpt-4o'); default from config."
)
_tools_option = click.option(
    "--tools",
    "-T",
    multiple=True,
    help="Tool or group names from the tools registry (repeat or comma-separate).",
)
_system_option = click.option("--system", "-s", help="System prompt.")
_config_option = click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file.")
_session_option = click.option(
    "--session", help="Keep the conversation in this stored session (loaded first, saved after each turn)."
)


@click.command()
@click.argument("prompt", required=False)
@click.option(
    "--attach",
    "-a",
    "attachments",
    multiple=True,
    metavar="FILE",
    help="Attach a file: text files are inlined with their name, images sent as images (repeatable).",
)
@_model_option
@_tools_option
@_system_option
@_config_option
@_session_option
@click.option(
    "--continue", "-c", "continue_last", is_flag=True, help="Continue the most recently saved session."
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer and usage as JSON.")
@click.option(
    "--workflow",
    "-w",
    "workflow_name",
    help="Run through this registered workflow (react, plan_execute, reflection, ...); "
    "default: [workflows] default.",
)
@click.option("--trace", is_flag=True, help="Print the run's span tree (duration, tokens) after the answer.")
def run(
    prompt: str | None,
    attachments: tuple[str, ...],
    model: str | None,
    tools: tuple[str, ...],
    system: str | None,
    config_file: str | None,
    session: str | None,
    continue_last: bool,
    as_json: bool,
    workflow_name: str | None,
    trace: bool,
) -> None:
    """Run one prompt and print the answer, tokens used and cost. Ctrl-C stops it (exit status 130).

    Piped stdin is part of the prompt (it comes first: `cat notes.md | mamba run "summarise"`); PROMPT "-"
    reads the whole prompt from stdin. The answer streams to stdout as written by the model; the footer goes
    to stderr.
    """
    from mamba_agents.cli.inputs import InputError, read_prompt
    from mamba_agents.cli.output import print_json, stderr

    if session and continue_last:
        raise InputError("give --session NAME or --continue, not both")
    prompt_input = read_prompt(prompt, attachments)
    tracer = _tracer() if trace else None
    caps = (tracer.instrumentation(),) if tracer is not None else ()
    agent = _build_agent(model, tools, system, config_file, session, continue_last, caps)
    prompt_value = prompt_input.parts(agent.model)
    if tracer is not None:
        tracer.start_trace({"mamba.command": "run", "mamba.model": agent.model_name})
    workflow_name = workflow_name or agent.settings.workflows.default
    if workflow_name:
        try:
            _run_workflow(agent, workflow_name, prompt_value, as_json)
        except KeyboardInterrupt:
            stderr().print("[yellow]cancelled[/yellow] (Ctrl-C): the workflow was stopped")
            raise SystemExit(INTERRUPTED_EXIT) from None
        finally:
            if tracer is not None and tracer.trace_id is not None:
                stderr().print(tracer.end_trace().rich_tree())  # type: ignore[union-attr]
        return
    from mamba_agents.cli.streaming import TurnDisplay

    display = None if as_json else TurnDisplay()
    try:
        if display is None:
            with stderr().status("Thinking…", spinner="dots"):
                result = _answer(agent, prompt_value)
        else:
            result = _answer(agent, prompt_value, display)
    except KeyboardInterrupt:
        stderr().print("[yellow]cancelled[/yellow] (Ctrl-C): the turn was stopped")
        raise SystemExit(INTERRUPTED_EXIT) from None
    if display is not None:
        display.finish(result.output)
    if as_json:
        output = result.output
        print_json(
            {
                "output": output if isinstance(output, str | int | float | bool | None) else str(output),
                **_summary(agent),
                "metrics": agent.get_metrics().to_dict(),
                **({"trace": tracer.end_trace().to_dict()} if tracer is not None else {}),  # type: ignore[union-attr]
            }
        )
        return
    stderr().print(_footer(agent))
    if tracer is not None:
        stderr().print(tracer.end_trace().rich_tree())  # type: ignore[union-attr]


def _tracer() -> Any:
    from mamba_agents.observability import RequestTracer

    return RequestTracer()


def _run_workflow(agent: Agent, name: str, prompt: Any, as_json: bool) -> None:
    """Run ``prompt`` through workflow ``name``: steps live on stderr, the answer on stdout."""
    import sys

    from mamba_agents.cli.output import print_answer, print_json, stderr
    from mamba_agents.cli.workflow_output import footer, live_hooks, print_trace
    from mamba_agents.workflows.registry import build_workflow, get_workflow

    console = stderr()
    cls = get_workflow(name, agent._plugins)
    hooks = None if as_json else live_hooks(cls.hooks_class, console)
    workflow = build_workflow(agent, name, plugins=agent._plugins, hooks=hooks)
    result = workflow.run_sync(prompt)
    if as_json:
        output = result.output
        print_json(
            {
                "workflow": name,
                "output": output if isinstance(output, str | int | float | bool | None) else str(output),
                "model": agent.model_name,
                **result.summary(),
            }
        )
    else:
        print_trace(workflow, result, console)
        if result.output is not None:
            print_answer(result.output)
        console.print(footer(name, result))
    if not result.success:
        click.echo(f"error: {result.error}", err=True)
        sys.exit(1)


@click.command()
@_model_option
@_tools_option
@_system_option
@_config_option
@_session_option
def chat(
    model: str | None,
    tools: tuple[str, ...],
    system: str | None,
    config_file: str | None,
    session: str | None,
) -> None:
    """Chat with an agent; the conversation is kept. /clear forgets it, /usage shows totals, /exit leaves.

    Ctrl-C during a turn stops that turn; at the prompt it leaves.
    """
    from rich.markup import escape

    from mamba_agents.cli.output import stderr, stdout
    from mamba_agents.cli.streaming import TurnDisplay

    agent = _build_agent(model, tools, system, config_file, session)
    stdout().print(f"[bold]mamba chat[/bold] with {agent.model_name} — /exit to leave, /clear, /usage")
    if agent.session is not None:
        stdout().print(f"[dim]session {escape(agent.session)}: saved after every turn[/dim]")
    while True:
        try:
            line = click.prompt("you", prompt_suffix="> ", default="", show_default=False)
        except (EOFError, click.Abort):
            break
        text = line.strip()
        if not text:
            continue
        if text in ("/exit", "/quit"):
            break
        if text == "/clear":
            agent.clear_context()
            stdout().print("[dim]conversation cleared[/dim]")
            continue
        if text == "/usage":
            stderr().print(_footer(agent))
            continue
        display = TurnDisplay()
        try:
            result = _answer(agent, text, display)
        except KeyboardInterrupt:  # stop this turn, keep the chat
            stderr().print("[yellow]turn cancelled[/yellow] (Ctrl-C); Ctrl-C at the prompt leaves")
            continue
        except Exception as exc:  # keep the session: report and let the user go on
            stderr().print(f"[red]error:[/red] {escape(f'{type(exc).__name__}: {exc}')}", highlight=False)
            continue
        display.finish(result.output)
    stderr().print(_footer(agent))
