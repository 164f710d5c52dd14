"""The Agent facade: construction forms, multi-turn history, streaming, iter, run_sync in a running loop."""

from __future__ import annotations

import asyncio
import threading

import pytest
from mamba_agents import Agent, AgentConfig, AgentSettings
from mamba_agents.config import ConfigError
from mamba_agents.prompts import TemplateConfig
from pydantic_ai.messages import ModelRequest, ModelResponse, SystemPromptPart, TextPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.models.test import TestModel

from tests.agent.conftest import Recorder, call, last_tool_returns, user_prompts


def test_second_run_sees_the_first_and_the_system_prompt_goes_every_turn(recorder, settings):
    agent = Agent(recorder.model(), settings=settings, system_prompt="You are terse.")
    assert agent.run_sync("Remember my name is Alice").output == "echo: Remember my name is Alice"
    agent.run_sync("What's my name?")
    assert user_prompts(recorder.calls[1]) == ["Remember my name is Alice", "What's my name?"]
    assert recorder.instructions == ["You are terse.", "You are terse."]
    # pydantic-ai message objects end to end, one copy of each turn
    assert all(isinstance(m, ModelRequest | ModelResponse) for m in agent.get_messages())
    assert len(agent.get_messages()) == 4


def test_set_system_prompt_changes_the_next_request(recorder, settings):
    agent = Agent(recorder.model(), settings=settings, system_prompt="first")
    agent.run_sync("a")
    agent.set_system_prompt("second")
    agent.run_sync("b")
    assert recorder.instructions == ["first", "second"]
    assert agent.get_system_prompt() == "second"
    assert not any(isinstance(p, SystemPromptPart) for m in agent.get_messages() for p in m.parts)


def test_system_prompt_and_config_together_keep_the_prompt(recorder, settings):
    agent = Agent(
        recorder.model(), settings=settings, system_prompt="kept", config=AgentConfig(auto_compact=False)
    )
    agent.run_sync("x")
    assert recorder.instructions == ["kept"]
    agent2 = Agent(Recorder().model(), settings=settings, config=AgentConfig(system_prompt="from config"))
    assert agent2.get_system_prompt() == "from config"


def test_template_system_prompt_and_runtime_switch(settings, tmp_path):
    prompts = tmp_path / "prompts" / "v1" / "system"
    prompts.mkdir(parents=True)
    (prompts / "assistant.jinja2").write_text("You are {{ name }}, expert in {{ expertise }}.")
    (prompts / "coder.jinja2").write_text("You write {{ language }}.")
    rec = Recorder()
    agent = Agent(
        rec.model(),
        settings=settings,
        system_prompt=TemplateConfig(
            name="system/assistant", variables={"name": "Code Helper", "expertise": "Python"}
        ),
    )
    agent.run_sync("hi")
    agent.set_system_prompt(TemplateConfig(name="system/coder", variables={"language": "Python"}))
    agent.run_sync("again")
    assert rec.instructions == ["You are Code Helper, expert in Python.", "You write Python."]


def test_tool_error_in_one_run_does_not_break_the_next(settings):
    def broken_tool(x: int) -> str:
        """Always fails."""
        raise ValueError("disk on fire")

    def model(messages, info: AgentInfo):
        returns = last_tool_returns(messages)
        if returns:
            return ModelResponse(parts=[TextPart(f"{returns[0].outcome}: {returns[0].model_response_str()}")])
        if user_prompts(messages)[-1] == "use the tool":
            return call("broken_tool", {"x": 1}, "c1")
        return ModelResponse(parts=[TextPart("fine")])

    agent = Agent(FunctionModel(model), settings=settings, tools=[broken_tool])
    first = agent.run_sync("use the tool")
    assert first.output.startswith("failed:") and "disk on fire" in first.output
    assert agent.run_sync("and now?").output == "fine"
    kinds = [p.outcome for m in agent.get_messages() for p in m.parts if isinstance(p, ToolReturnPart)]
    assert kinds == ["failed"]


def test_a_run_that_raises_leaves_the_history_usable(settings):
    state = {"explode": False}

    def model(messages, info):
        if state["explode"]:
            raise RuntimeError("provider exploded")
        return ModelResponse(parts=[TextPart("ok")])

    agent = Agent(FunctionModel(model), settings=settings)
    agent.run_sync("one")
    state["explode"] = True
    with pytest.raises(RuntimeError, match="provider exploded"):
        agent.run_sync("two")
    state["explode"] = False
    agent.run_sync("three")
    assert user_prompts(agent.get_messages()) == ["one", "three"]


async def test_run_stream_is_stored_once(settings):
    async def stream(messages, info):
        for chunk in ["The ", "answer ", "is 42"]:
            yield chunk

    agent = Agent(FunctionModel(stream_function=stream), settings=settings)
    async with agent.run_stream("question") as result:
        chunks = [c async for c in result.stream_text(delta=True, debounce_by=None)]
    assert "".join(chunks) == "The answer is 42"
    messages = agent.get_messages()
    assert len(messages) == 2 and user_prompts(messages) == ["question"]
    async with agent.run_stream("second") as result:
        pass  # not read by the caller: still stored, whole
    assert len(agent.get_messages()) == 4
    assert agent.get_messages()[-1].parts[0].content == "The answer is 42"


async def test_run_stream_with_a_tool_call(settings):
    def lookup(city: str) -> str:
        return f"sunny in {city}"

    async def stream(messages, info):
        if last_tool_returns(messages):
            yield "done"
            return
        yield {0: DeltaToolCall(name="lookup", json_args='{"city": "Rome"}', tool_call_id="s1")}

    agent = Agent(FunctionModel(stream_function=stream), settings=settings, tools=[lookup])
    async with agent.run_stream("weather") as result:
        assert await result.get_output() == "done"
    returns = [p for m in agent.get_messages() for p in m.parts if isinstance(p, ToolReturnPart)]
    assert [r.content for r in returns] == ["sunny in Rome"]


async def test_iter_gives_nodes_and_keeps_history(recorder, settings):
    agent = Agent(recorder.model(), settings=settings)
    async with agent.iter("step by step") as run:
        nodes = [type(node).__name__ async for node in run]
    assert nodes[0] == "UserPromptNode" and nodes[-1] == "End"
    assert user_prompts(agent.get_messages()) == ["step by step"]


async def test_run_sync_works_inside_a_running_loop_and_reuses_one_loop(recorder, settings):
    seen_loops = []

    async def capture(messages, info):
        seen_loops.append((id(asyncio.get_running_loop()), threading.current_thread().name))
        return recorder(messages, info)

    agent = Agent(FunctionModel(capture), settings=settings)
    assert asyncio.get_running_loop()  # we are inside a loop, as in Jupyter
    agent.run_sync("one")
    agent.run_sync("two")
    assert len({loop for loop, _ in seen_loops}) == 1
    assert user_prompts(agent.get_messages()) == ["one", "two"]


async def test_concurrent_runs_do_not_lose_turns(recorder, settings):
    agent = Agent(recorder.model(), settings=settings)
    await asyncio.gather(*(agent.run(f"q{i}") for i in range(5)))
    assert sorted(user_prompts(agent.get_messages())) == [f"q{i}" for i in range(5)]
    assert len(agent.get_messages()) == 10


def test_model_string_forms(settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    assert isinstance(Agent("gpt-4o", settings=settings).model, OpenAIResponsesModel)
    assert isinstance(Agent("openai-chat:gpt-4o", settings=settings).model, OpenAIChatModel)
    with pytest.raises(ConfigError, match="names no provider"):
        Agent("my-custom-model", settings=settings)


def test_settings_alone_and_model_override_keep_base_url_and_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = AgentSettings(
        model_backend={
            "model": "llama3.2",
            "base_url": "http://127.0.0.1:9/v1",
            "api_key": "sk-local-secret",
            "context_window": 8192,
        }
    )
    agent = Agent(settings=settings)
    assert isinstance(agent.model, OpenAIChatModel)
    assert (agent.model.model_name, agent.model.base_url.rstrip("/")) == ("llama3.2", "http://127.0.0.1:9/v1")
    assert agent.context_manager.context_window == 8192
    other = Agent("gpt-4o-mini", settings=settings)
    assert (
        other.model.model_name == "gpt-4o-mini"
        and other.model.base_url.rstrip("/") == "http://127.0.0.1:9/v1"
    )
    assert "sk-local-secret" not in repr(agent) + repr(settings)


def test_model_instance_and_backend_object(settings):
    model = TestModel(custom_output_text="from instance")
    assert Agent(model, settings=settings).run_sync("x").output == "from instance"

    class Backend:
        def to_model(self):
            return TestModel(custom_output_text="from backend")

    assert Agent(Backend(), settings=settings).run_sync("x").output == "from backend"


def test_tools_by_name_from_config(settings):
    settings.tools.enabled = ["current_time"]

    def model(messages, info: AgentInfo):
        assert [t.name for t in info.function_tools] == ["current_time"]
        returns = last_tool_returns(messages)
        if returns:
            return ModelResponse(parts=[TextPart(f"time is {returns[0].content}")])
        return call("current_time", {"timezone": "UTC"}, "t1")

    result = Agent(FunctionModel(model), settings=settings).run_sync("What time is it?")
    assert result.output.startswith("time is 20")


def test_unknown_tool_name_in_config_lists_registered_tools(settings):
    settings.tools.enabled = ["no_such_tool"]
    with pytest.raises(ConfigError, match=r"tools.enabled\[0\] = 'no_such_tool': unknown tool .*current_"):
        Agent(TestModel(), settings=settings)


def test_output_and_deps_types(settings):
    from pydantic import BaseModel

    class City(BaseModel):
        city: str
        country: str

    agent = Agent(TestModel(), settings=settings, output_type=City, deps_type=str)
    result = agent.run_sync("where?", deps="ctx")
    assert isinstance(result.output, City)
    assert result.data == result.output and result.usage.requests >= 1


def test_context_disabled(settings, recorder):
    agent = Agent(recorder.model(), settings=settings, config=AgentConfig(track_context=False))
    agent.run_sync("a")
    agent.run_sync("b")
    assert user_prompts(recorder.calls[1]) == ["b"]
    with pytest.raises(RuntimeError, match="Context tracking is disabled"):
        agent.get_messages()


def test_no_model_anywhere_uses_the_local_backend_and_says_so_once(settings, caplog):
    import logging

    from mamba_agents.backends import resolve

    given = resolve._local_notice_given
    resolve._local_notice_given = False
    try:
        with caplog.at_level(logging.WARNING, logger="mamba_agents"):
            first = Agent(settings=settings)
            second = Agent(settings=settings)
        notices = [r for r in caplog.records if "using the embedded local model" in r.getMessage()]
        assert len(notices) == 1
        assert first.model_name.startswith("SmolLM2") and second.model_name == first.model_name
    finally:
        resolve._local_notice_given = given
