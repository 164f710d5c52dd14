"""The allow-list and approval hold against a hostile model: a bypass corpus and generated commands, all run
for real in a temporary sandbox, checking that nothing outside the allow-list ran."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mamba_agents.config import BashConfig
from mamba_agents.tools.filesystem import FilesystemSecurity
from mamba_agents_tools.bash import run_bash
from mamba_agents_tools.commands import CommandPolicy, unanalysed_reasons
from mamba_agents_tools.errors import CommandDeniedError
from mamba_agents_tools.shellparse import analyse

ONLY_LS = BashConfig(allowed_commands=["ls"])

BYPASSES = [
    # negation: tree-sitter reads the second '!' as a command name; bash runs touch
    "! ! touch PWNED",
    "ls; ! ! ! touch PWNED",
    "if ! ! touch PWNED; then ls; fi",
    # the two from the issue
    "ls;>/dev/null touch PWNED",
    "ls #'\ntouch PWNED\nls #'",
    # separators, redirections and comments in every position
    "ls>/dev/null;touch PWNED",
    "ls 2>&1|touch PWNED",
    "ls &>/dev/null&touch PWNED",
    "ls\ntouch PWNED",
    "ls a#b;touch PWNED",
    "ls >x touch PWNED; ls",
    "ls <<E\nx\nE\ntouch PWNED",
    "ls <<'E'\n$(touch PWNED)\nE\n",
    "ls <<E\n$(touch PWNED)\nE\n",
    "ls \\\n;touch PWNED",
    "ls '#';touch PWNED",
    # substitutions and expansions
    "ls $(touch PWNED)",
    "ls `touch PWNED`",
    "ls <(touch PWNED)",
    "ls >(touch PWNED)",
    "ls ${x:-$(touch PWNED)}",
    "ls ${x:=\\$(touch PWNED)} ${x@P}",
    "ls $((a[$(touch PWNED)]))",
    'ls "$(touch PWNED)"',
    # names built at run time
    "$'\\x74ouch' PWNED",
    "$'touch' PWNED",
    "{touch,PWNED}",
    "t* PWNED",
    "x=touch; $x PWNED",
    "for c in touch; do $c PWNED; done",
    "for PATH in /usr/bin; do touch PWNED; done",
    "PATH=/usr/bin ls; touch PWNED",
    # code evaluators and launchers
    "eval 'touch PWNED'",
    "eval $'\\x74ouch PWNED'",
    "exec touch PWNED",
    "source /dev/stdin <<< 'touch PWNED'",
    "bash -c 'touch PWNED'",
    "sh -c 'touch PWNED'",
    "echo dG91Y2ggUFdORUQ= | base64 -d | bash",
    'python3 -c \'open("PWNED","w")\'',
    "find . -maxdepth 0 -exec touch PWNED \\;",
    "ls | xargs touch PWNED",
    "env touch PWNED",
    "command touch PWNED",
    "builtin eval touch PWNED",
    "ls() { touch PWNED; }; ls",
    "function ls { touch PWNED; }; ls",
    "alias ls='touch PWNED'; ls",
    "trap 'touch PWNED' EXIT; ls",
    "[[ 'a[$(touch PWNED)]' -eq 1 ]]",
    "if ls; then touch PWNED; fi",
    "{ ls; touch PWNED; }",
    "(ls; touch PWNED)",
    "ls && ! touch PWNED",
    "case x in x) touch PWNED;; esac",
    "coproc touch PWNED",
    "time touch PWNED",
]


@pytest.fixture
def sandbox(tmp_path: Path) -> FilesystemSecurity:
    return FilesystemSecurity(base_directory=tmp_path)


@pytest.mark.parametrize("command", BYPASSES)
def test_bypass_corpus_never_runs_touch(sandbox: FilesystemSecurity, command: str) -> None:
    pwned = sandbox.base_directory / "PWNED"
    try:
        run_bash(command, security=sandbox, config=ONLY_LS, timeout=10)
    except CommandDeniedError as exc:
        assert "allow-list" in str(exc)
    assert not pwned.exists(), command


@pytest.mark.parametrize("command", BYPASSES)
def test_bypass_corpus_needs_approval(command: str) -> None:
    policy = CommandPolicy.from_config(BashConfig(approval="dangerous", dangerous_commands=["touch"]))
    assert policy.needs_approval(command), command


@pytest.mark.parametrize(
    "command", ["ls", "ls -la | ls", "ls >/dev/null; ls && ls || ls", "ls # note", "! ! ls"]
)
def test_allowed_commands_still_run(sandbox: FilesystemSecurity, command: str) -> None:
    assert run_bash(command, security=sandbox, config=ONLY_LS).return_code == 0


def test_refusal_says_why(sandbox: FilesystemSecurity) -> None:
    with pytest.raises(CommandDeniedError, match="command substitution"):
        run_bash("ls $(id)", security=sandbox, config=ONLY_LS)
    with pytest.raises(CommandDeniedError, match="'touch' is not on the allow-list"):
        run_bash("ls; touch PWNED", security=sandbox, config=ONLY_LS)


def test_deny_list_refuses_what_it_cannot_scan(sandbox: FilesystemSecurity) -> None:
    deny = BashConfig(denied_commands=["rm"])
    with pytest.raises(CommandDeniedError, match="deny-list"):
        run_bash("eval $'\\x72\\x6d' x", security=sandbox, config=deny)


@pytest.mark.parametrize("command", ["! ! rm victim", "! ! ! rm victim", "ls && ! ! rm victim"])
def test_deny_list_sees_through_repeated_negation(sandbox: FilesystemSecurity, command: str) -> None:
    victim = sandbox.base_directory / "victim"
    victim.write_text("keep me")
    with pytest.raises(CommandDeniedError, match="'rm', which is on the deny-list"):
        run_bash(command, security=sandbox, config=BashConfig(denied_commands=["rm"]))
    assert victim.exists()


def test_relative_path_entries_are_dropped(sandbox: FilesystemSecurity) -> None:
    fake = sandbox.base_directory / "ls"
    fake.write_text("#!/bin/sh\n: > PWNED\n")
    fake.chmod(0o755)
    run_bash("ls", security=sandbox, config=ONLY_LS, env={"PATH": f".:{os.defpath}"})
    assert not (sandbox.base_directory / "PWNED").exists()


# -- generated: bash runs exactly the programs the analysis names ------------------------------------------

SHIMS = ("ls", "cat", "wc", "touch", "rm", "bash", "sh", "find", "xargs", "env", "python3")
FRAGMENTS = [
    *("ls", "cat", "wc", "touch PWNED", "rm x", "bash", "sh -c 'touch PWNED'", "find . -exec touch P \\;"),
    *(";", "&&", "||", "|", "&", "\n", "|&", " "),
    *(">/dev/null", "2>&1", ">out", "<out", ">", "<<E\nx\nE\n", "<<<x", "&>/dev/null"),
    *("#", "'", '"', "\\", "$'", "$(", "`", ")", "(", "{", "}", "\\\n", "#'", "a#", "$x", "${x}", "x=1"),
    *("!", "if", "then", "fi", "for i in a b; do", "done", "case a in a)", ";;", "esac", "[", "]"),
    *("$'\\x74ouch' PWNED", "t''ouch PWNED", "\\touch PWNED", "'touch' PWNED", "t*", "{touch,PWNED}"),
    *("eval", "xargs", "env", "python3 -c 1", "-exec", "-la", "a b"),
]


@pytest.fixture(scope="module")
def shim_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bin_dir = tmp_path_factory.mktemp("shims")
    for name in SHIMS:
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\necho {name} >> "$SHIM_LOG"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return bin_dir


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=7), glue=st.sampled_from(["", " "]))
def test_generated_commands_run_only_what_the_analysis_names(
    tmp_path_factory: pytest.TempPathFactory, shim_bin: Path, parts: list[str], glue: str
) -> None:
    command = glue.join(parts)
    analysis = analyse(command)
    if unanalysed_reasons(analysis) or not command.strip():
        return
    names = {c.name for c in analysis.commands}
    root = tmp_path_factory.mktemp("gen")
    log = root / "log"
    log.touch()
    run_bash(
        command,
        security=FilesystemSecurity(base_directory=root),
        env={"PATH": str(shim_bin), "SHIM_LOG": str(log)},
        timeout=10,
    )
    ran = set(log.read_text().split())
    assert ran <= names, (command, ran, names)
    allowed_only_ls = all(n == "ls" for n in names)
    if allowed_only_ls:
        assert ran <= {"ls"}
