"""Every ``[retry]`` and ``[model_backend]`` key is read, from a config file and from the environment.

A key nothing reads is not accepted (``[model_backend] max_retries``, the original's name, is read as
``[retry] max_retries`` with a warning: the retry capability always turns the SDK's retries off). Each key
below has a check that its value reaches what it configures; the last test fails when a key is added to
either section without one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic_ai.models
import pytest
from mamba_agents import Agent, AgentSettings
from mamba_agents.config.legacy import ConfigWarning
from mamba_agents.config.sections import ModelBackendSettings, RetryConfig
from mamba_agents.errors import ServerError
from mamba_agents.resilience import capability
from mamba_agents.resilience.policy import RetryPolicy

from tests.integration.fault_server import FaultServer, fail
from tests.integration.openai_fake import FakeOpenAI, text_reply


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)

    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(capability, "_sleep", no_sleep)
    return tmp_path


def load(project: Path, source: str, section: str, key: str, value: Any) -> AgentSettings:
    """Settings with ``[section] key = value`` given in a config file or as an environment variable."""
    if source == "file":
        literal = f'"{value}"' if isinstance(value, str) else str(value).lower()
        (project / "config.toml").write_text(f"[{section}]\n{key} = {literal}\n")
    else:
        os.environ[f"MAMBA_{section.upper()}__{key.upper()}"] = str(value)
    try:
        return AgentSettings()
    finally:
        os.environ.pop(f"MAMBA_{section.upper()}__{key.upper()}", None)


# -- [retry] ----------------------------------------------------------------------------------------

RETRY: dict[str, tuple[Any, Callable[[RetryPolicy], Any], Any]] = {
    "max_retries": (1, lambda p: p.model_retries, 1),
    "tool_retries": (4, lambda p: p.tool_retries, 4),
    "retry_level": (3, lambda p: (p.model_retries, p.tool_retries, p.multiplier), (5, 3, 1.2)),
    "initial_backoff_seconds": (0.5, lambda p: p.base_wait, 0.5),
    "max_backoff_seconds": (9.0, lambda p: p.max_wait, 9.0),
    "circuit_breaker_threshold": (2, lambda p: p.breaker_threshold, 2),
    "circuit_breaker_timeout": (4.0, lambda p: p.breaker_timeout, 4.0),
}


@pytest.mark.parametrize("source", ["file", "env"])
@pytest.mark.parametrize("key", sorted(RETRY))
def test_each_retry_key_reaches_the_retry_policy(project: Path, source: str, key: str) -> None:
    value, read, expected = RETRY[key]
    settings = load(project, source, "retry", key, value)
    assert read(RetryPolicy.from_config(settings.retry)) == expected


@pytest.mark.parametrize("source", ["file", "env"])
def test_max_retries_decides_the_attempts_on_the_wire(project: Path, source: str) -> None:
    with FaultServer([fail(503)]) as server:
        os.environ["MAMBA_MODEL_BACKEND__BACKEND"] = "openai_compatible"
        os.environ["MAMBA_MODEL_BACKEND__MODEL"] = "fault-model"
        os.environ["MAMBA_MODEL_BACKEND__BASE_URL"] = server.base_url
        try:
            settings = load(project, source, "retry", "max_retries", 2)
        finally:
            for key in ("BACKEND", "MODEL", "BASE_URL"):
                os.environ.pop(f"MAMBA_MODEL_BACKEND__{key}")
        with pytest.raises(ServerError, match=r"retry\.max_retries = 2 reached"):
            Agent(settings=settings).run_sync("x")
        assert server.hits == 3


@pytest.mark.parametrize("source", ["file", "env"])
def test_model_backend_max_retries_is_read_as_retry_max_retries_with_a_warning(
    project: Path, source: str
) -> None:
    # The original's key: the SDK's own retries stay off; the value becomes [retry] max_retries.
    with pytest.warns(ConfigWarning, match=r"\[model_backend\] max_retries.*\[retry\] max_retries") as caught:
        settings = load(project, source, "model_backend", "max_retries", 0)
    assert settings.retry.max_retries == 0
    assert ("config.toml" if source == "file" else "MAMBA_MODEL_BACKEND__MAX_RETRIES") in str(
        caught[0].message
    )


# -- [model_backend] --------------------------------------------------------------------------------


def wire_agent(server: FakeOpenAI, **extra: Any) -> tuple[Agent[Any, str], list[dict[str, Any]]]:
    settings = AgentSettings(
        model_backend={"model": "fake-model", "base_url": server.base_url, **extra},
        retry={"max_retries": 0},
    )
    agent = Agent(settings=settings)
    agent.run_sync("hello")
    return agent, server.requests


def check_backend(project: Path, source: str, key: str, value: Any, check: Callable[..., bool]) -> None:
    with FakeOpenAI(lambda body: text_reply("ok")) as server:
        if key != "model":  # the environment outranks the file: set only what the test does not check
            os.environ["MAMBA_MODEL_BACKEND__MODEL"] = "fake-model"
        os.environ["MAMBA_MODEL_BACKEND__BASE_URL"] = server.base_url
        os.environ["MAMBA_RETRY__MAX_RETRIES"] = "0"
        try:
            settings = load(project, source, "model_backend", key, value)
        finally:
            for name in (
                "MAMBA_MODEL_BACKEND__MODEL",
                "MAMBA_MODEL_BACKEND__BASE_URL",
                "MAMBA_RETRY__MAX_RETRIES",
            ):
                os.environ.pop(name, None)
        agent = Agent(settings=settings)
        if key not in OFFLINE_KEYS:
            agent.run_sync("hello")
        assert check(agent, server), f"{key} = {value!r} did not take effect"


def _unwrapped(model: Any) -> Any:
    while hasattr(model, "wrapped"):
        model = model.wrapped
    return model


OFFLINE_KEYS = {"model_path", "n_ctx", "n_threads", "fallback", "context_window", "timeout"}


BACKEND: dict[str, tuple[Any, Callable[..., bool]]] = {
    "backend": ("vllm", lambda agent, server: _unwrapped(agent.model).system == "vllm"),
    "model": ("other-model", lambda agent, server: server.requests[-1]["model"] == "other-model"),
    "base_url": ("", lambda agent, server: server.requests),  # the request reached the server given
    "api_key": (
        "sk-test-key-123456",
        lambda agent, server: (
            {k.lower(): v for k, v in server.headers[-1].items()}["authorization"]
            == "Bearer sk-test-key-123456"
        ),
    ),
    "context_window": (12345, lambda agent, server: agent.get_context_state().context_window == 12345),
    "timeout": (7.5, lambda agent, server: _unwrapped(agent.model).settings["timeout"] == 7.5),
    "temperature": (0.3, lambda agent, server: server.requests[-1]["temperature"] == 0.3),
    "max_tokens": (
        17,
        lambda agent, server: (
            17 in (server.requests[-1].get("max_tokens"), server.requests[-1].get("max_completion_tokens"))
        ),
    ),
    "options": (None, lambda agent, server: server.requests[-1].get("seed") == 7),
    "fallback": (None, lambda agent, server: len(agent._resilience.fallbacks) == 1),
    "model_path": (None, lambda agent, server: True),
    "n_ctx": (None, lambda agent, server: True),
    "n_threads": (None, lambda agent, server: True),
}
# Keys whose value is not a scalar, or that configure the embedded model, are checked by the test below.
SCALAR = {k for k, (v, _) in BACKEND.items() if v not in (None, "")}


@pytest.mark.parametrize("source", ["file", "env"])
@pytest.mark.parametrize("key", sorted(SCALAR))
def test_each_model_backend_key_takes_effect(project: Path, source: str, key: str) -> None:
    value, check = BACKEND[key]
    check_backend(project, source, key, value, check)


def test_tables_and_the_local_model_keys_take_effect(project: Path) -> None:
    with FakeOpenAI(lambda body: text_reply("ok")) as server:
        (project / "config.toml").write_text(
            "[model_backend]\n"
            'backend = "openai_compatible"\nmodel = "fake-model"\n'
            f'base_url = "{server.base_url}"\n'
            f'fallback = [{{ backend = "openai_compatible", model = "backup", base_url = "{server.base_url}"'
            " }]\n"
            "[model_backend.options]\nmodel_settings = { seed = 7 }\n"
            "[retry]\nmax_retries = 0\n"
        )
        agent = Agent(settings=AgentSettings())
        agent.run_sync("hello")
        assert BACKEND["options"][1](agent, server) and BACKEND["fallback"][1](agent, server)
        assert BACKEND["base_url"][1](agent, server)
    from mamba_agents_local import default_model_path

    path = default_model_path()
    (project / "config.toml").write_text(
        f'[model_backend]\nbackend = "local"\nmodel_path = "{path}"\nn_ctx = 1024\nn_threads = 1\n'
    )
    spec = _unwrapped(Agent(settings=AgentSettings()).model).runtime.spec  # built, not loaded
    assert (spec.path, spec.n_ctx, spec.n_threads) == (path, 1024, 1)


def test_every_key_of_both_sections_has_a_check() -> None:
    assert set(RETRY) == set(RetryConfig.model_fields)
    assert set(BACKEND) == set(ModelBackendSettings.model_fields)
