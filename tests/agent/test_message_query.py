"""``agent.messages`` (MessageQuery) over a recorded conversation with tools, a failure, a retry and a
compaction; every export format parsed back; the same answers over the dict form."""

from __future__ import annotations

import csv
import io
import json

import pytest
from mamba_agents import Agent, AgentConfig, AgentSettings, CompactionConfig
from mamba_agents.agent import MessageQuery
from mamba_agents.agent.display import COMPACT, get_preset
from mamba_agents.agent.messages import CSV_COLUMNS
from pydantic_ai import ModelRetry
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage
from rich.console import Console

from tests.agent.conftest import last_tool_returns, user_prompts

PLAN = {
    "hello": [],
    "weather please": [("lookup", {"city": "Oslo"})],
    "break it": [("broken", {})],
    "flaky one": [("flaky", {"n": 1})],
}


def _model(messages, info: AgentInfo) -> ModelResponse:
    usage = RequestUsage(input_tokens=100, output_tokens=10)
    prompt = user_prompts(messages)[-1]
    returns = last_tool_returns(messages)
    if returns and all(r.outcome != "retried" for r in returns):
        text = "; ".join(f"{r.tool_name}={r.outcome}" for r in returns)
        return ModelResponse(parts=[TextPart(f"done: {text}")], usage=usage)
    calls = PLAN.get(prompt, [])
    if returns or calls:
        if returns:  # the retried call, again
            calls = [(returns[0].tool_name, {"n": 2})]
        return ModelResponse(
            parts=[ToolCallPart(n, a, tool_call_id=f"{prompt[:4]}-{len(messages)}") for n, a in calls],
            usage=usage,
        )
    return ModelResponse(parts=[TextPart(f"echo: {prompt}")], usage=usage)


@pytest.fixture
def agent(tmp_path, monkeypatch) -> Agent:
    monkeypatch.chdir(tmp_path)
    settings = AgentSettings(tokens={"prices": {"recorded": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}})
    config = AgentConfig(
        context=CompactionConfig(
            strategy="sliding_window",
            trigger_threshold_tokens=230,
            target_tokens=200,
            preserve_recent_turns=2,
        )
    )
    agent = Agent(FunctionModel(_model, model_name="recorded"), settings=settings, config=config)

    @agent.tool_plain
    def lookup(city: str) -> str:
        """Weather for a city."""
        return f"WEATHER in {city}: sunny"

    @agent.tool_plain
    def broken() -> str:
        """Always fails."""
        raise OSError("disk on fire")

    @agent.tool_plain
    def flaky(n: int) -> str:
        """Fails the first time."""
        if n == 1:
            raise ModelRetry("try n=2")
        return "ok"

    for prompt in ["hello", "weather please", "padding " * 20, "break it", "flaky one"]:
        agent.run_sync(prompt)
    assert agent.context_manager.compaction_count >= 1  # the recording includes a compaction
    return agent


def test_filters_slices_and_selection(agent):
    query = agent.messages
    assert isinstance(query, MessageQuery)
    dicts = agent.messages_to_dicts()
    assert query.all() == dicts and len(query) == len(dicts)
    assert query.first() == dicts[:1] and query.last(2) == dicts[-2:] and query.slice(1, 3) == dicts[1:3]
    assert query[0] == dicts[0] and query[1:3] == dicts[1:3]
    users = [m["content"] for m in query.filter(role="user")]
    assert users == [p for p in user_prompts(agent.get_messages())]
    flaky = query.filter(tool_name="flaky")
    assert {m["role"] for m in flaky} == {"assistant", "tool"} and len(flaky) == 4
    assert [m["role"] for m in query.filter(content="DISK ON FIRE")] == ["tool"]
    assert [
        m["content"] for m in query.filter(role="assistant", content=r"^done: flaky=\w+$", regex=True)
    ] == ["done: flaky=success"]
    assert query.filter(role="system") == []


def test_stats_tools_and_timeline(agent):
    query = agent.messages
    stats = query.stats()
    assert stats.total_messages == len(query)
    assert sum(stats.messages_by_role.values()) == stats.total_messages
    assert sum(stats.tokens_by_role.values()) == stats.total_tokens > 0
    counter = agent.token_counter
    assert stats.tokens_by_role["user"] == sum(counter.count(m["content"]) for m in query.filter(role="user"))
    assert stats.avg_tokens_per_message == pytest.approx(stats.total_tokens / stats.total_messages)

    tools = {t.tool_name: t for t in query.tool_summary()}
    assert (tools["broken"].call_count, tools["broken"].failure_count) == (1, 1)
    assert (tools["flaky"].call_count, tools["flaky"].failure_count) == (2, 1)
    assert tools["flaky"].arguments == [{"n": 1}, {"n": 2}]
    assert all(t.total_seconds >= 0 for t in tools.values())

    turns = query.timeline()
    assert [t.user_content for t in turns] == [m["content"] for m in query.filter(role="user")]
    last = turns[-1]
    assert last.user_content == "flaky one" and last.assistant_content == "done: flaky=success"
    assert [(t["tool_name"], t["outcome"]) for t in last.tool_interactions] == [
        ("flaky", "retried"),
        ("flaky", "success"),
    ]
    assert (last.input_tokens, last.output_tokens) == (300, 30)  # three model requests in that turn
    assert float(last.cost) == pytest.approx((300 * 1.0 + 30 * 2.0) / 1e6) and last.cost.priced
    assert last.started_at <= last.ended_at


def test_every_export_format_parses_back(agent):
    query = agent.messages
    assert json.loads(query.export("json")) == query.all()
    with_meta = json.loads(query.export("json", include_metadata=True))
    assert [m["_metadata"]["index"] for m in with_meta] == list(range(len(query)))
    assert [{k: v for k, v in m.items() if k != "_metadata"} for m in with_meta] == query.all()

    rows = list(csv.DictReader(io.StringIO(query.export("csv"))))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == len(query)
    assert [r["role"] for r in rows] == [m["role"] for m in query.all()]
    assert sum(int(r["token_count"]) for r in rows) == query.stats().total_tokens
    assert rows[-1]["content"] == "done: flaky=success"

    markdown = query.export("markdown")
    assert markdown.count("\n### ") + markdown.startswith("### ") == len(query)
    assert all(p in markdown for p in user_prompts(agent.get_messages()))

    as_dicts = query.export("dict")
    assert [m["role"] for m in as_dicts] == [m["role"] for m in query.all()]
    assert all("_metadata" in m for m in as_dicts)

    users = query.filter(role="user")
    assert json.loads(query.export("json", messages=users)) == users
    with pytest.raises(ValueError, match="allowed: json, markdown, csv, dict"):
        query.export("yaml")


def test_the_dict_form_gives_the_same_answers(agent):
    native = agent.messages
    from_dicts = MessageQuery(agent.messages_to_dicts(), token_counter=agent.token_counter)
    assert from_dicts.all() == native.all()
    assert from_dicts.stats() == native.stats()
    assert [(t.tool_name, t.call_count) for t in from_dicts.tool_summary()] == [
        (t.tool_name, t.call_count) for t in native.tool_summary()
    ]
    assert [t.user_content for t in from_dicts.timeline()] == [t.user_content for t in native.timeline()]


def test_print_presets_and_formats(agent, capsys):
    query = agent.messages
    plain = query.print_stats(format="plain")
    assert "total" in plain and "tokens" in plain and capsys.readouterr().out == plain
    compact = query.print_stats(format="plain", preset="compact")
    assert "tokens" not in compact.splitlines()[1]
    html = query.print_tools(format="html", preset="verbose")
    assert html.startswith("<table>") and "flaky" in html and "{&#x27;n&#x27;: 2}" in html
    assert capsys.readouterr().out == compact + html  # no console: printed to stdout
    buffer = io.StringIO()
    text = query.print_timeline(console=Console(file=buffer, width=200), preset="detailed")
    assert "flaky one" in text and "flaky one" in buffer.getvalue()
    assert capsys.readouterr().out == ""  # a console given: nothing else printed
    assert get_preset("compact") == COMPACT and get_preset("detailed", limit=2).limit == 2
    with pytest.raises(ValueError, match="allowed: compact, detailed, verbose"):
        query.print_stats(preset="loud")
    with pytest.raises(ValueError, match="unknown display option"):
        query.print_stats(colour=True)


def test_tracking_disabled_gives_an_empty_query(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    agent = Agent(FunctionModel(_model), settings=AgentSettings(), config=AgentConfig(track_context=False))
    agent.run_sync("hello")
    assert len(agent.messages) == 0 and agent.messages.stats().total_messages == 0


def test_context_manager_knows_the_system_prompt(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    agent = Agent(FunctionModel(_model), settings=AgentSettings(), system_prompt="Be brief.")
    assert agent.context_manager.get_system_prompt() == "Be brief."
    agent.set_system_prompt("Be verbose.")
    assert agent.context_manager.get_system_prompt() == "Be verbose."
