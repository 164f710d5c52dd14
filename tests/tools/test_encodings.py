"""Issue 9 §5: read_file reads text in the common encodings (by detection or an ``encoding`` argument), and a
file name that is not valid UTF-8 is shown escaped, accepted back in that form, and never breaks the
serialisation of the next request."""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import Any

import pydantic_core
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mamba_agents import Agent
from mamba_agents.config import AgentSettings, ToolsConfig
from mamba_agents.surrogates import escape_deep
from mamba_agents.tools import glob_search, grep_search, list_directory, read_file, write_file
from mamba_agents.tools.filesystem import FilesystemSecurity
from mamba_agents_tools.text import UndecodableError, decode_text
from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelResponse,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

TEXT = "héllo wörld, “quoted” – 5 €\n"  # noqa: RUF001 (cp1252 has the en dash)
SAMPLES = {
    "utf8.txt": TEXT.encode("utf-8"),
    "utf8-bom.txt": codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    "utf16.txt": TEXT.encode("utf-16"),
    "utf16-be.txt": codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    "utf32.txt": TEXT.encode("utf-32"),
    "cp1252.txt": TEXT.encode("cp1252"),
}
LATIN1 = "café naïve, señor\n"


class Hostile:
    """A FunctionModel that makes the listed tool calls in order, keeps what came back, and serialises the
    whole history before every answer, as a provider would."""

    def __init__(self, calls: list[tuple[str, dict[str, Any]]]) -> None:
        self.calls = list(calls)
        self.results: list[Any] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        ModelMessagesTypeAdapter.dump_json(messages)
        self.results.extend(p for p in messages[-1].parts if isinstance(p, ToolReturnPart | RetryPromptPart))
        if not self.calls:
            return ModelResponse(parts=[TextPart("done")])
        name, args = self.calls.pop(0)
        return ModelResponse(parts=[ToolCallPart(name, args, tool_call_id=f"call{len(self.calls)}")])


def _drive(root: Path, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    model = Hostile(calls)
    tools = [read_file, write_file, list_directory, grep_search, glob_search]
    settings = AgentSettings(tools=ToolsConfig(base_directory=root))
    agent = Agent(FunctionModel(model), tools=tools, settings=settings)
    assert agent.run_sync("go").output == "done"
    return model.results


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    for name, data in SAMPLES.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "latin1.txt").write_bytes(LATIN1.encode("latin-1"))
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    (tmp_path / "noise.bin").write_bytes(bytes(range(1, 32)) * 40)  # no NUL, but no text either
    (tmp_path / "utf16-nobom.txt").write_bytes(TEXT.encode("utf-16-le"))
    return tmp_path


def test_every_common_encoding_reads_as_its_text_through_an_agent(samples: Path) -> None:
    names = [*SAMPLES, "latin1.txt"]
    results = _drive(samples, [("read_file", {"path": name}) for name in names])
    assert [r.outcome for r in results] == ["success"] * len(names), results
    by_name = dict(zip(names, (r.content for r in results), strict=True))
    for name in SAMPLES:
        assert by_name[name].startswith(TEXT), name
    assert by_name["utf8.txt"] == TEXT and by_name["utf8-bom.txt"] == TEXT  # nothing added for UTF-8
    assert "utf-16-le text, not UTF-8" in by_name["utf16.txt"]  # write_file would change the encoding
    assert "cp1252 text, not UTF-8" in by_name["cp1252.txt"]
    assert by_name["latin1.txt"].startswith(LATIN1)


def test_binary_stays_refused_and_an_encoding_argument_reads_what_detection_cannot(samples: Path) -> None:
    calls = [
        ("read_file", {"path": "image.png"}),
        ("read_file", {"path": "noise.bin"}),
        ("read_file", {"path": "utf16-nobom.txt"}),
        ("read_file", {"path": "utf16-nobom.txt", "encoding": "utf-16-le"}),
        ("read_file", {"path": "utf8.txt", "encoding": "no-such-codec"}),
        ("read_file", {"path": "utf8.txt", "encoding": "rot13"}),  # a codec, but not a text encoding
    ]
    png, noise, nobom, asked, unknown, rot13 = _drive(samples, calls)
    for refused in (png, noise, nobom):
        assert refused.outcome == "failed" and "binary" in _text(refused) and "encoding=" in _text(refused)
    assert asked.outcome == "success" and asked.content == TEXT
    assert "unknown text encoding 'no-such-codec'" in _text(unknown)
    assert "rot13" in _text(rot13) and TEXT not in _text(rot13)


def test_grep_finds_words_in_legacy_encoded_files(samples: Path) -> None:
    found = grep_search("señor|wörld", security=FilesystemSecurity(base_directory=samples))
    files = {m.file for m in found}
    assert {"latin1.txt", "cp1252.txt", "utf16.txt", "utf8.txt"} <= files


def _text(part: Any) -> str:
    return part.model_response() if isinstance(part, RetryPromptPart) else str(part.content)


NAMES = [b"caf\xe9.txt", b"\xff\xfe.txt", b"mixed-\xc3\xa9-\xe9.txt"]


@pytest.mark.parametrize("raw", NAMES)
def test_a_name_that_is_not_utf8_is_listed_escaped_and_readable_by_that_name(
    tmp_path: Path, raw: bytes
) -> None:
    with open(os.path.join(os.fsencode(tmp_path), raw), "wb") as fh:
        fh.write(b"secret-free content\n")
    escaped = raw.decode("utf-8", "backslashreplace")
    calls = [
        ("list_directory", {}),
        ("glob_search", {"pattern": "*.txt"}),
        ("grep_search", {"pattern": "content"}),
        ("read_file", {"path": escaped}),
        ("write_file", {"path": escaped, "content": "rewritten\n"}),
        ("read_file", {"path": "missing-\\xe9.txt"}),
    ]
    listing, globbed, grepped, read, written, missing = _drive(tmp_path, calls)
    assert listing.content["entries"][0]["name"] == escaped
    assert globbed.content["matches"] == [escaped]
    assert grepped.content["matches"][0]["file"] == escaped
    assert read.content == "secret-free content\n"
    assert written.outcome == "success", _text(written)
    assert Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), raw))).read_text() == "rewritten\n"
    assert missing.outcome == "failed" and "missing-" in _text(missing)  # names nothing: just missing


def test_a_custom_tool_returning_surrogates_does_not_break_the_next_request(tmp_path: Path) -> None:
    def names() -> dict[str, list[str]]:
        """File names as the OS gives them."""
        return {"names": [os.fsdecode(b"caf\xe9"), "plain"]}

    def one() -> str:
        """A name as text."""
        return os.fsdecode(b"na\xefve")

    def boom() -> str:
        """Fails, naming a file."""
        raise OSError("cannot open " + os.fsdecode(b"x\xff"))

    model = Hostile([("names", {}), ("one", {}), ("boom", {})])
    agent = Agent(FunctionModel(model), tools=[names, one, boom])
    assert agent.run_sync("go").output == "done"
    listed, single, failed = model.results
    assert listed.content == {"names": ["caf\\xe9", "plain"]}
    assert single.content == "na\\xefve"
    assert failed.outcome == "failed" and "x\\xff" in _text(failed)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_detection_is_lossless_or_refuses(data: bytes) -> None:
    try:
        decoded = decode_text(data)
    except UndecodableError:
        return
    assert decoded.bom + decoded.text.encode(decoded.encoding) == data


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\n\r"), max_size=200),
    st.sampled_from(["utf-8", "utf-16", "utf-32", "utf-8-sig"]),
)
def test_text_with_a_byte_order_mark_or_in_utf8_comes_back_as_written(text: str, encoding: str) -> None:
    # Control characters (NUL above all) are the binary signal; text has none.
    assert decode_text(text.encode(encoding)).text == text


_WITH_SURROGATES = st.text(st.sampled_from(["a", "é", "\ud800", "\udce9", "\udcff", "\udfff", "\\", "x"]))


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        _WITH_SURROGATES | st.text(),
        lambda kids: st.lists(kids) | st.dictionaries(_WITH_SURROGATES, kids),
        max_leaves=10,
    )
)
def test_escaped_values_always_serialise_and_text_without_surrogates_is_untouched(value: Any) -> None:
    escaped = escape_deep(value)
    pydantic_core.to_json(escaped)  # raised for any lone surrogate before escaping
    try:
        pydantic_core.to_json(value)
    except pydantic_core.PydanticSerializationError:
        return
    assert escaped == value
