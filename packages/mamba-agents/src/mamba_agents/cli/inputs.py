"""What ``mamba run`` sends: the prompt argument, piped stdin and ``-a`` attachments, read within bounds."""

from __future__ import annotations

import mimetypes
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import click

# Bounds on what is read into one prompt; past them the command stops and says which limit was hit.
MAX_STDIN_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS = 50


class InputError(click.ClickException):
    """Bad input from the command line (a missing file, no prompt): one ``error:`` line, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


@dataclass
class Attachment:
    name: str
    media_type: str
    data: bytes
    text: str | None = None  # set for a text file, which is inlined into the prompt


@dataclass
class PromptInput:
    """The pieces of one prompt; ``parts(model)`` turns them into what pydantic-ai's ``run`` takes."""

    text: str
    attachments: list[Attachment] = field(default_factory=list)

    def parts(self, model: Any = None) -> str | list[Any]:
        from pydantic_ai.messages import BinaryContent

        inlined = [a for a in self.attachments if a.text is not None]
        binary = [a for a in self.attachments if a.text is None]
        text = "".join(_inline(a) for a in inlined) + self.text
        if not binary:
            return text
        profile = getattr(model, "profile", None)
        if profile is not None and not getattr(profile, "supports_image_input", True):
            name = getattr(model, "model_name", "the model")
            raise InputError(
                f"-a {binary[0].name}: {name} does not accept images (its profile says "
                "supports_image_input=False); attach text files only"
            )
        return [text, *(BinaryContent(data=a.data, media_type=a.media_type) for a in binary)]


def _inline(attachment: Attachment) -> str:
    body = attachment.text or ""
    end = "" if body.endswith("\n") else "\n"
    return f'<file name="{attachment.name}">\n{body}{end}</file>\n\n'


def read_prompt(
    prompt: str | None, attachments: tuple[str, ...], stdin: TextIO | BinaryIO | None = None
) -> PromptInput:
    """``prompt`` ("-" reads stdin); piped stdin comes first: ``cat f | mamba run "summarise"``."""
    source = stdin if stdin is not None else sys.stdin
    piped = None
    if source is not None and (prompt == "-" or not _is_tty(source)):
        try:
            piped = _read_bounded(getattr(source, "buffer", source), MAX_STDIN_BYTES, "stdin")
        except OSError as exc:  # a closed or pseudo stdin (a test harness, a daemon) carries no prompt
            if prompt == "-":
                raise InputError(f"stdin: cannot read it ({exc.strerror or exc})") from None
    if prompt == "-":
        prompt = None
    parts = [p for p in (piped, prompt) if p]
    if not parts and not attachments:
        raise InputError("no prompt: give one as an argument, pipe it on stdin, or use -a FILE")
    if len(attachments) > MAX_ATTACHMENTS:
        raise InputError(f"-a: at most {MAX_ATTACHMENTS} attachments (got {len(attachments)})")
    return PromptInput("\n\n".join(parts), [read_attachment(path) for path in attachments])


def read_attachment(path: str) -> Attachment:
    file = Path(path)
    try:
        size = file.stat().st_size
        if not file.is_file():
            raise InputError(f"-a {path}: not a file")
        if size > MAX_ATTACHMENT_BYTES:
            raise InputError(f"-a {path}: {size} bytes, more than the limit of {MAX_ATTACHMENT_BYTES}")
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"-a {path}: cannot read it ({exc.strerror or type(exc).__name__})") from None
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if media_type.startswith("image/"):
        return Attachment(file.name, media_type, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            f"-a {path}: neither UTF-8 text nor an image ({media_type}); attach text files or images"
        ) from None
    return Attachment(file.name, media_type, data, text=text)


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _read_bounded(stream: Any, limit: int, what: str) -> str:
    data = stream.read(limit + 1)
    if isinstance(data, str):
        data = data.encode()
    if len(data) > limit:
        raise InputError(f"{what}: more than {limit} bytes; pass a smaller input or attach it with -a")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what}: not UTF-8 text") from None
