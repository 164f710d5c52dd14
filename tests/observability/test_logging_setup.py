"""``[logging]`` applied by an Agent and by ``mamba run``: once a process, root logger untouched unless asked,
JSON lines with correlation ids, every key of the section doing what it says.

Automatic application is a per-process matter, so those tests run a fresh Python or ``mamba`` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from mamba_agents import AgentSettings
from mamba_agents.config import ConfigError, LoggingConfig
from mamba_agents.config.legacy import ConfigWarning

COMPACTING_RUN = """
import logging, sys
from mamba_agents import Agent, AgentSettings, CompactionConfig
from mamba_agents.agent import AgentConfig
{before}
settings = AgentSettings()
agent = Agent("test", settings=settings, config=AgentConfig(context=CompactionConfig(
    trigger_threshold_tokens=120, target_tokens=80, preserve_recent_turns=1)))
for i in range(4):
    agent.run_sync(f"question {{i}} " + "words " * 30)
{after}
"""


def python(tmp_path: Path, code: str, config: str = "", env: dict[str, str] | None = None):
    if config:
        (tmp_path / "config.toml").write_text(textwrap.dedent(config))
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path), **(env or {})},
    )


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_an_agent_applies_logging_from_config_toml_as_json_lines_with_run_ids(tmp_path):
    done = python(
        tmp_path,
        COMPACTING_RUN.format(before="", after="print(logging.getLogger().handlers)"),
        """
        [logging]
        level = "INFO"
        format = "json"
        """,
    )
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stderr)
    compactions = [line for line in lines if line["message"].startswith("compacted with")]
    assert compactions, done.stderr
    for line in compactions:
        assert {"timestamp", "level", "logger", "message", "run_id", "conversation_id"} <= set(line)
        assert line["logger"] == "mamba_agents.context" and line["level"] == "INFO"
    assert len({line["conversation_id"] for line in compactions}) == 1  # one conversation, several runs
    assert done.stdout.strip() == "[]"  # the root logger was left alone


def test_level_debug_in_the_environment_changes_what_is_logged(tmp_path):
    quiet = python(tmp_path, COMPACTING_RUN.format(before="", after=""))
    loud = python(tmp_path, COMPACTING_RUN.format(before="", after=""), env={"MAMBA_LOGGING__LEVEL": "DEBUG"})
    assert quiet.returncode == loud.returncode == 0, quiet.stderr + loud.stderr
    assert "run started" not in quiet.stderr and "compacted with" in quiet.stderr
    assert loud.stderr.count("run started") == 4
    # text lines carry the ids too
    assert "mamba_agents.run [run " in loud.stderr and ", conversation " in loud.stderr


def test_applied_once_a_process_and_an_explicit_setup_logging_wins(tmp_path):
    code = COMPACTING_RUN.format(
        before=textwrap.dedent("""
            from mamba_agents.observability import setup_logging
            from mamba_agents.config import LoggingConfig
            setup_logging(LoggingConfig(level="WARNING", format="json"))
        """),
        after=textwrap.dedent("""
            Agent("test", settings=AgentSettings(logging={"level": "DEBUG", "format": "text"}))
            logging.getLogger("mamba_agents.x").warning("still json")
            logging.getLogger("mamba_agents.x").info("not shown")
        """),
    )
    done = python(tmp_path, code, '[logging]\nlevel = "DEBUG"\n')
    assert done.returncode == 0, done.stderr
    assert json_lines(done.stderr) == [
        {
            "timestamp": json_lines(done.stderr)[0]["timestamp"],
            "level": "WARNING",
            "logger": "mamba_agents.x",
            "message": "still json",
        }
    ]


def test_an_application_that_configured_logging_gets_our_lines_redacted_once_in_its_own_format(tmp_path):
    code = COMPACTING_RUN.format(
        before='logging.basicConfig(level=logging.INFO, format="APP %(name)s %(message)s")',
        after='logging.getLogger("mamba_agents.y").info("api_key=%s", "abcdef123456")',
    )
    done = python(tmp_path, code)
    assert done.returncode == 0, done.stderr
    ours = [line for line in done.stderr.splitlines() if "mamba_agents" in line]
    assert ours and all(line.startswith("APP ") for line in ours)  # no second copy in our format
    assert "abcdef123456" not in done.stderr and "APP mamba_agents.y api_key=[REDACTED]" in done.stderr


def test_root_true_formats_every_librarys_lines(tmp_path):
    code = COMPACTING_RUN.format(before="", after='logging.getLogger("urllib9").warning("from elsewhere")')
    done = python(tmp_path, code, "[logging]\nroot = true\nstructured = true\n")
    assert done.returncode == 0, done.stderr
    assert {"logger": "urllib9", "message": "from elsewhere"}.items() <= json_lines(done.stderr)[-1].items()


def test_the_original_projects_logging_keys_load_and_work(tmp_path):
    done = python(
        tmp_path,
        COMPACTING_RUN.format(before="", after=""),
        """
        [logging]
        level = "DEBUG"
        structured = true
        include_request_body = true
        include_response_body = true
        body_size_limit = 300
        include_correlation_id = false
        redact_authorization = true
        redact_api_keys = true
        sensitive_patterns = ["question \\\\d"]
        """,
    )
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stderr)
    bodies = [line["message"] for line in lines if "body" in line["message"]]
    assert len(bodies) == 8  # a request and a response per run
    assert all(len(b.split(": ", 1)[1]) <= 300 + len("... [99999 more chars]") for b in bodies)
    assert not any("run_id" in line for line in lines)
    assert not any("question 1" in line["message"] for line in lines)


def test_mamba_run_applies_logging_and_keeps_stdout_for_the_answer(tmp_path):
    (tmp_path / "cfg.toml").write_text('[logging]\nlevel = "DEBUG"\nformat = "json"\n')
    done = subprocess.run(
        [sys.executable, "-m", "mamba_agents.cli", "run", "-m", "test", "--config", "cfg.toml", "hi"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,  # `mamba run` reads a piped stdin into the prompt
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "success (no tool calls)"
    started = [line for line in json_lines(done.stderr) if line["message"] == "run started"]
    assert len(started) == 1 and started[0]["run_id"]


def test_a_log_file_that_cannot_be_opened_fails_when_the_agent_is_built(tmp_path):
    code = "from mamba_agents import Agent\nAgent('test')"
    done = python(tmp_path, code, f'[logging]\nfile = "{tmp_path}/missing/dir/x.log"\n')
    assert done.returncode != 0
    assert "logging.file" in done.stderr and "cannot be opened" in done.stderr


def test_logging_keys_are_checked_with_the_allowed_values(tmp_path):
    with pytest.raises(ConfigError) as err:
        AgentSettings(logging={"format": "yaml"})
    assert "logging.format" in str(err.value) and "json" in str(err.value)
    with pytest.raises(ConfigError):
        AgentSettings(logging={"levle": "DEBUG"})
    with pytest.raises(ValueError, match="not both"):  # built in code: the model itself refuses both
        LoggingConfig(max_body_size=10, body_size_limit=20)
    # From a settings source the original's name is upgraded first: the new key wins, with a warning.
    with pytest.warns(ConfigWarning, match="body_size_limit is ignored: .logging. max_body_size is set"):
        assert AgentSettings(logging={"max_body_size": 10, "body_size_limit": 20}).logging.max_body_size == 10


def test_seed_readme_logging_example():
    import logging

    from mamba_agents.config import LoggingConfig
    from mamba_agents.observability import setup_logging

    config = LoggingConfig(level="INFO", format="json", redact_sensitive=True)
    logger = setup_logging(config)
    assert logger is logging.getLogger("mamba_agents") and logger.level == logging.INFO


def test_logging_setup_imports_neither_opentelemetry_nor_pydantic_ai():
    code = (
        "import sys\nfrom mamba_agents.observability import setup_logging\nsetup_logging()\n"
        "print([m for m in sys.modules if m.startswith(('opentelemetry', 'pydantic_ai'))])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_config_show_does_not_mask_the_redaction_switches():
    values = {v.key: v.value for v in AgentSettings(logging={"redact_api_keys": False}).explain()}
    assert values["logging.redact_api_keys"] is False and values["logging.redact_authorization"] is True
