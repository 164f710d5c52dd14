"""Which shell commands ``run_bash`` may run: allow-list, deny-list, and the "dangerous" test for approval.

Every check starts from :func:`~mamba_agents_tools.shellparse.analyse`, which parses the command with bash's
grammar. A command is *analysable* when the parse leaves nothing that runs code the checker cannot see:
besides substitutions, assignments, functions and the like (refused by the parser), this module refuses
simple commands that run other code from their arguments or from stdin — ``eval``/``exec``/``source`` and
the builtins that evaluate names (``read``, ``printf -v``, ``test -v``...), launchers (``env CMD``,
``xargs``, ``timeout``, ``sudo``...), interpreters given inline code or no script (``bash -c``, ``sh``,
``python3 -c``, ``... | bash``), ``find -exec``/``-delete``, ``sed``/``awk`` programs, ``git -c``.

The allow-list fails closed: a command passes only if it is analysable and every simple command in it
starts with an allowed entry, word for word as bash will run it. ``approval = "dangerous"`` asks for approval
for anything unanalysable or naming a dangerous command; the deny-list refuses a listed name anywhere in the
command (a word scan, also inside quotes) and, because a name built at run time cannot be scanned, refuses
unanalysable commands too. An allow-list promises which programs the shell starts, not what they do: an
allowed program that runs other code (a test runner reading ``conftest.py``, ``git`` reading its config) is
as strong as that code. The OS confinement in :mod:`mamba_agents_tools.confinement` bounds what they can do.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mamba_agents_tools.errors import CommandDeniedError
from mamba_agents_tools.shellparse import Analysis, SimpleCommand, analyse

if TYPE_CHECKING:
    from mamba_agents.config import BashConfig

__all__ = ["CommandPolicy", "command_words", "unanalysed_reasons"]

Entry = tuple[str, ...]

# Builtins that run a string as code, or evaluate a name argument (array subscripts run $(...)).
_EVALUATING_BUILTINS = frozenset(
    {
        "eval", "exec", "source", ".", "trap", "alias", "unalias", "enable", "hash", "command", "builtin",
        "coproc", "fc", "complete", "compgen", "compopt", "bind", "mapfile", "readarray", "read", "let",
        "declare", "typeset", "local", "export", "readonly", "unset", "getopts", "shopt", "set", "wait",
        "history",
    }
)  # fmt: skip
# Programs whose arguments name another program to run.
_LAUNCHERS = frozenset(
    {
        "env", "xargs", "nohup", "nice", "timeout", "setsid", "stdbuf", "time", "watch", "flock", "chroot",
        "unshare", "nsenter", "sudo", "su", "doas", "runuser", "setpriv", "strace", "ltrace", "gdb",
        "script", "busybox", "parallel", "taskset", "ionice", "chrt", "systemd-run", "sg", "newgrp",
        "capsh", "ssh", "fakeroot", "proot", "firejail", "bwrap", "dbus-run-session", "xvfb-run",
        "valgrind", "perf", "pkexec", "expect", "tmux", "screen", "at", "batch", "entr", "catchsegv",
    }
)  # fmt: skip
# Interpreters: analysable only when they run a script file (or, for Python, a module) named literally.
_INTERPRETERS = frozenset(
    {
        "sh", "bash", "dash", "zsh", "ksh", "mksh", "yash", "fish", "csh", "tcsh", "ash", "rbash",
        "python", "python2", "python3", "pypy", "pypy3", "perl", "ruby", "irb", "node", "nodejs", "deno",
        "bun", "php", "lua", "luajit", "tclsh", "wish", "Rscript", "julia", "osascript", "pwsh",
        "powershell", "guile", "racket", "sbcl", "ghci", "runghc", "scala", "groovy", "jshell",
    }
)  # fmt: skip
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?|pypy3?")
# sed and awk take a program as an argument; GNU sed --sandbox and gawk --sandbox refuse its e/w/r/system.
_SANDBOXABLE_PROGRAMS = frozenset({"sed", "gawk"})
_PROGRAM_TAKERS = frozenset({"awk", "mawk", "nawk", "ed", "ex", "vi", "vim", "nvim", "emacs"})
_FIND_ACTIONS = frozenset(
    {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls"}
)
_GIT_CODE_OPTIONS = ("-c", "--config-env", "--exec-path")


def _entries(values: Iterable[str] | None) -> tuple[Entry, ...] | None:
    if values is None:
        return None
    return tuple(tuple(v.split()) for v in values if v.split())


def _runs_hidden_code(cmd: SimpleCommand) -> str | None:
    """Why this simple command runs code that is not itself a checked simple command, or ``None``."""
    name = cmd.name
    if name is None:
        return f"the command name in {cmd.text!r} is only known at run time"
    base = os.path.basename(name)
    args = cmd.args
    if base in _EVALUATING_BUILTINS:
        return f"{base!r} runs or evaluates its arguments as code"
    if base in ("printf",) and any(a is None or a.startswith("-v") for a in args):
        return "printf -v assigns to a name, which can run code"
    if base in ("test", "[") and any(a is None or a in ("-v", "-R") for a in args):
        return f"{base} -v evaluates a name, which can run code"
    if base in _LAUNCHERS and args:
        return f"{base!r} runs the command given in its arguments"
    if base in _INTERPRETERS or _PYTHON.fullmatch(base):
        first = args[0] if args else None
        if first == "-m" and _PYTHON.fullmatch(base) and len(args) > 1 and args[1]:
            return None
        if first is None or first.startswith("-"):
            return f"{base!r} without a script file runs inline code or reads code from stdin"
        return None
    if base in _SANDBOXABLE_PROGRAMS:
        if "--sandbox" not in args:
            return f"{base} programs can run commands; pass --sandbox"
        return None
    if base in _PROGRAM_TAKERS:
        return f"{base!r} programs can run commands"
    if base == "find" and any(a is None or a in _FIND_ACTIONS for a in args):
        return "find with -exec, -ok, -delete or -fprint runs or changes more than it names"
    if base == "git" and any(a is None or a.startswith(_GIT_CODE_OPTIONS) for a in args):
        return "git -c/--config-env/--exec-path can run any program"
    return None


def unanalysed_reasons(analysis: Analysis) -> list[str]:
    """Everything that keeps the command from being checked: parse problems and hidden code."""
    reasons = list(analysis.problems)
    for cmd in analysis.commands:
        why = _runs_hidden_code(cmd)
        if why is not None:
            reasons.append(why)
    if not analysis.commands and not reasons:
        reasons.append("it contains no command")
    return list(dict.fromkeys(reasons))


def command_words(command: str) -> list[str]:
    """Every word of ``command`` (quotes removed where shlex can), path basenames, and raw name-like runs.

    A deliberately loose scan for the deny-list and the dangerous list: it errs towards finding a name.
    """
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:
        tokens = []
    words: list[str] = []
    for token in tokens:
        words.append(token)
        base = os.path.basename(token.rstrip("/"))
        if base and base != token:
            words.append(base)
    words.append(";")
    words.extend(re.findall(r"[A-Za-z0-9_.+-]+", command))
    return words


def _contains(words: Sequence[str], entry: Entry) -> bool:
    n = len(entry)
    return any(tuple(words[i : i + n]) == entry for i in range(len(words) - n + 1))


def _starts_with(cmd: SimpleCommand, entry: Entry) -> bool:
    return tuple(cmd.words[: len(entry)]) == entry


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
        if not self.denied and self.allowed is None:
            return
        analysis = analyse(command)
        reasons = unanalysed_reasons(analysis)
        if self.denied:
            words = command_words(command)
            names = [w for c in analysis.commands for w in c.words if w is not None]
            for entry in self.denied:
                if _contains(words, entry) or _contains(names, entry):
                    raise CommandDeniedError(
                        f"Command refused: it uses {' '.join(entry)!r}, which is on the deny-list "
                        "(tools.bash.denied_commands)."
                    )
            if reasons and self.allowed is None:
                raise CommandDeniedError(
                    "Command refused: with a deny-list (tools.bash.denied_commands) a command must be one "
                    f"whose programs can be checked, and this one cannot: {'; '.join(reasons)}."
                )
        if self.allowed is None:
            return
        if reasons:
            raise CommandDeniedError(
                "Command refused: with an allow-list (tools.bash.allowed_commands) every program a command "
                f"starts must be checked, and this one cannot be: {'; '.join(reasons)}. Write it as plain "
                "commands joined by pipes, ;, && or ||."
            )
        allowed_names = ", ".join(" ".join(e) for e in self.allowed) or "none"
        for cmd in analysis.commands:
            if not any(_starts_with(cmd, entry) for entry in self.allowed):
                raise CommandDeniedError(
                    f"Command refused: {cmd.name!r} is not on the allow-list (tools.bash.allowed_commands: "
                    f"{allowed_names})."
                )

    def needs_approval(self, command: str) -> bool:
        """Whether a human must approve this command first (``approval`` policy)."""
        if self.approval == "always":
            return True
        if self.approval == "never":
            return False
        if not isinstance(command, str) or not command.strip():
            return False  # refused by check() before anything runs
        analysis = analyse(command)
        if unanalysed_reasons(analysis):
            return True
        words = command_words(command)
        names = [w for c in analysis.commands for w in c.words if w is not None]
        basenames = [os.path.basename(c.name) for c in analysis.commands if c.name]
        return any(
            _contains(words, entry) or _contains(names, entry) or _contains(basenames, entry)
            for entry in self.dangerous
        )
