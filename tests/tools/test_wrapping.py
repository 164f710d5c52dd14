"""Hole 5 (issue 10): the sandbox is bound to the tool. However a built-in tool reaches a model (wrapped in
``pydantic_ai.Tool``, given to a plain ``pydantic_ai.Agent`` or a ``FunctionToolset``), its schema has no
``security``, ``config`` or ``env``, and a call that sends them anyway cannot leave the sandbox."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from mamba_agents.tools import (
    append_file,
    copy_file,
    delete_file,
    file_info,
    glob_search,
    grep_search,
    list_directory,
    move_file,
    read_file,
    run_bash,
    write_file,
)
from pydantic_ai import Agent, FunctionToolset, Tool
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.tools.conftest import SECRET, Layout

PUBLIC = [
    read_file,
    write_file,
    append_file,
    list_directory,
    file_info,
    delete_file,
    move_file,
    copy_file,
    glob_search,
    grep_search,
    run_bash,
]
POLICY = {"security", "config", "env", "max_entries", "max_chars"}
OPEN_SANDBOX = {"sandbox_mode": False, "base_directory": "/"}


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pydantic-ai: no return schema for ResultList
        yield


@pytest.mark.parametrize("func", PUBLIC, ids=lambda f: f.__name__)
def test_wrapped_schema_has_no_policy(func: Any) -> None:
    schema = Tool(func).tool_def.parameters_json_schema
    assert not POLICY & set(schema["properties"]), schema["properties"]
    assert "FilesystemSecurity" not in str(schema) and "sandbox_mode" not in str(schema)
    assert schema.get("additionalProperties") is False


def _attacker(calls: list[tuple[str, dict[str, Any]]], seen: list[Any]) -> FunctionModel:
    pending = list(calls)

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.extend(messages[-1].parts)
        if not pending:
            return ModelResponse(parts=[TextPart("done")])
        name, args = pending.pop(0)
        return ModelResponse(parts=[ToolCallPart(name, args, tool_call_id=f"c{len(pending)}")])

    return FunctionModel(model)


ROUTES = {
    "Tool(read_file)": lambda: {"tools": [Tool(read_file)]},
    "Agent(tools=[read_file])": lambda: {"tools": [read_file]},
    "FunctionToolset([read_file])": lambda: {"toolsets": [FunctionToolset([read_file])]},
}


@pytest.mark.parametrize("route", ROUTES)
def test_a_model_cannot_turn_the_sandbox_off_through_any_route(
    route: str, layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(layout.root)
    secret = str(layout.outside / "secret.txt")
    seen: list[Any] = []
    calls = [
        ("read_file", {"path": secret, "security": OPEN_SANDBOX}),
        ("read_file", {"path": "../outside/secret.txt", "security": {"sandbox_mode": False}}),
        ("read_file", {"path": secret}),
        ("read_file", {"path": "file1.txt"}),
    ]
    agent = Agent(_attacker(calls, seen), retries=5, **ROUTES[route]())
    result = agent.run_sync("read it")
    assert result.output == "done"
    text = str([getattr(p, "content", "") for p in seen])
    assert SECRET not in text
    assert "Hello, World!" in text  # the sandboxed call still works
    refused = [p for p in seen if getattr(p, "outcome", None) in ("retried", "failed")]
    assert len(refused) == 3, refused  # two extra-argument refusals and one sandbox refusal
    assert "extra" in str(refused[0].content).lower() and "outside the sandbox" in str(refused[2].content)


def test_run_bash_wrapped_cannot_set_env_or_exceed_max_timeout(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(layout.root)
    seen: list[Any] = []
    calls = [
        ("run_bash", {"command": "echo $LD_PRELOAD", "env": {"LD_PRELOAD": "/tmp/evil.so"}}),
        ("run_bash", {"command": "true", "timeout": 10**9}),
        ("run_bash", {"command": "pwd"}),
    ]
    Agent(_attacker(calls, seen), tools=[Tool(run_bash)], retries=5).run_sync("go")
    returns = [p for p in seen if isinstance(p, ToolReturnPart)]
    assert [p.outcome for p in returns] == ["retried", "failed", "success"]  # schema, then our bound
    assert "env" in str(returns[0].content) and "at most 600 seconds" in str(returns[1].content)
    assert returns[2].content.stdout.strip() == str(layout.root)


def test_python_callers_still_pass_the_policy(layout: Layout) -> None:
    from mamba_agents.tools.filesystem import FilesystemSecurity

    open_sec = FilesystemSecurity(base_directory=layout.root, sandbox_mode=False)
    assert read_file(str(layout.outside / "secret.txt"), security=open_sec) == SECRET
    assert len(list_directory(".", security=open_sec, max_entries=2)) == 2
    out = run_bash("echo $X", env={"X": "caller"}, security=layout.security)
    assert out.stdout.strip() == "caller"
