"""A generated, realistic transcript of a tool-heavy coding session, with facts planted early in it.

The session: an agent fixes a stock-reservation bug in an ``inventory-service`` repository over ~60 user
turns. It reads files (often the same ones again), searches, edits, runs the tests, hits a missing file (a
retried tool call), thinks before some steps, and answers. Sizes follow what coding agents see: tool results
of one to several thousand characters, short user prompts, medium answers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

SYSTEM = (
    "You are a careful coding agent working in the repository inventory-service. Use the tools to read, "
    "search, edit and test code. Explain what you changed."
)
FIRST_REQUEST = (
    "Customers sometimes reserve more stock than we have. Please find and fix the race in the reservation "
    "code of inventory-service, add a regression test, and keep me posted."
)


@dataclass(frozen=True)
class Fact:
    question: str
    answer: str


FACTS: tuple[Fact, ...] = (
    Fact("Which port does the staging database listen on?", "6543"),
    Fact("What is reservation_ttl set to in config/settings.toml?", "17m30s"),
    Fact("What is the release branch called?", "release/2024.11-hotfix"),
    Fact("What is the name of the version column used for optimistic locking?", "inventory_row_version"),
    Fact("Which file must never be modified?", "legacy/billing_bridge.py"),
    Fact("Which test failed in the first test run?", "test_concurrent_reserve"),
)

FILES = (
    "src/inventory/reservations.py",
    "src/inventory/models.py",
    "src/inventory/stock.py",
    "src/inventory/api/routes.py",
    "src/inventory/db.py",
    "src/inventory/locks.py",
    "tests/test_reserve.py",
    "tests/test_stock.py",
    "tests/conftest.py",
    "config/settings.toml",
    "src/inventory/events.py",
    "src/inventory/cache.py",
)
WORDS = (
    "stock",
    "reserve",
    "item",
    "warehouse",
    "quantity",
    "order",
    "release",
    "lock",
    "version",
    "session",
    "commit",
    "retry",
    "event",
    "cache",
    "sku",
    "tenant",
    "audit",
    "expire",
    "hold",
    "batch",
)


class _Session:
    def __init__(self, seed: int, scale: float) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.messages: list[ModelMessage] = []
        self.ids = 0

    def word(self) -> str:
        return self.rng.choice(WORDS)

    def code(self, path: str, lines: int) -> str:
        out = [f"# {path}", "from __future__ import annotations", ""]
        for i in range(max(1, int(lines * self.scale))):
            kind = self.rng.random()
            if kind < 0.12:
                out.append(f"def {self.word()}_{self.word()}(session, {self.word()}_id: int) -> int:")
            elif kind < 0.2:
                out.append(f"class {self.word().title()}{self.word().title()}:")
            elif kind < 0.3:
                out.append(f"    # {self.word()} the {self.word()} before the {self.word()} ({i})")
            else:
                out.append(
                    f"    {self.word()}_{self.word()} = {self.word()}.{self.word()}({self.word()}, "
                    f"{self.rng.randint(0, 999)})"
                )
        return "\n".join(out)

    def user(self, text: str) -> None:
        self.messages.append(ModelRequest(parts=[UserPromptPart(content=text)]))

    def think(self) -> ThinkingPart | None:
        if self.rng.random() < 0.5:
            return ThinkingPart(content=" ".join(self.word() for _ in range(self.rng.randint(30, 90))))
        return None

    def tool(
        self, name: str, args: dict, output: str, *, outcome: str = "success", text: str | None = None
    ) -> None:
        self.ids += 1
        call_id = f"call_{self.ids:04d}"
        parts: list = [p for p in (self.think(),) if p]
        if text:
            parts.append(TextPart(content=text))
        parts.append(ToolCallPart(tool_name=name, args=args, tool_call_id=call_id))
        self.messages.append(ModelResponse(parts=parts, model_name="agent-model"))
        self.messages.append(
            ModelRequest(
                parts=[ToolReturnPart(tool_name=name, content=output, tool_call_id=call_id, outcome=outcome)]
            )  # type: ignore[arg-type]
        )

    def answer(self, text: str) -> None:
        parts: list = [p for p in (self.think(),) if p]
        parts.append(TextPart(content=text))
        self.messages.append(ModelResponse(parts=parts, model_name="agent-model"))

    def read(self, path: str, *, extra: str = "") -> None:
        body = self.code(path, self.rng.randint(40, 140))
        self.tool("read_file", {"path": path}, f"{extra}{body}")

    def grep(self) -> None:
        pattern = f"{self.word()}_{self.word()}"
        hits = "\n".join(
            f"{self.rng.choice(FILES)}:{self.rng.randint(1, 400)}:    {pattern}({self.word()}, {self.word()})"
            for _ in range(max(1, int(self.rng.randint(5, 30) * self.scale)))
        )
        self.tool("grep_search", {"pattern": pattern, "path": "src"}, hits)

    def tests(self, failed: str | None = None) -> None:
        lines = [f"tests/test_{self.word()}.py {'.' * self.rng.randint(5, 40)}" for _ in range(8)]
        if failed:
            lines.append(f"FAILED tests/test_reserve.py::{failed} - AssertionError: expected 40 got 38")
            lines.append("1 failed, 212 passed in 9.81s")
        else:
            lines.append(f"{self.rng.randint(200, 230)} passed in {self.rng.uniform(8, 12):.2f}s")
        self.tool("run_bash", {"command": "pytest -q"}, "\n".join(lines))

    def explain(self) -> None:
        sentences = [
            f"The {self.word()} path calls {self.word()}_{self.word()} before taking the {self.word()} lock"
            for _ in range(self.rng.randint(2, 6))
        ]
        self.answer(". ".join(sentences) + ".")


def coding_session(turns: int = 60, seed: int = 7, scale: float = 1.0) -> list[ModelMessage]:
    """The transcript; the facts of :data:`FACTS` are planted in turns 2 to 4. ``scale`` sizes tool output."""
    s = _Session(seed, scale)
    s.messages.append(
        ModelRequest(parts=[SystemPromptPart(content=SYSTEM), UserPromptPart(content=FIRST_REQUEST)])
    )
    s.read("src/inventory/reservations.py")
    s.grep()
    s.answer(
        "The reservation reads the stock level and writes it back without a lock; two requests can both "
        "see the same level. I will look at the models next."
    )
    planted = [
        lambda: (
            s.user(
                "For the record: the staging database listens on port 6543, not 5432. Check the "
                "settings file next."
            ),
            s.read(
                "config/settings.toml", extra='[reservations]\nreservation_ttl = "17m30s"\nmax_hold = 40\n'
            ),
            s.answer("Noted the staging port 6543. Settings: reservation_ttl is 17m30s."),
        ),
        lambda: (
            s.user("The release branch is called release/2024.11-hotfix. How should we lock?"),
            s.read("src/inventory/models.py"),
            s.answer(
                "Decision: we will use optimistic locking with a version column named "
                "`inventory_row_version` on the stock table, and retry the reservation on conflict."
            ),
        ),
        lambda: (
            s.user("Never touch the file legacy/billing_bridge.py; another team owns it. Run the tests."),
            s.tests(failed="test_concurrent_reserve"),
            s.answer("One test failed: test_concurrent_reserve (expected 40, got 38), which is the race."),
        ),
    ]
    for plant in planted:
        plant()
    for turn in range(len(planted) + 1, turns):
        activity = s.rng.random()
        path = s.rng.choice(FILES)
        if activity < 0.3:
            s.user(f"What does {path} do with the {s.word()} {s.word()}?")
            s.read(path)
            if s.rng.random() < 0.5:
                s.grep()
            s.explain()
        elif activity < 0.65:
            s.user(f"Please change {path} so the {s.word()} step uses the {s.word()} version check.")
            s.read(path)
            s.read(path)  # agents re-read before editing
            s.tool(
                "write_file", {"path": path, "content": s.code(path, s.rng.randint(20, 60))}, f"wrote {path}"
            )
            s.tests()
            s.explain()
        elif activity < 0.8:
            s.user(f"Search for every use of {s.word()} in the code.")
            s.grep()
            s.grep()
            s.explain()
        elif activity < 0.9:
            missing = f"src/inventory/{s.word()}_{turn}.py"
            s.user(f"Open {missing}.")
            s.tool(
                "read_file",
                {"path": missing},
                f"File not found: {missing}. Fix the errors and try again.",
                outcome="retried",
            )
            s.tool("list_directory", {"path": "src/inventory"}, "\n".join(FILES))
            s.read(path)
            s.explain()
        else:
            s.user("Run the tests again.")
            s.tests()
            s.answer("All tests pass.")
    return s.messages
