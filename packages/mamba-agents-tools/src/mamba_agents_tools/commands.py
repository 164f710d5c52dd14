"""Which shell commands ``run_bash`` may run: allow-list, deny-list, and the "dangerous" test for approval.

The allow-list is the strong one. A command passes only if every simple command in it (each part of a pipeline
or list, including the bodies of ``if``/``while``) starts with an allowed name, and it is refused when it
cannot be analysed: command or process substitution, a variable or a path as the command name, variable
assignments (``PATH=. ls``) or unbalanced quotes. The deny-list and the dangerous list are scans for words
anywhere in the command (also inside quotes and substitutions), so they err towards refusing; like any
deny-list they stop mistakes, not a determined adversary, who can build a name at run time.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mamba_agents_tools.errors import CommandDeniedError

if TYPE_CHECKING:
    from mamba_agents.config import BashConfig

_PUNCTUATION = ";&|()<>"
_REDIRECTS = frozenset({">", ">>", "<", "<<", "<<<", "<>", ">&", "<&", "&>", "&>>", ">|"})
_UNANALYSABLE = ("`", "$(", "<(", ">(")
_LEADING_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time"})
_NON_COMMAND_KEYWORDS = frozenset({"for", "select", "case", "esac", "fi", "done", "in", "[[", "]]"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
_RAW_WORD = re.compile(r"[A-Za-z0-9_.+-]+")

Entry = tuple[str, ...]


def _entries(values: Iterable[str] | None) -> tuple[Entry, ...] | None:
    if values is None:
        return None
    return tuple(tuple(v.split()) for v in values if v.split())


def _tokens(command: str) -> list[str]:
    lexer = shlex.shlex(command.replace("\n", " ; "), posix=True, punctuation_chars=_PUNCTUATION)
    lexer.whitespace_split = True
    lexer.commenters = ""  # bash starts comments only at word starts; shlex would cut 'a#b; rm x' short
    return list(lexer)


def simple_commands(command: str) -> list[list[str]] | None:
    """The words of each simple command, or ``None`` when the command cannot be analysed safely."""
    if any(marker in command for marker in _UNANALYSABLE):
        return None
    try:
        tokens = _tokens(command)
    except ValueError:  # unbalanced quotes
        return None
    segments: list[list[str]] = [[]]
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if token and all(c in _PUNCTUATION for c in token):
            if token in _REDIRECTS or token.endswith((">", "<")):
                skip_next = True
            else:
                segments.append([])
            continue
        segments[-1].append(token)
    commands: list[list[str]] = []
    for words in segments:
        while words and words[0] in _LEADING_KEYWORDS:
            words = words[1:]
        if not words or words[0] in _NON_COMMAND_KEYWORDS:
            continue
        if words[0] == "function" or _ASSIGNMENT.match(words[0]) or "$" in words[0]:
            return None
        commands.append(words)
    return commands


def command_words(command: str, _depth: int = 0) -> list[str]:
    """Every word in ``command`` as bash would see it, plus path basenames and words inside substitutions."""
    words: list[str] = []
    try:
        tokens = _tokens(command)
    except ValueError:
        tokens = []
    for token in tokens:
        if not token or all(c in _PUNCTUATION for c in token):
            words.append(";")
            continue
        words.append(token)
        base = os.path.basename(token.rstrip("/"))
        if base and base != token:
            words.append(base)
        if _depth < 3 and any(m in token for m in ("$(", "`")):
            inner = token.replace("$(", " ; ").replace("`", " ; ").replace(")", " ; ")
            words.extend(command_words(inner, _depth + 1))
    words.append(";")
    words.extend(_RAW_WORD.findall(command))
    return words


def _contains(words: Sequence[str], entry: Entry) -> bool:
    n = len(entry)
    if n == 1:
        return entry[0] in words
    return any(tuple(words[i : i + n]) == entry for i in range(len(words) - n + 1))


@dataclass(frozen=True)
class CommandPolicy:
    """The command rules of a ``[tools.bash]`` section, applied before a command runs."""

    allowed: tuple[Entry, ...] | None = None
    denied: tuple[Entry, ...] = ()
    dangerous: tuple[Entry, ...] = ()
    approval: Literal["never", "dangerous", "always"] = "never"

    @classmethod
    def from_config(cls, config: BashConfig) -> CommandPolicy:
        return cls(
            allowed=_entries(config.allowed_commands),
            denied=_entries(config.denied_commands) or (),
            dangerous=_entries(config.dangerous_commands) or (),
            approval=config.approval,
        )

    def check(self, command: str) -> None:
        """Raise :class:`CommandDeniedError` (saying which rule and why) if the command may not run."""
        if not isinstance(command, str) or not command.strip():
            raise CommandDeniedError("Command refused: it is empty.")
        if "\0" in command:
            raise CommandDeniedError("Command refused: it contains a NUL character.")
        if self.denied:
            words = command_words(command)
            for entry in self.denied:
                if _contains(words, entry):
                    raise CommandDeniedError(
                        f"Command refused: it uses {' '.join(entry)!r}, which is on the deny-list "
                        "(tools.bash.denied_commands)."
                    )
        if self.allowed is None:
            return
        commands = simple_commands(command)
        if commands is None:
            raise CommandDeniedError(
                "Command refused: with an allow-list (tools.bash.allowed_commands) a command may not use "
                "command or process substitution ($(...), `...`, <(...)), a variable or variable assignment "
                "as a command, or unbalanced quotes, because it could not be checked."
            )
        allowed_names = ", ".join(" ".join(e) for e in self.allowed) or "none"
        for words in commands:
            if not any(tuple(words[: len(entry)]) == entry for entry in self.allowed):
                raise CommandDeniedError(
                    f"Command refused: {words[0]!r} is not on the allow-list (tools.bash.allowed_commands: "
                    f"{allowed_names})."
                )

    def needs_approval(self, command: str) -> bool:
        """Whether a human must approve this command first (``approval`` policy)."""
        if self.approval == "always":
            return True
        if self.approval == "never":
            return False
        if simple_commands(command) is None:
            return True
        words = command_words(command)
        return any(_contains(words, entry) for entry in self.dangerous)
