"""``mamba run`` input: piped stdin, ``-`` for stdin, ``-a`` attachments, ``--system``; bad input is one line.

Through the real entry point (``main``), so the one-line errors are what a user sees; the model is a real
OpenAI-compatible server on 127.0.0.1 and the tests read what it was sent.
"""

from __future__ import annotations

import base64
import os

import pydantic_ai.models
import pytest
from mamba_agents.cli import main

from tests.integration.openai_fake import FakeOpenAI, text_reply

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    with FakeOpenAI(lambda body: text_reply("ok")) as fake:
        monkeypatch.setenv("MAMBA_MODEL_BACKEND__BASE_URL", fake.base_url)
        monkeypatch.setenv("MAMBA_MODEL_BACKEND__MODEL", "fake-model")
        monkeypatch.setenv("MAMBA_RETRY__MAX_RETRIES", "0")
        yield fake


class Stdin:
    """A piped (non-terminal) stdin holding ``data``."""

    def __init__(self, data: bytes, tty: bool = False) -> None:
        import io

        self.buffer = io.BytesIO(data)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def invoke(monkeypatch, capsys, args, stdin: bytes = b"", tty: bool = False):
    monkeypatch.setattr("sys.stdin", Stdin(stdin, tty))
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def user_text(body) -> str:
    content = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


def test_piped_stdin_comes_before_the_prompt(server, monkeypatch, capsys):
    code, out, _ = invoke(monkeypatch, capsys, ["run", "summarise"], stdin=b"line one\nline two\n")
    assert code == 0 and out == "ok\n"
    assert user_text(server.requests[0]) == "line one\nline two\n\n\nsummarise"


def test_dash_reads_the_prompt_from_stdin(server, monkeypatch, capsys):
    code, _, _ = invoke(monkeypatch, capsys, ["run", "-"], stdin="grüß dich".encode())
    assert code == 0 and user_text(server.requests[0]) == "grüß dich"


def test_a_terminal_stdin_is_not_read(server, monkeypatch, capsys):
    code, _, _ = invoke(monkeypatch, capsys, ["run", "just this"], stdin=b"not me", tty=True)
    assert code == 0 and user_text(server.requests[0]) == "just this"


def test_no_prompt_at_all_is_one_line(server, monkeypatch, capsys):
    code, out, err = invoke(monkeypatch, capsys, ["run"], stdin=b"")
    assert code == 2 and out == "" and not server.requests
    assert err.startswith("error: no prompt") and err.count("\n") == 1


def test_text_attachment_is_inlined_with_its_name(server, monkeypatch, capsys, tmp_path):
    (tmp_path / "notes.md").write_text("- buy milk\n")
    code, _, _ = invoke(monkeypatch, capsys, ["run", "what is on the list?", "-a", "notes.md"])
    assert code == 0
    assert user_text(server.requests[0]) == (
        '<file name="notes.md">\n- buy milk\n</file>\n\nwhat is on the list?'
    )


def test_image_attachment_is_sent_as_an_image(server, monkeypatch, capsys, tmp_path):
    (tmp_path / "dot.png").write_bytes(PNG)
    code, _, err = invoke(monkeypatch, capsys, ["run", "describe", "-a", "dot.png"])
    assert code == 0, err
    content = [m for m in server.requests[0]["messages"] if m["role"] == "user"][-1]["content"]
    images = [p for p in content if p["type"] == "image_url"]
    assert len(images) == 1
    assert images[0]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: None, "-a missing.txt: cannot read it (No such file or directory)"),
        (lambda d: (d / "missing.txt").mkdir(), "-a missing.txt: not a file"),
        (lambda d: (d / "missing.txt").write_bytes(b"\xff\xfe\x00bin"), "neither UTF-8 text nor an image"),
    ],
)
def test_a_bad_attachment_is_one_line_and_exit_2(server, monkeypatch, capsys, tmp_path, make, message):
    make(tmp_path)
    code, out, err = invoke(monkeypatch, capsys, ["run", "hi", "-a", "missing.txt"])
    assert code == 2 and out == "" and not server.requests
    assert message in err and err.startswith("error: ") and err.count("\n") == 1


def test_unreadable_attachment(server, monkeypatch, capsys, tmp_path):
    (tmp_path / "secret.txt").write_text("x")

    def denied(self):  # what an unreadable file gives any user (the tests may run as root, who reads all)
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr("pathlib.Path.read_bytes", denied)
    code, _, err = invoke(monkeypatch, capsys, ["run", "hi", "-a", "secret.txt"])
    assert code == 2 and err == "error: -a secret.txt: cannot read it (Permission denied)\n"


def test_system_prompt_is_sent(server, monkeypatch, capsys):
    code, _, _ = invoke(monkeypatch, capsys, ["run", "hi", "--system", "Answer in French."])
    assert code == 0
    system = [m["content"] for m in server.requests[0]["messages"] if m["role"] == "system"]
    assert system == ["Answer in French."]


def test_an_unknown_option_is_one_line(server, monkeypatch, capsys):
    code, _, err = invoke(monkeypatch, capsys, ["run", "hi", "--no-such-option"])
    assert code == 2 and err.count("\n") == 1 and "no-such-option" in err
