"""Backends chosen by name from ``[model_backend]``, the lazy re-exports, and ``mamba backends``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import mamba_agents.backends
import pytest
from click.testing import CliRunner
from mamba_agents.config import ConfigError, ModelBackendSettings
from mamba_agents.plugins import PluginManager
from mamba_agents_backends import OpenAICompatibleBackend
from mamba_agents_backends.cli import backends_command, effective_backend
from pydantic_ai import Agent

from tests.backends.conftest import free_port
from tests.backends.fake_server import FakeServer

SERVER_BACKENDS = ("openai_compatible", "ollama", "vllm", "lmstudio", "llamacpp")


@pytest.fixture(scope="module")
def manager() -> PluginManager:
    return PluginManager()


def test_all_server_backends_are_registered_with_metadata(manager: PluginManager):
    registry = manager.registry("backends")
    for name in SERVER_BACKENDS:
        entry = registry.entry(name)
        assert entry.plugin == "backends"
        assert entry.meta["kind"] == "server"
    assert registry.entry("ollama").meta["default_url"] == "http://localhost:11434/v1"
    assert registry.entry("openai_compatible").meta["default_url"] is None


@pytest.mark.usefixtures("allow_model_requests")
@pytest.mark.parametrize("name", SERVER_BACKENDS)
def test_factory_builds_a_working_model_from_settings(
    manager: PluginManager, fake_server: FakeServer, name: str
):
    settings = ModelBackendSettings(
        backend=name, model="qwen2.5:7b", base_url=fake_server.base_url, api_key="sk-abcdef-123456",
        timeout=12.5, temperature=0.3, max_tokens=77,
    )  # fmt: skip
    model = manager.get("backends", name)(settings)
    assert isinstance(model, OpenAICompatibleBackend)
    assert model.context_window == 32_768
    assert Agent(model).run_sync("hi").output == "echo: hi"
    body = fake_server.last
    assert body["temperature"] == 0.3
    assert body.get("max_tokens") == 77 or body.get("max_completion_tokens") == 77
    assert fake_server.headers[-1]["authorization"] == "Bearer sk-abcdef-123456"


def test_settings_context_window_and_profile_options_reach_the_model(manager: PluginManager):
    settings = ModelBackendSettings(
        backend="vllm", model="my-finetune", context_window=16_384,
        options={"profile": {"supports_tools": False}, "model_settings": {"seed": 7}},
    )  # fmt: skip
    model = manager.get("backends", "vllm")(settings)
    assert model.context_window == 16_384
    assert model.backend_profile.supports_tools is False
    assert model.settings["seed"] == 7


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (ModelBackendSettings(backend="ollama"), "needs a model name"),
        (ModelBackendSettings(backend="openai_compatible", model="m"), "needs the server's address"),
        (ModelBackendSettings(backend="vllm", model="m", options={"colour": "red"}), "unknown key"),
        (ModelBackendSettings(backend="vllm", model="m", options={"profile": {"speed": 1}}), "speed"),
        (ModelBackendSettings(backend="vllm", model="m", base_url="localhost:8000"), "http://"),
    ],
)
def test_bad_settings_are_config_errors_that_say_what_to_set(manager: PluginManager, settings, message):
    with pytest.raises(ConfigError, match=message):
        manager.get("backends", settings.backend)(settings)


def test_lmstudio_and_llamacpp_need_no_model_name(manager: PluginManager):
    for name in ("lmstudio", "llamacpp"):
        model = manager.get("backends", name)(ModelBackendSettings(backend=name))
        assert model.model_name == "local-model"


def test_effective_backend_follows_the_auto_rule():
    assert effective_backend(ModelBackendSettings()) == "local"
    assert effective_backend(ModelBackendSettings(model="openai:gpt-4o")) == "pydantic_ai"
    assert effective_backend(ModelBackendSettings(base_url="http://127.0.0.1:1/v1")) == "openai_compatible"
    assert effective_backend(ModelBackendSettings(backend="vllm")) == "vllm"


def test_core_import_loads_no_backend_plugin():
    code = (
        "import sys, mamba_agents, mamba_agents.backends, mamba_agents.backends.plugin\n"
        "print(sorted(m for m in ('mamba_agents_backends', 'mamba_agents_local', 'llama_cpp', 'openai')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_plugin_entry_modules_stay_tiny():
    code = (
        "import sys, mamba_agents_backends.plugin, mamba_agents_local.plugin\n"
        "heavy = ('pydantic_ai', 'openai', 'httpx2', 'llama_cpp', 'mamba_agents_backends.model',"
        " 'mamba_agents_local.model')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_reexports_are_the_plugin_objects():
    from mamba_agents_backends import create_ollama_backend, get_profile

    assert mamba_agents.backends.create_ollama_backend is create_ollama_backend
    assert mamba_agents.backends.get_profile is get_profile
    assert set(mamba_agents.backends.__all__) <= set(dir(mamba_agents.backends))


def test_missing_plugin_gives_an_import_error_naming_the_package(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "mamba_agents_backends", None)
    monkeypatch.delitem(mamba_agents.backends.__dict__, "create_vllm_backend", raising=False)
    with pytest.raises(ImportError, match="pip install mamba-agents-backends"):
        from mamba_agents.backends import create_vllm_backend  # noqa: F401
    with pytest.raises(AttributeError):
        mamba_agents.backends.no_such_name  # noqa: B018


# -- mamba backends ------------------------------------------------------------------------------------


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("mamba")
    group.add_command(backends_command)
    return group


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """No config files or MAMBA_ variables from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps at 80 columns when not writing to a terminal
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)


@pytest.mark.usefixtures("isolated")
def test_cli_lists_backends_as_json(cli: click.Group):
    result = CliRunner().invoke(cli, ["backends", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)["backends"]}
    assert set(SERVER_BACKENDS) <= set(rows)
    assert rows["vllm"]["address"] == "http://localhost:8000/v1"
    assert "check" not in rows["vllm"]


@pytest.mark.usefixtures("isolated")
def test_cli_check_probes_the_configured_server(cli: click.Group, fake_server: FakeServer, monkeypatch):
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__BACKEND", "vllm")
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__MODEL", "fake-llama")
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__BASE_URL", fake_server.base_url)
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__API_KEY", "sk-cli-secret-424242")
    fake_server.required_key = "sk-cli-secret-424242"
    result = CliRunner().invoke(cli, ["backends", "--check", "--json", "--timeout", "2"])
    assert result.exit_code == 0, result.output
    assert "sk-cli-secret" not in result.output
    rows = {row["name"]: row for row in json.loads(result.output)["backends"]}
    assert rows["vllm"]["configured"] is True
    assert rows["vllm"]["check"]["ok"] is True
    assert rows["vllm"]["check"]["models"] == ["fake-llama", "fake-qwen"]
    # the configured key is only sent to the configured server
    assert rows["ollama"]["check"]["ok"] is False


@pytest.mark.usefixtures("isolated")
def test_cli_check_exits_1_when_the_configured_server_is_down(cli: click.Group, monkeypatch):
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__BACKEND", "ollama")
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__MODEL", "llama3.2")
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    result = CliRunner().invoke(cli, ["backends", "--check", "--timeout", "1"])
    assert result.exit_code == 1
    assert "ollama" in result.output and "down: cannot connect" in result.output


@pytest.mark.usefixtures("isolated")
def test_cli_table_marks_the_selected_backend(cli: click.Group):
    result = CliRunner().invoke(cli, ["backends"])
    assert result.exit_code == 0, result.output
    assert "local *" in result.output  # nothing configured: the embedded model
    assert "http://localhost:1234/v1" in result.output


def test_cli_is_added_by_the_commands_hook(manager: PluginManager):
    group = click.Group("mamba")
    manager.add_commands(group)
    assert "backends" in group.commands
