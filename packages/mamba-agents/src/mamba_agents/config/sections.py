"""The sections of :class:`~mamba_agents.config.AgentSettings`; each later issue fills its own."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # The import name of the package that reads this section (``None``: the core). ``mamba config show``
    # marks a section as not in effect when that package is not installed.
    consumer: ClassVar[str | None] = None


class ModelBackendSettings(_Section):
    """Which model to talk to and how. ``backend`` names a registered backend (``auto`` picks one)."""

    backend: str = "auto"
    model: str | None = None
    base_url: str | None = None
    api_key: SecretStr | None = None
    context_window: int | None = Field(default=None, gt=0)
    timeout: float = Field(default=60.0, gt=0, description="seconds per model request attempt")
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    # Embedded local model (the ``local`` backend)
    model_path: Path | None = None
    n_ctx: int = Field(default=4096, gt=0)
    n_threads: int | None = Field(default=None, gt=0)
    options: dict[str, Any] = Field(default_factory=dict)
    fallback: list[str | dict[str, Any]] = Field(
        default_factory=list,
        description="backends to fail over to, in order: 'backend:model', 'local', a model string, a table",
    )


class LoggingConfig(_Section):
    """Logs of the ``mamba_agents`` loggers: level, text or JSON lines, where they go, what is redacted.

    An Agent and the ``mamba`` command apply this once per process (``setup_logging`` applies it
    explicitly). The root logger is left alone unless ``root = true``. The original project's
    ``body_size_limit`` and ``include_correlation_id`` are accepted for ``max_body_size`` and
    ``correlation_id``.
    """

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="the level of the mamba_agents loggers"
    )
    format: Literal["text", "json"] = Field(
        default="text", description="text lines, or one JSON object a line (timestamp, level, ids, extras)"
    )
    structured: bool = Field(default=False, description="the original's switch: true means format = json")
    file: Path | None = Field(default=None, description="append lines to this file; unset: stderr")
    root: bool = Field(
        default=False, description="put the handler on the root logger: every library's lines alike"
    )
    redact_sensitive: bool = Field(
        default=True, description="remove secrets from messages, arguments, extras, tracebacks"
    )
    redact_authorization: bool = Field(
        default=True, description="bearer tokens, Authorization headers, passwords in URLs"
    )
    redact_api_keys: bool = Field(
        default=True, description="key shapes (sk-..., ghp_..., JWT) and api_key= / password: values"
    )
    sensitive_patterns: list[str] = Field(
        default_factory=list, description="regular expressions whose matches are removed too"
    )
    include_request_body: bool = Field(
        default=False, description="log what each model request sends, at DEBUG, redacted"
    )
    include_response_body: bool = Field(
        default=False, description="log each model response, at DEBUG, redacted"
    )
    max_body_size: int = Field(
        default=1024, gt=0, le=10_000_000, description="characters of a logged body; the rest is cut"
    )
    correlation_id: bool = Field(
        default=True, description="lines written during a run carry its run_id and conversation_id"
    )

    @model_validator(mode="before")
    @classmethod
    def _original_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for old, new in (
                ("body_size_limit", "max_body_size"),
                ("include_correlation_id", "correlation_id"),
            ):
                if old in data:
                    if new in data:
                        raise ValueError(f"give {new} or {old} (its original name), not both")
                    data = dict(data)
                    data[new] = data.pop(old)
        return data

    @field_validator("sensitive_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        import re

        for index, pattern in enumerate(value):
            if not pattern:
                raise ValueError(f"sensitive_patterns[{index}] is empty (it would match everywhere)")
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"sensitive_patterns[{index}] = {pattern!r} is not a regular expression: {exc}"
                ) from None
            if compiled.match(""):
                raise ValueError(f"sensitive_patterns[{index}] = {pattern!r} matches the empty string")
        return value


class ObservabilityConfig(_Section):
    """OpenTelemetry: pydantic-ai's GenAI spans and metrics for every Agent run, plus ours.

    ``otel = true`` instruments every Agent built from these settings (spans and metrics go to the global
    OpenTelemetry providers). ``exporter`` is what ``get_otel_integration().initialize()`` (and such an
    Agent) sets up when no SDK tracer provider is set yet: ``console`` prints spans, ``otlp`` sends them to
    ``endpoint`` over HTTP, ``none`` leaves the providers to the application. Prompts and completions are in
    spans only with ``include_content = true``.
    """

    otel: bool = Field(
        default=False, description="instrument every Agent run (pydantic-ai's Instrumentation)"
    )
    exporter: Literal["none", "console", "otlp"] = Field(
        default="none", description="what initialize() sets up: console, otlp (HTTP), none"
    )
    endpoint: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description="OTLP traces URL (http://127.0.0.1:4318/v1/traces); unset: the exporter's default",
    )
    service_name: str = Field(default="mamba-agents", min_length=1, description="the service.name resource")
    include_content: bool = Field(
        default=False, description="prompts, completions and tool arguments in spans (off: structure only)"
    )


class RetryConfig(_Section):
    """Retries of failed model requests and the circuit breaker in front of each backend.

    Only transient errors are retried: rate limits, connection errors, timeouts, 5xx. ``retry_level`` is
    a preset (1 / 2 / 3: tool retries 1 / 2 / 3, model retries 2 / 3 / 5, backoff multiplier 2.0 / 1.5 /
    1.2); ``max_retries`` and ``tool_retries``, when set, override its counts (their defaults are level
    2's). The provider SDK's own retries are turned off so the two do not multiply.
    ``ErrorRecoveryConfig`` is the original project's name.
    """

    consumer: ClassVar[str | None] = "mamba_agents.errors"

    max_retries: int = Field(
        default=3, ge=0, le=20, description="model-request retries; when not set: retry_level's count"
    )
    tool_retries: int = Field(
        default=2, ge=0, le=20, description="tool retries (ModelRetry); when not set: retry_level's count"
    )
    retry_level: Literal[1, 2, 3] = Field(default=2, description="preset 1, 2 or 3 (see above)")
    initial_backoff_seconds: float = Field(default=1.0, ge=0, le=600, description="first wait")
    max_backoff_seconds: float = Field(
        default=60.0, ge=0, le=3600, description="longest wait; a longer Retry-After gives up at once"
    )
    circuit_breaker_threshold: int = Field(
        default=5, gt=0, description="consecutive transient failures that open a backend's circuit"
    )
    circuit_breaker_timeout: float = Field(
        default=30.0, gt=0, description="seconds an open circuit waits before one trial call"
    )


ErrorRecoveryConfig = RetryConfig


class ModelPrice(_Section):
    """USD per million tokens, for models genai-prices does not know (local, fine-tuned, custom) or to
    override its price for a model. Cache reads and writes cost the input price unless given."""

    input_per_mtok: float = Field(ge=0, description="USD per million uncached input tokens")
    output_per_mtok: float = Field(ge=0, description="USD per million output tokens")
    cache_read_per_mtok: float | None = Field(default=None, ge=0, description="unset: the input price")
    cache_write_per_mtok: float | None = Field(default=None, ge=0, description="unset: the input price")


class TokenizerConfig(_Section):
    """Token counting and prices.

    ``encoding`` forces one tiktoken encoding; by default it follows the model (o200k_base / cl100k_base for
    OpenAI models). A model with no public tokenizer is estimated as its o200k_base count times
    ``estimate_factor``. ``prices`` maps exact model names to :class:`ModelPrice`; it is consulted before
    genai-prices.
    """

    encoding: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="force one tiktoken encoding (e.g. o200k_base); unset: the model's own",
    )
    estimate_factor: float = Field(
        default=1.2,
        ge=0.5,
        le=4.0,
        description="models without a public tokenizer count as o200k_base tokens times this",
    )
    prices: dict[str, ModelPrice] = Field(
        default_factory=dict,
        description="exact model name -> USD per million tokens; checked before genai-prices",
    )


class PluginsConfig(_Section):
    """Which installed plugins load: ``enabled`` is an allow-list (unset = all), ``disabled`` always wins.

    A name registered by two plugins belongs to the first (the core, then first-party plugins, then the rest
    by name); ``overrides`` lists the plugins allowed to replace one with ``register(..., override=True)``.
    """

    enabled: list[str] | None = Field(default=None, description="plugins that may load; unset: all installed")
    disabled: list[str] = Field(
        default_factory=list, description="plugins never imported, whatever enabled says"
    )
    overrides: list[str] = Field(
        default_factory=list,
        description="plugins whose register(..., override=True) may replace a taken name",
    )

    @classmethod
    def from_environment(cls) -> PluginsConfig:
        """Read just this section from the settings sources (cheap; used for plugin discovery)."""
        if not any(k.upper().startswith("MAMBA_PLUGINS") for k in os.environ) and not _has_config_files():
            return cls()  # nothing to read: skip pydantic-settings (most of `mamba --help`'s start-up)
        from mamba_agents.config.settings import AgentSettings

        return AgentSettings().plugins


def _has_config_files() -> bool:
    return (
        any(Path(p).exists() for p in (".env", "config.toml", "config.yaml", "config.yml"))
        or (Path.home() / "mamba.env").exists()
    )


class BashConfig(_Section):
    """``run_bash``: timeout, output caps, which commands may run, what environment they see, approval.

    ``approval``: ``never``; ``dangerous`` (commands that use a name from ``dangerous_commands``, or that
    cannot be analysed, wait for approval through pydantic-ai's deferred tools); ``always``.
    """

    timeout: float = Field(default=30.0, gt=0, description="seconds per command, unless the call says")
    max_timeout: float = Field(default=600.0, gt=0, description="the longest timeout a model may ask for")
    max_output_bytes: int = Field(default=64_000, ge=256, description="per stream; head and tail are kept")
    allowed_commands: list[str] | None = Field(
        default=None, description="unset: any command; else every simple command must start with one of these"
    )
    denied_commands: list[str] = Field(default_factory=list, description="refused wherever they appear")
    env_allowlist: list[str] = Field(
        default_factory=lambda: ["PATH", "HOME", "LANG", "LC_ALL", "TERM", "TZ"],
        description="the only variables passed on from the agent's environment",
    )
    env: dict[str, str] = Field(default_factory=dict, description="extra variables set for every command")
    approval: Literal["never", "dangerous", "always"] = Field(
        default="never", description="which commands wait for approval (pydantic-ai deferred tools)"
    )
    confinement: Literal["auto", "required", "off"] = Field(
        default="auto",
        description="OS confinement (namespaces, Landlock): what the kernel offers, all of it, or none",
    )
    network: bool = Field(default=False, description="commands may use the network (off: loopback only)")
    writable_paths: list[Path] = Field(
        default_factory=list, description="more directories commands may write, beside the sandbox"
    )
    # fmt: off
    dangerous_commands: list[str] = Field(
        default_factory=lambda: [
            "rm", "rmdir", "shred", "dd", "mkfs", "mount", "umount", "chmod", "chown", "chgrp", "sudo",
            "su", "doas", "kill", "pkill", "killall", "reboot", "shutdown", "halt", "poweroff", "curl",
            "wget", "ssh", "scp", "rsync", "nc", "git push", "git reset", "git clean", "pip install",
            "npm install", "crontab",
        ],
        description="with approval = dangerous: commands that need approval",
    )
    # fmt: on

    @field_validator("allowed_commands", "denied_commands", "dangerous_commands")
    @classmethod
    def _no_blank_commands(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is not None and any(not v.strip() for v in value):
            raise ValueError(f"{info.field_name}: command names must not be empty")
        return value


class ToolsConfig(_Section):
    """Tools by name (or group) from the tools registry, and the sandbox they run in.

    ``base_directory`` unset means the current working directory when the toolset is built. The ``max_*``
    limits protect the model's context: longer reads and searches are cut with a note saying how to go on.
    """

    consumer: ClassVar[str | None] = "mamba_agents_tools"

    enabled: list[str] = Field(default_factory=list, description="tools or groups: filesystem, search, bash")
    sandbox_mode: bool = Field(default=True, description="paths must resolve inside base_directory")
    base_directory: Path | None = Field(default=None, description="the sandbox root; unset: the working dir")
    allowed_extensions: list[str] | None = Field(default=None, description="files only; unset: all")
    denied_extensions: list[str] = Field(default_factory=list, description="any suffix of a name, any case")
    max_file_size: int = Field(default=10 * 1024 * 1024, gt=0, description="bytes a tool reads or writes")
    read_only: bool = Field(default=False, description="refuse writes, appends, moves, copies, deletes")
    max_read_chars: int = Field(default=50_000, ge=1_000, description="most read_file returns, with a note")
    max_search_results: int = Field(default=200, gt=0, description="glob and grep results the model gets")
    max_list_entries: int = Field(default=1_000, gt=0, description="list_directory entries the model gets")
    search_timeout: float = Field(
        default=10.0, gt=0, description="seconds one grep_search may spend matching; then it stops, saying so"
    )
    protected_paths: list[Path] = Field(
        default_factory=list,
        description="more files or folders no tool may write (relative: to the sandbox root), beside the "
        "built-in protected paths",
    )
    allow_protected: list[Path] = Field(
        default_factory=list,
        description="protected paths (relative: to the sandbox root) the tools may read and write anyway, "
        "with what is beneath them",
    )
    bash: BashConfig = Field(default_factory=BashConfig)

    @field_validator("allowed_extensions", "denied_extensions")
    @classmethod
    def _extensions(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return None
        out: list[str] = []
        for raw in value:
            ext = raw.strip().lower()
            if not ext or ext == "." or "/" in ext or "\\" in ext or "\0" in ext:
                raise ValueError(f"{info.field_name}: {raw!r} is not a file extension (expected e.g. '.txt')")
            out.append(ext if ext.startswith(".") else f".{ext}")
        return out


class MCPConfig(_Section):
    """MCP servers an Agent built from these settings connects to (the ``mamba-agents-mcp`` plugin).

    Entries are checked when the Agent is built: a wrong key fails naming the file or table and the key.
    """

    consumer: ClassVar[str | None] = "mamba_agents_mcp"

    config_files: list[Path] = Field(
        default_factory=list,
        description="`.mcp.json` files (Claude Desktop format) read in order, `~` expanded; a missing file "
        "is an error; a server named again in a later file replaces the earlier one",
    )
    servers: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="inline `[mcp.servers.NAME]` tables with the keys of a `.mcp.json` entry; read after "
        "`config_files`, so they win",
    )


class SessionsConfig(_Section):
    """Sessions that survive a restart: where they are stored and which one an agent uses by default.

    ``url`` picks the store by its scheme (``sqlite:///path``, ``postgresql://…``, ``redis://…``); unset: a
    SQLite file in the user's data directory. ``options`` go to the store's factory (e.g. ``prefix``).
    """

    url: SecretStr | None = Field(
        default=None,
        description="sqlite:///path, postgresql://…, redis://… (masked: it may hold a password); "
        "unset: a SQLite file in the user data dir",
    )
    default: str | None = Field(
        default=None, min_length=1, description="the session every Agent uses unless given session="
    )
    options: dict[str, Any] = Field(default_factory=dict, description="keyword arguments for the store")


class CapabilitiesConfig(_Section):
    """Capabilities by registered name, with per-capability options."""

    enabled: list[str] = Field(default_factory=list)
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)


class WorkflowsConfig(_Section):
    """Workflows by registered name: ``default`` is the one ``mamba run`` uses (``--workflow`` overrides);
    ``options`` are per-workflow config keys (``[workflows.options.react] max_iterations = 5``), checked
    against that workflow's config class when the Agent is built."""

    default: str | None = Field(
        default=None, min_length=1, description="workflow `mamba run` uses; unset: a plain agent run"
    )
    options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="workflow name -> its config fields (e.g. max_iterations)"
    )


class SubAgentSettings(_Section):
    """One ``[subagents.NAME]`` table: a sub-agent the parent may delegate to with ``delegate_task``
    (the ``mamba-agents-workflows`` plugin). Its only tools are ``tools``; it shares nothing else with the
    parent but the settings' backend, prices, retries and compaction."""

    consumer: ClassVar[str | None] = "mamba_agents_workflows"

    description: str = Field(default="", description="what the parent's model is told it is for")
    model: str | None = Field(default=None, description="its model; unset: the parent's model")
    system_prompt: str | None = Field(default=None, description="its own system prompt")
    tools: list[str] = Field(default_factory=list, description="tool or group names, its only tools")
    max_requests: int | None = Field(default=20, gt=0, description="model requests per delegation")
    max_tokens: int | None = Field(default=None, gt=0, description="total tokens per delegation")
    max_cost: float | None = Field(default=None, gt=0, description="USD per delegation (genai-prices models)")
    timeout: float | None = Field(default=120.0, gt=0, description="seconds per delegation")
    session: str | None = Field(
        default=None, min_length=1, description="keep its own conversation across delegations in this session"
    )
