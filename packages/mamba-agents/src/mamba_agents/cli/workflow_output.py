"""What ``mamba run --workflow`` shows: each step as it happens, then the trace and the totals."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

_BASE_QUIET = {"on_workflow_complete", "on_workflow_error", "on_iteration_complete"}


def _short(value: Any, limit: int = 160) -> str:
    text = " ".join(str(value).split())
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def live_hooks(hooks_class: type[Any], console: Console) -> Any:
    """An instance of the workflow's hooks class whose every hook prints one line to ``console``."""

    def step_done(state: Any, step: Any) -> None:
        tokens = step.usage.input_tokens + step.usage.output_tokens
        seconds = step.duration_seconds or 0.0
        console.print(
            f"[green]✓[/green] step {step.step_number} {escape(step.step_type)} [dim]· {seconds:.2f}s · "
            f"{tokens} tokens[/dim]"
        )

    known = {
        "on_workflow_start": lambda state: console.print("[bold]workflow started[/bold]"),
        "on_step_start": lambda state, number, kind: console.print(
            f"[cyan]▶[/cyan] step {number} {escape(str(kind))}"
        ),
        "on_step_complete": step_done,
        "on_step_error": lambda state, step, error: console.print(
            f"[red]✗[/red] step {step.step_number} {escape(step.step_type)}: {_short(error)}"
        ),
        "on_iteration_start": lambda state, number: console.print(f"[dim]── iteration {number}[/dim]"),
        "on_thought": lambda state, thought: console.print(f"  [yellow]thought[/yellow] {_short(thought)}"),
        "on_action": lambda state, tool, args: console.print(
            f"  [magenta]action[/magenta] {escape(str(tool))}({_short(args, 120)})"
        ),
        "on_observation": lambda state, text, is_error: console.print(
            f"  [{'red' if is_error else 'blue'}]observation[/] {_short(text)}"
        ),
    }

    def generic(name: str) -> Any:
        label = name.removeprefix("on_").replace("_", " ")

        def show(*args: Any) -> None:
            shown = [a for a in args if type(a).__name__ != "WorkflowState"]
            console.print(f"  [dim]{escape(label)}[/dim] {_short(' '.join(map(str, shown)))}")

        return show

    values = {}
    for f in dataclasses.fields(hooks_class):
        if f.name in known:
            values[f.name] = known[f.name]
        elif f.name not in _BASE_QUIET:
            values[f.name] = generic(f.name)
    return hooks_class(**values)


def print_trace(workflow: Any, result: Any, console: Console) -> None:
    """The reasoning trace when the workflow has one, and the steps as a table."""
    trace = workflow.get_reasoning_trace() if hasattr(workflow, "get_reasoning_trace") else ""
    if trace:
        console.rule("trace")
        console.print(trace, markup=False, highlight=False)
    state = result.state
    if state is None or not state.steps:
        return
    table = Table(title="steps", show_edge=False)
    for column in ("#", "type", "description", "seconds", "tokens", "status"):
        table.add_column(column)
    for step in state.steps:
        tokens = step.usage.input_tokens + step.usage.output_tokens
        status = "[green]ok[/green]" if step.success else f"[red]{_short(step.error, 60)}[/red]"
        seconds = f"{step.duration_seconds:.2f}" if step.duration_seconds is not None else "-"
        table.add_row(
            str(step.step_number),
            escape(step.step_type),
            _short(step.description, 50),
            seconds,
            str(tokens),
            status,
        )
    console.print(table)


def footer(name: str, result: Any) -> str:
    from mamba_agents.tokens import format_cost

    usage = result.usage
    limit = f" ({result.limit})" if result.limit else ""
    return (
        f"[dim]{escape(name)} · {result.termination_reason}{escape(limit)} · {result.total_steps} step(s) · "
        f"{result.total_iterations} iteration(s) · {usage.requests} request(s) · {usage.input_tokens} in / "
        f"{usage.output_tokens} out tokens · cost {format_cost(result.cost_breakdown)}[/dim]"
    )
