"""The tools as a model sees them: schemas without policy knobs, failures the model reads, notes when a limit
cuts a result, approval of dangerous commands, and parallel tool calls that cannot corrupt a file."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mamba_agents_tools.filesystem as fs_module
import pytest
from mamba_agents.config import BashConfig, ToolsConfig
from mamba_agents_tools import TOOL_NAMES, SandboxedToolset, build_toolset
from pydantic_ai import Agent, DeferredToolRequests, DeferredToolResults, ToolDenied
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.tools.conftest import SECRET

Call = tuple[str, dict[str, Any]]
Turn = Sequence[Call] | Callable[[list[ToolReturnPart]], Sequence[Call]]


class Script:
    """A FunctionModel script: each turn is a batch of tool calls (sent in one response, so they run in
    parallel) or a function of the previous batch's results; then it answers 'done'."""

    def __init__(self, *turns: Turn) -> None:
        self.turns = list(turns)
        self.results: list[list[ToolReturnPart]] = []
        self.tool_names: list[str] = []
        self.schemas: dict[str, dict[str, Any]] = {}

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.tool_names = [t.name for t in info.function_tools]
        self.schemas = {t.name: t.parameters_json_schema for t in info.function_tools}
        returns = [p for p in messages[-1].parts if isinstance(p, ToolReturnPart)]
        if returns:
            self.results.append(returns)
        if not self.turns:
            return ModelResponse(parts=[TextPart("done")])
        turn = self.turns.pop(0)
        calls = turn(returns) if callable(turn) else turn
        if not calls:  # the script has nothing more to do
            self.turns.clear()
            return ModelResponse(parts=[TextPart("done")])
        step = len(self.results)
        return ModelResponse(
            parts=[
                ToolCallPart(name, args, tool_call_id=f"t{step}c{i}") for i, (name, args) in enumerate(calls)
            ]
        )

    @property
    def last(self) -> list[ToolReturnPart]:
        """The last batch's results in call order (parallel calls may be returned in any order)."""
        return sorted(self.results[-1], key=lambda part: part.tool_call_id)


def run(toolset, *turns: Turn, **agent_kwargs: Any) -> tuple[Script, Any]:
    script = Script(*turns)
    result = Agent(FunctionModel(script), toolsets=[toolset], **agent_kwargs).run_sync("go")
    return script, result


def config(root: Path, **overrides: Any) -> ToolsConfig:
    return ToolsConfig(base_directory=root, **overrides)


# -- schemas ----------------------------------------------------------------------------------------------

# read_file's encoding is the model's to choose (issue 9 §5): it changes how bytes are shown, not what
# is allowed.
HIDDEN = {
    "security",
    "config",
    "env",
    "max_chars",
    "max_entries",
    "create_parents",
    "include_hidden",
}


def test_schemas_hold_no_policy_knobs(root: Path) -> None:
    script, _ = run(build_toolset(["filesystem", "search", "bash"], config(root)), [])
    assert script.tool_names == list(TOOL_NAMES)
    for name, schema in script.schemas.items():
        assert not HIDDEN & set(schema["properties"]), name
        assert schema.get("additionalProperties") is False, name
        assert "security" not in str(schema).lower(), name


def test_a_model_cannot_smuggle_its_own_sandbox(root: Path) -> None:
    outside = root.parent / "outside"
    call = ("read_file", {"path": str(outside / "secret.txt"), "security": {"base_directory": "/"}})
    script, result = run(build_toolset(["read_file"], config(root)), [call])
    assert script.last[0].outcome == "retried"
    assert "security" in str(script.last[0].content) and SECRET not in str(script.last[0].content)
    assert result.output == "done"


def test_build_toolset_selects_exactly_the_named_tools(root: Path) -> None:
    toolset = build_toolset(["grep_search", "filesystem", "read_file"], config(root))
    assert isinstance(toolset, SandboxedToolset) and toolset.id == "mamba_agents_tools"
    assert toolset.tool_names == ["grep_search", *TOOL_NAMES[:8]]
    with pytest.raises(ValueError, match=r"unknown built-in tool 'rm_rf'.*read_file"):
        build_toolset(["rm_rf"], config(root))


def test_explicit_security_wins_over_config(root: Path, tmp_path: Path) -> None:
    from mamba_agents.tools.filesystem import FilesystemSecurity

    other = tmp_path / "other"
    other.mkdir()
    (other / "only_here.txt").write_text("other sandbox")
    toolset = build_toolset(["read_file"], config(root), security=FilesystemSecurity(base_directory=other))
    script, _ = run(toolset, [("read_file", {"path": "only_here.txt"})])
    assert script.last[0].content == "other sandbox"


# -- failures reach the model -----------------------------------------------------------------------------


def test_failures_are_reported_not_raised(root: Path) -> None:
    calls = [
        ("read_file", {"path": "missing.txt"}),
        ("read_file", {"path": "../outside/secret.txt"}),
        ("glob_search", {"pattern": "../*"}),
        ("grep_search", {"pattern": "("}),
        ("write_file", {"path": "subdir", "content": "x"}),
        ("run_bash", {"command": "exit 4"}),
        ("read_file", {"path": "file1.txt"}),
    ]
    script, result = run(build_toolset(["filesystem", "search", "bash"], config(root)), calls)
    assert result.output == "done"
    outcome = {p.tool_call_id: (p.outcome, str(p.content)) for p in script.last}
    assert outcome["t0c0"] == ("failed", "File not found: 'missing.txt'")
    assert outcome["t0c1"][0] == "failed" and "outside the sandbox" in outcome["t0c1"][1]
    assert outcome["t0c2"][0] == "failed" and "starts outside the sandbox" in outcome["t0c2"][1]
    assert outcome["t0c3"][0] == "failed" and "invalid regular expression" in outcome["t0c3"][1]
    assert outcome["t0c4"][0] == "failed" and "is a directory" in outcome["t0c4"][1]
    assert outcome["t0c5"][0] == "success" and "'exit_code': 4" in outcome["t0c5"][1]
    assert outcome["t0c6"] == ("success", "Hello, World!")


def test_unexpected_errors_become_failed_calls(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError(5, "Input/output error", "file1.txt")

    monkeypatch.setattr(fs_module, "read_window", broken)
    script, result = run(build_toolset(["read_file"], config(root)), [("read_file", {"path": "file1.txt"})])
    assert result.output == "done"
    assert (script.last[0].outcome, script.last[0].content) == (
        "failed",
        "read_file failed: Input/output error (file1.txt)",
    )


def test_read_only_config_is_enforced_and_explained(root: Path) -> None:
    script, _ = run(
        build_toolset(["filesystem"], config(root, read_only=True)),
        [("write_file", {"path": "new.txt", "content": "x"}), ("read_file", {"path": "file1.txt"})],
    )
    assert script.last[0].outcome == "failed" and "read-only mode" in str(script.last[0].content)
    assert script.last[1].content == "Hello, World!"
    assert not (root / "new.txt").exists()


def test_bash_timeout_is_a_failure_with_partial_output(root: Path) -> None:
    cfg = config(root, bash=BashConfig(max_timeout=5))
    script, _ = run(
        build_toolset(["run_bash"], cfg),
        [
            ("run_bash", {"command": "echo partial; sleep 30", "timeout": 0.3}),
            ("run_bash", {"command": "true", "timeout": 60}),
        ],
    )
    first, second = script.last
    assert first.outcome == "failed" and "timed out after 0.3 seconds" in str(first.content)
    assert "partial" in str(first.content)
    assert second.outcome == "failed" and "at most 5 seconds" in str(second.content)


# -- context protection -----------------------------------------------------------------------------------


def test_large_read_is_cut_with_a_note_and_can_be_paged(root: Path) -> None:
    content = "".join(f"line {i:04d} {'y' * 50}\n" for i in range(300))
    (root / "big.log").write_text(content)
    pages: list[str] = []

    def next_page(returns: list[ToolReturnPart]) -> list[Call]:
        text = str(returns[0].content)
        body, _, note = text.partition("[Showing lines")
        pages.append(body)
        offset = int(note.split("offset=")[1].split(" ")[0]) if "offset=" in note else None
        return [("read_file", {"path": "big.log", "offset": offset})] if offset is not None else []

    first = [("read_file", {"path": "big.log"})]
    script, _ = run(
        build_toolset(["read_file"], config(root, max_read_chars=2_000)), first, *[next_page] * 20
    )
    assert "Call read_file with offset=" in str(script.results[0][0].content)
    assert "".join(pages) == content
    assert all(len(p) <= 2_000 for p in pages)


def test_search_results_are_capped_with_notes(root: Path) -> None:
    (root / "many.txt").write_text("match\n" * 50)
    for i in range(30):
        (root / f"f{i:02d}.md").write_text("x")
    cfg = config(root, max_search_results=10, max_list_entries=5)
    script, _ = run(
        build_toolset(["search", "list_directory"], cfg),
        [
            ("grep_search", {"pattern": "match"}),
            ("grep_search", {"pattern": "match", "max_results": 3}),
            ("glob_search", {"pattern": "*.md"}),
            ("list_directory", {"path": "."}),
        ],
    )
    grep, grep3, glob, listing = (p.content for p in script.last)
    assert len(grep["matches"]) == 10 and "Stopped after 10 matches" in grep["note"]
    assert len(grep3["matches"]) == 3
    assert len(glob["matches"]) == 10 and "Only the first 10 matches" in glob["note"]
    assert len(listing["entries"]) == 5 and "first 5 entries" in listing["note"]


def test_long_grep_lines_are_cut_for_the_model(root: Path) -> None:
    (root / "minified.js").write_text("var needle=" + "1," * 5_000 + "\n")
    script, _ = run(build_toolset(["grep_search"], config(root)), [("grep_search", {"pattern": "needle"})])
    line = script.last[0].content["matches"][0]["line"]
    assert len(line) < 2_100 and line.endswith("[line cut: 10011 characters]")


def test_binary_file_is_described_not_dumped(root: Path) -> None:
    (root / "blob.bin").write_bytes(bytes(range(256)) * 40)
    script, _ = run(build_toolset(["read_file"], config(root)), [("read_file", {"path": "blob.bin"})])
    assert script.last[0].outcome == "failed"
    assert "binary file (10240 bytes)" in str(script.last[0].content)


# -- approval of dangerous commands -----------------------------------------------------------------------


def test_dangerous_commands_wait_for_approval(root: Path) -> None:
    toolset = build_toolset(["run_bash"], config(root, bash=BashConfig(approval="dangerous")))
    script = Script([("run_bash", {"command": "rm file1.txt"}), ("run_bash", {"command": "echo safe"})])
    agent = Agent(FunctionModel(script), toolsets=[toolset], output_type=[str, DeferredToolRequests])
    first = agent.run_sync("clean up")
    assert isinstance(first.output, DeferredToolRequests)
    assert [(c.tool_name, c.args["command"]) for c in first.output.approvals] == [
        ("run_bash", "rm file1.txt")
    ]
    assert (root / "file1.txt").exists()

    denied = agent.run_sync(
        message_history=first.all_messages(),
        deferred_tool_results=DeferredToolResults(approvals={"t0c0": ToolDenied("not today")}),
    )
    assert denied.output == "done" and (root / "file1.txt").exists()

    script.turns = [[("run_bash", {"command": "rm file1.txt"})]]
    again = agent.run_sync("clean up", message_history=denied.all_messages())
    call_id = again.output.approvals[0].tool_call_id
    approved = agent.run_sync(
        message_history=again.all_messages(),
        deferred_tool_results=DeferredToolResults(approvals={call_id: True}),
    )
    assert approved.output == "done" and not (root / "file1.txt").exists()


def test_approval_never_runs_directly(root: Path) -> None:
    _, result = run(build_toolset(["run_bash"], config(root)), [("run_bash", {"command": "rm file1.txt"})])
    assert result.output == "done" and not (root / "file1.txt").exists()


def test_deny_list_from_config_reaches_the_model(root: Path) -> None:
    cfg = config(root, bash=BashConfig(denied_commands=["rm"]))
    script, _ = run(build_toolset(["run_bash"], cfg), [("run_bash", {"command": "rm -f file1.txt"})])
    assert script.last[0].outcome == "failed"
    assert "'rm', which is on the deny-list" in str(script.last[0].content)
    assert (root / "file1.txt").exists()


# -- parallel tool calls ----------------------------------------------------------------------------------


class Overlap:
    """Wraps a function and records how many calls were inside it at once, per first argument."""

    def __init__(self, func: Callable[..., Any], hold: float = 0.02) -> None:
        self.func, self.hold = func, hold
        self.lock = threading.Lock()
        self.active: dict[str, int] = {}
        self.peak: dict[str, int] = {}

    def __call__(self, sec: Any, real: Path, *args: Any, **kwargs: Any) -> Any:
        key = str(real)
        with self.lock:
            self.active[key] = self.active.get(key, 0) + 1
            self.peak[key] = max(self.peak.get(key, 0), self.active[key])
        try:
            time.sleep(self.hold)  # widen the window in which an unserialised call would overlap
            return self.func(sec, real, *args, **kwargs)
        finally:
            with self.lock:
                self.active[key] -= 1


def test_parallel_writes_to_one_path_are_serialised(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overlap = Overlap(fs_module._write_atomically)
    monkeypatch.setattr(fs_module, "_write_atomically", overlap)
    writes = [("write_file", {"path": "shared.txt", "content": f"writer {i}\n" * 100}) for i in range(8)]
    script, _ = run(build_toolset(["write_file"], config(root)), writes)
    assert [p.outcome for p in script.last] == ["success"] * 8
    assert overlap.peak == {str(root / "shared.txt"): 1}
    text = (root / "shared.txt").read_text()
    assert len(set(text.splitlines())) == 1 and text.count("\n") == 100  # one whole version, never a mix


def test_parallel_writes_to_different_paths_overlap(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    barrier = threading.Barrier(4, timeout=10)
    original = fs_module._write_atomically

    def meet_then_write(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()  # only passes if four writes are in flight together
        return original(*args, **kwargs)

    monkeypatch.setattr(fs_module, "_write_atomically", meet_then_write)
    writes = [("write_file", {"path": f"out{i}.txt", "content": str(i)}) for i in range(4)]
    script, _ = run(build_toolset(["write_file"], config(root)), writes)
    assert [p.outcome for p in script.last] == ["success"] * 4


def test_parallel_reads_of_one_file_overlap(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    barrier = threading.Barrier(4, timeout=10)
    original = fs_module.read_window

    def meet_then_read(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(fs_module, "read_window", meet_then_read)
    script, _ = run(build_toolset(["read_file"], config(root)), [("read_file", {"path": "file1.txt"})] * 4)
    assert [p.content for p in script.last] == ["Hello, World!"] * 4


def test_mixed_parallel_mutations_stay_consistent(root: Path) -> None:
    appends = [("append_file", {"path": "log.txt", "content": f"entry {i}\n"}) for i in range(20)]
    moves = [("copy_file", {"source": "file1.txt", "destination": f"copies/c{i}.txt"}) for i in range(5)]
    script, _ = run(
        build_toolset(["filesystem"], config(root)),
        [*appends, *moves],
        [("move_file", {"source": "log.txt", "destination": "archive/log.txt"})],
    )
    assert all(p.outcome == "success" for batch in script.results for p in batch)
    lines = (root / "archive/log.txt").read_text().splitlines()
    assert sorted(lines) == sorted(f"entry {i}" for i in range(20))
    assert all((root / f"copies/c{i}.txt").read_text() == "Hello, World!" for i in range(5))
