"""MCPServerConfig / MCPAuthConfig semantics and ``.mcp.json`` parsing (no server needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from mamba_agents.mcp import (
    MCPAuthConfig,
    MCPClientManager,
    MCPConfigError,
    MCPFileNotFoundError,
    MCPFileParseError,
    MCPServerConfig,
    MCPServerNotFoundError,
    MCPServerValidationError,
    load_mcp_json,
)
from mamba_agents_mcp.config import summary

SECRET = "sk-mcp-secret-0123456789"


def write(path: Path, servers: dict) -> Path:
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def test_seed_names_importable_from_the_top_level():
    import mamba_agents
    import mamba_agents.mcp as mcp

    assert mamba_agents.MCPClientManager is mcp.MCPClientManager
    assert mamba_agents.MCPServerConfig is mcp.MCPServerConfig


def test_key_env_wins_over_key(monkeypatch):
    monkeypatch.setenv("MCP_KEY", "from-env")
    auth = MCPAuthConfig(key="literal", key_env="MCP_KEY")
    assert auth.resolve("s") == ("Authorization", "Bearer from-env")


def test_missing_key_env_names_the_variable(monkeypatch):
    monkeypatch.delenv("NOPE_KEY", raising=False)
    with pytest.raises(MCPConfigError, match="'NOPE_KEY' is not set"):
        MCPAuthConfig(key_env="NOPE_KEY").resolve("s")


def test_key_expands_var_and_missing_var_is_named(monkeypatch):
    monkeypatch.setenv("TOK", "abc")
    assert MCPAuthConfig(key="${TOK}").resolve("s")[1] == "Bearer abc"
    monkeypatch.delenv("TOK")
    with pytest.raises(MCPConfigError, match="'TOK' is not set"):
        MCPAuthConfig(key="${TOK}").resolve("s")


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30))
def test_bearer_prefix_only_for_authorization_and_never_doubled(token):
    once = MCPAuthConfig(key=token).resolve("s")[1]
    assert once.lower().startswith("bearer ")
    assert MCPAuthConfig(key=once).resolve("s")[1] == once  # never "Bearer Bearer"
    assert MCPAuthConfig(key=token, header="X-API-Key").resolve("s") == ("X-API-Key", token)


def test_auth_header_replaces_a_plain_header_and_secrets_never_show(monkeypatch):
    monkeypatch.setenv("MCP_KEY", SECRET)
    config = MCPServerConfig(
        name="api",
        transport="streamable_http",
        url="http://127.0.0.1:1/mcp",
        headers={"authorization": "old", "X-Trace": "${TRACE:-t1}"},
        auth=MCPAuthConfig(key_env="MCP_KEY"),
    )
    assert config.resolved_headers() == {"X-Trace": "t1", "Authorization": f"Bearer {SECRET}"}
    assert SECRET not in repr(config) and SECRET not in str(config.model_dump())
    literal = MCPServerConfig(name="x", transport="sse", url="http://h/sse", auth=MCPAuthConfig(key=SECRET))
    assert SECRET not in repr(literal)


def test_transport_fields_are_checked():
    with pytest.raises(ValueError, match="needs command"):
        MCPServerConfig(name="x")
    with pytest.raises(ValueError, match="needs url"):
        MCPServerConfig(name="x", transport="sse")
    with pytest.raises(ValueError, match="http:// or https://"):
        MCPServerConfig(name="x", transport="streamable_http", url="ftp://h")


def test_mcp_json_claude_desktop_format(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKEN", SECRET)
    monkeypatch.delenv("MODE", raising=False)
    path = write(
        tmp_path / ".mcp.json",
        {
            "fs": {"command": "npx", "args": ["-y", "server-fs", "${MODE:-dev}"], "env": {"A": "${TOKEN}"}},
            "web": {"url": "http://localhost:8080/sse"},
            "web2": {"url": "http://localhost:8080/sse/"},
            "api": {"url": "http://localhost:8080/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}},
            "typed": {
                "type": "http",
                "url": "http://localhost:8080/events/sse",
                "timeout": 3,
                "read_timeout": 9,
            },
            "off": {"command": "x", "env": {"B": "${UNSET_BUT_DISABLED}"}, "disabled": True},
            "ours": {"command": "x", "tool_prefix": "o", "optional": True, "idempotent_tools": ["get"]},
        },
    )
    servers = {s.name: s for s in load_mcp_json(path)}
    assert servers["fs"].transport == "stdio" and servers["fs"].args[-1] == "dev"
    assert servers["fs"].env_vars["A"].get_secret_value() == SECRET
    assert servers["web"].transport == "sse" and servers["web2"].transport == "sse"
    assert servers["api"].transport == "streamable_http"
    assert servers["api"].resolved_headers() == {"Authorization": f"Bearer {SECRET}"}
    assert (servers["typed"].transport, servers["typed"].timeout, servers["typed"].read_timeout) == (
        "streamable_http",
        3,
        9,
    )
    assert servers["off"].disabled
    assert servers["ours"].tool_prefix == "o" and servers["ours"].optional
    assert servers["ours"].idempotent_tools == ["get"]
    manager = MCPClientManager(list(servers.values()))
    assert "off" not in [t.id for t in manager.as_toolsets()]
    assert manager.status()["off"].state == "disabled"


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [
        ("{not json", MCPFileParseError, r"\.mcp\.json: invalid JSON at line 1"),
        ('{"servers": {}}', MCPFileParseError, "mcpServers"),
        (
            '{"mcpServers": {"a": {"command": "x", "colour": 1}}}',
            MCPServerValidationError,
            "server 'a': unknown key 'colour'",
        ),
        (
            '{"mcpServers": {"a": {"command": "x", "timeout": -1}}}',
            MCPServerValidationError,
            "server 'a': timeout:",
        ),
        ('{"mcpServers": {"a": {"args": []}}}', MCPServerValidationError, "server 'a': .*needs command"),
        (
            '{"mcpServers": {"a": {"command": "${NOT_SET_VAR_X}"}}}',
            MCPServerValidationError,
            "'NOT_SET_VAR_X' is not set",
        ),
    ],
)
def test_invalid_file_names_file_server_and_key(tmp_path, content, error, match):
    path = tmp_path / ".mcp.json"
    path.write_text(content)
    with pytest.raises(error, match=match) as info:
        load_mcp_json(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(MCPFileNotFoundError, match="not found"):
        MCPClientManager.from_mcp_json(tmp_path / "nope.json")


def test_two_files_merge_later_wins_and_tilde_expands(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write(tmp_path / ".mcp.json", {"shared": {"command": "home"}, "home_only": {"command": "h"}})
    project = write(tmp_path / "project.json", {"shared": {"command": "project"}, "p": {"command": "p"}})
    manager = MCPClientManager()
    manager.add_from_file("~/.mcp.json")
    manager.add_from_file(project)
    assert [c.name for c in manager.configs] == ["home_only", "shared", "p"]
    assert manager.get_server("shared").command == "project"
    with pytest.raises(
        MCPServerNotFoundError, match="no MCP server named 'zz'; configured: home_only, shared, p"
    ):
        manager.get_server("zz")


def test_relative_env_file_is_read_against_the_json_file(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "server.env").write_text("FROM_FILE=1\n")
    path = write(tmp_path / "sub" / ".mcp.json", {"s": {"command": "x", "env_file": "server.env"}})
    monkeypatch.chdir(tmp_path)
    (config,) = load_mcp_json(path)
    assert config.resolved_env()["FROM_FILE"] == "1"


def test_stdio_env_is_minimal_then_env_file_then_env_vars(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    env_file = tmp_path / "x.env"
    env_file.write_text("A=file\nB=file\n")
    config = MCPServerConfig(name="s", command="x", env_file=env_file, env_vars={"B": "vars"})
    env = config.resolved_env()
    assert "OPENAI_API_KEY" not in env and "PATH" in env
    assert (env["A"], env["B"]) == ("file", "vars")
    inherited = MCPServerConfig(name="s", command="x", inherit_env=True).resolved_env()
    assert inherited["OPENAI_API_KEY"] == SECRET
    with pytest.raises(MCPConfigError, match=r"env_file: .* does not exist"):
        MCPServerConfig(name="s", command="x", env_file=tmp_path / "missing.env").resolved_env()


def test_unknown_transport_names_the_registered_ones():
    with pytest.raises(Exception, match=r"unknown MCP transport 'websocket'; registered: .*sse.*stdio"):
        MCPClientManager([MCPServerConfig(name="w", transport="websocket", url="ws://x")])


@hsettings(max_examples=40, deadline=None)
@given(
    secret=st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=8, max_size=24
    )
)
def test_credentials_in_a_url_or_command_line_never_show(secret):
    configs = [
        MCPServerConfig(name="u", url=f"https://bob:{secret}@127.0.0.1:1/mcp"),
        MCPServerConfig(name="q", url=f"http://127.0.0.1:1/mcp?token={secret}"),
        MCPServerConfig(name="f", command="srv", args=["--api-key", secret, "--port", "1"]),
        MCPServerConfig(name="e", command="srv", args=[f"--token={secret}"]),
        MCPServerConfig(name="k", command="srv", args=[f"sk-{secret}"]),
    ]
    manager = MCPClientManager(configs)
    shown = [summary(c)["target"] for c in configs]
    shown += [str(s.as_dict()) for s in manager.status().values()]
    assert all(secret not in text for text in shown), shown
    assert "--port 1" in shown[2]  # only the credential is masked


@pytest.mark.slow
async def test_an_unreachable_server_error_does_not_show_the_url_password():
    from mamba_agents.mcp import MCPServerUnavailable

    manager = MCPClientManager(
        [
            MCPServerConfig(
                name="u", url="http://bob:hunter2hunter2@127.0.0.1:1/mcp", timeout=2, max_reconnects=0
            )
        ]
    )
    with pytest.raises(MCPServerUnavailable) as info:
        await manager.as_toolsets()[0].__aenter__()
    assert "hunter2hunter2" not in str(info.value) and "127.0.0.1:1" in str(info.value)
    await manager.aclose()
