"""TokenCounter: the encoding per model, every pydantic-ai part kind, dicts, and the per-message cache."""

from __future__ import annotations

import math
import struct
import zlib

import pytest
from mamba_agents.config import TokenizerConfig
from mamba_agents.tokens import EncodingLoadError, TokenCounter, encoding_for_model
from mamba_agents.tokens.files import image_size, image_tokens
from pydantic_ai import Agent as PydanticAgent
from pydantic_ai import ModelRetry
from pydantic_ai.messages import (
    BinaryContent,
    CachePoint,
    CompactionPart,
    DocumentUrl,
    FilePart,
    ImageUrl,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    RetryFeedbackPart,
    RetryInfo,
    StructuredContent,
    SystemPromptPart,
    TextContent,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import FunctionModel


@pytest.fixture(scope="module")
def o200k() -> TokenCounter:
    return TokenCounter.for_model("gpt-4o")


def frame(counter: TokenCounter, role: str) -> int:
    return TokenCounter.PER_MESSAGE_TOKENS + counter.count(role)


def png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))


# -- encodings -------------------------------------------------------------------------------------


def test_known_token_ids_per_encoding():
    assert TokenCounter(encoding="cl100k_base").encode("hello world") == [15339, 1917]
    assert TokenCounter(encoding="o200k_base").encode("hello world") == [24912, 2375]


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4o-2024-08-06",
        "openai:gpt-4o",
        "openai-chat:gpt-4.1-mini",
        "openai-responses:gpt-5",
        "gpt-4.1",
        "gpt-4.5-preview",
        "gpt-5-mini",
        "o1",
        "o1-mini",
        "o3-mini",
        "o4-mini",
        "chatgpt-4o-latest",
        "ft:gpt-4o-mini:acme::abc123",
        "azure/gpt-4o",
    ],
)
def test_o200k_models(model):
    counter = TokenCounter.for_model(model)
    assert counter.encoding == "o200k_base" and counter.exact
    assert counter.method == "tiktoken:o200k_base"
    assert counter.encode("hello world") == [24912, 2375]


@pytest.mark.parametrize(
    "model", ["gpt-4", "gpt-4-turbo", "gpt-4-0613", "gpt-4-32k", "gpt-3.5-turbo", "text-embedding-3-small"]
)
def test_cl100k_models(model):
    counter = TokenCounter.for_model(model)
    assert counter.method == "tiktoken:cl100k_base"
    assert counter.encode("hello world") == [15339, 1917]


@pytest.mark.parametrize(
    "model",
    ["claude-sonnet-4-5", "gemini-2.5-pro", "llama3.2", "ollama:qwen2.5:7b", "mistral-large", "o100", "gpt4"],
)
def test_models_without_public_tokenizer_are_estimated(model):
    counter = TokenCounter.for_model(model)
    assert encoding_for_model(model) is None
    assert not counter.exact
    assert counter.method == "estimate:o200k_base*1.2"
    text = "The quick brown fox jumps over the lazy dog. " * 7
    exact = len(TokenCounter(encoding="o200k_base").encode(text))
    assert counter.count(text) == math.ceil(exact * 1.2)


def test_encodings_really_differ_between_families():
    text = "Unbelievably, the naïve café's façade façonné 東京 😀 renders differently."
    assert TokenCounter.for_model("gpt-4o").count(text) != TokenCounter.for_model("gpt-4").count(text)


def test_configuration_precedence():
    forced = TokenizerConfig(encoding="cl100k_base")
    assert TokenCounter(model="gpt-4o", config=forced).method == "tiktoken:cl100k_base"
    assert TokenCounter(model="claude-3-haiku", config=forced).exact
    assert TokenCounter("o200k_base", model="gpt-4", config=forced).method == "tiktoken:o200k_base"
    factor = TokenizerConfig(estimate_factor=1.5)
    assert TokenCounter(model="my-local-llama", config=factor).method == "estimate:o200k_base*1.5"
    assert TokenCounter().method == "tiktoken:o200k_base"
    assert TokenCounter(model="gpt-4o", config=factor).exact  # the factor only applies to estimates


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="encoding"):
        TokenCounter(encoding="")
    with pytest.raises(EncodingLoadError, match="unknown tiktoken encoding 'nope'"):
        TokenCounter(encoding="nope").count("x")
    counter = TokenCounter()
    with pytest.raises(TypeError, match="count_messages"):
        counter.count(["not", "text"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="count\\(\\) for text"):
        counter.count_messages("just a string")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ModelRequest/ModelResponse"):
        counter.count_messages([42])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="'role'"):
        counter.count_messages([{"content": "no role"}])


def test_empty_text_and_conversation(o200k):
    assert o200k.count("") == 0
    assert o200k.count_messages([]) == 0


# -- OpenAI-style dicts ----------------------------------------------------------------------------


def test_seed_dict_message():
    counter = TokenCounter(encoding="cl100k_base")
    # OpenAI's documented count for one "Hi" message: 3 framing + 1 role + 1 content + 3 reply priming
    assert counter.count_messages([{"role": "user", "content": "Hi"}]) == 8


def test_dict_messages_with_names_tool_calls_and_list_content(o200k):
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
    }
    messages = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "name": "alice",
            "content": [
                {"type": "text", "text": "Weather?"},
                {"type": "image_url", "image_url": {"url": "u", "detail": "low"}},
            ],
        },
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    expected = (
        frame(o200k, "system")
        + o200k.count("Be brief.")
        + frame(o200k, "user")
        + 1
        + o200k.count("alice")
        + o200k.count("Weather?")
        + 85
        + frame(o200k, "assistant")
        + 4
        + o200k.count("get_weather")
        + o200k.count('{"city":"Paris"}')
        + frame(o200k, "tool")
        + o200k.count("sunny")
        + 3
    )
    assert o200k.count_messages(messages) == expected


# -- every pydantic-ai part kind -------------------------------------------------------------------


def test_system_and_user_text(o200k):
    message = ModelRequest(parts=[SystemPromptPart("You are terse."), UserPromptPart("Hello there")])
    assert o200k.count_message(message) == (
        frame(o200k, "system")
        + o200k.count("You are terse.")
        + frame(o200k, "user")
        + o200k.count("Hello there")
    )


def test_multimodal_user_content(o200k):
    content = [
        "Compare these",
        TextContent("typed text"),
        StructuredContent({"page": "settings"}, tag="ui_state"),
        BinaryContent(png(512, 512), media_type="image/png"),  # one 512px tile
        BinaryContent(png(2048, 4096), media_type="image/png"),  # OpenAI's worked example: 6 tiles
        ImageUrl("https://example.com/a.png", vendor_metadata={"detail": "low"}),
        ImageUrl("https://example.com/b.png"),  # unknown size: counted as 1024x1024
        BinaryContent(b"line one\nline two", media_type="text/plain"),
        DocumentUrl("https://example.com/report.pdf"),
        BinaryContent(b"RIFF....WAVE", media_type="audio/wav"),
        CachePoint(),
    ]
    structured = content[2]
    expected = (
        frame(o200k, "user")
        + o200k.count("Compare these")
        + o200k.count("typed text")
        + o200k.count(structured.content)
        + (85 + 170)
        + 1105
        + 85
        + 765
        + o200k.count("line one\nline two")
        + 1_500
        + 1_000
    )
    assert o200k.count_message(ModelRequest(parts=[UserPromptPart(content)])) == expected


def test_image_rules():
    assert image_size(png(300, 200)) == (300, 200)
    assert image_size(b"GIF89a" + struct.pack("<HH", 40, 30)) == (40, 30)
    jpeg = (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", 4)
        + b"JF"
        + b"\xff\xc0"
        + struct.pack(">HBHH", 17, 8, 600, 800)
    )
    assert image_size(jpeg) == (800, 600)
    assert image_size(b"not an image") is None
    assert image_tokens(1024, 1024) == 765
    assert image_tokens(2048, 4096) == 1105
    assert image_tokens(4000, 4000, detail="low") == 85


def test_tool_call_and_every_tool_return_outcome(o200k):
    call = ToolCallPart("get_weather", {"city": "Paris"}, tool_call_id="c1")
    response = ModelResponse(parts=[TextPart("Checking."), call])
    assert o200k.count_message(response) == (
        frame(o200k, "assistant")
        + o200k.count("Checking.")
        + 4
        + o200k.count("get_weather")
        + o200k.count(call.args_as_json_str())
    )
    for outcome in ("success", "failed", "retried", "denied"):
        part = ToolReturnPart("get_weather", "city not found", tool_call_id="c1", outcome=outcome)
        sent = part.model_response_str()
        if outcome in ("failed", "retried"):
            assert sent.startswith('{"error"')  # the error wrapper the model sees is counted too
        assert o200k.count_message(ModelRequest(parts=[part])) == (
            frame(o200k, "tool") + o200k.count("get_weather") + o200k.count(sent)
        ), outcome


def test_tool_return_with_structured_content_and_a_file(o200k):
    part = ToolReturnPart(
        "render", ["chart ready", BinaryContent(png(512, 512), media_type="image/png")], tool_call_id="r1"
    )
    assert o200k.count_message(ModelRequest(parts=[part])) == (
        frame(o200k, "tool") + o200k.count("render") + o200k.count(part.model_response_str()) + 255
    )


def test_retry_feedback_thinking_compaction_and_files(o200k):
    feedback = RetryFeedbackPart("Output must be JSON", retry=RetryInfo(cause="model_retry"))
    assert o200k.count_message(ModelRequest(parts=[feedback])) == (
        frame(o200k, "user") + o200k.count(feedback.model_response())
    )
    thinking = ModelResponse(parts=[ThinkingPart("Let me think step by step."), TextPart("42")])
    assert o200k.count_message(thinking) == (
        frame(o200k, "assistant") + o200k.count("Let me think step by step.") + o200k.count("42")
    )
    from pydantic_ai.models import _conversation_summary_text  # the frame pydantic-ai really sends

    content = "The user asked about Paris weather."
    summary = ModelRequest(parts=[CompactionPart(content=content)])
    counted = o200k.count_message(summary)
    assert counted == frame(o200k, "user") + o200k.count(_conversation_summary_text("")) + o200k.count(
        content
    )
    # the frame and the summary are counted apart: within a token or two of the exact wire text
    assert abs(counted - frame(o200k, "user") - o200k.count(_conversation_summary_text(content))) <= 2
    file_response = ModelResponse(parts=[FilePart(BinaryContent(png(1024, 1024), media_type="image/png"))])
    assert o200k.count_message(file_response) == frame(o200k, "assistant") + 765


def test_instructions_are_counted_once_per_conversation(o200k):
    first = ModelRequest(parts=[UserPromptPart("one")], instructions="Answer in French.")
    reply = ModelResponse(parts=[TextPart("un")])
    second = ModelRequest(parts=[UserPromptPart("two")], instructions="Answer in French.")
    bare = [ModelRequest(parts=[UserPromptPart("one")]), reply, ModelRequest(parts=[UserPromptPart("two")])]
    instructions = frame(o200k, "system") + o200k.count("Answer in French.")
    assert o200k.count_messages([first, reply, second]) == o200k.count_messages(bare) + instructions
    assert o200k.count_message(first) == o200k.count_message(bare[0]) + instructions
    # The latest request's instructions are the ones sent
    changed = ModelRequest(parts=[UserPromptPart("two")], instructions="Answer in German, please.")
    assert o200k.count_messages([first, reply, changed]) == o200k.count_messages(bare) + frame(
        o200k, "system"
    ) + o200k.count("Answer in German, please.")


def test_conversation_total_is_messages_plus_reply_priming(o200k):
    messages = [
        ModelRequest(parts=[UserPromptPart("Hi")]),
        ModelResponse(parts=[TextPart("Hello!")]),
    ]
    assert o200k.count_messages(messages) == sum(o200k.count_message(m) for m in messages) + 3


def test_serialized_history_counts_like_objects(o200k):
    messages = [
        ModelRequest(parts=[SystemPromptPart("sys"), UserPromptPart("question")]),
        ModelResponse(parts=[ToolCallPart("lookup", {"q": "x"}, tool_call_id="t")]),
        ModelRequest(parts=[ToolReturnPart("lookup", {"answer": 1}, tool_call_id="t")]),
        ModelResponse(parts=[TextPart("done")]),
    ]
    dumped = ModelMessagesTypeAdapter.dump_python(messages, mode="json")
    assert o200k.count_messages(dumped) == o200k.count_messages(messages)


def test_real_pydantic_ai_history_with_tool_retry_and_failure(o200k):
    attempts = {"n": 0}

    def model(messages, info):
        last = messages[-1]
        returns = [p for p in last.parts if isinstance(p, ToolReturnPart)]
        if not returns:
            return ModelResponse(parts=[ToolCallPart("flaky", {"city": "Paris"})])
        if returns[-1].outcome == "retried":
            return ModelResponse(parts=[ToolCallPart("flaky", {"city": "Lyon"})])
        return ModelResponse(parts=[TextPart(f"done after {attempts['n']} attempts")])

    agent = PydanticAgent(FunctionModel(model), instructions="Be brief.")

    @agent.tool_plain
    def flaky(city: str) -> str:
        attempts["n"] += 1
        if city == "Paris":
            raise ModelRetry("Paris is not supported, try Lyon")
        return "sunny"

    messages = agent.run_sync("weather?").all_messages()
    outcomes = [p.outcome for m in messages for p in m.parts if isinstance(p, ToolReturnPart)]
    assert outcomes == ["retried", "success"]
    total = o200k.count_messages(messages)
    parts_only = sum(o200k.count_message(m) for m in messages) - sum(
        frame(o200k, "system") + o200k.count(m.instructions)
        for m in messages
        if isinstance(m, ModelRequest) and m.instructions
    )
    assert total == parts_only + frame(o200k, "system") + o200k.count("Be brief.") + 3
    assert total > o200k.count("Paris is not supported, try Lyon")


# -- the per-message cache -------------------------------------------------------------------------


def test_growing_conversation_only_tokenizes_new_messages():
    counter = TokenCounter.for_model("gpt-4o")
    history: list = []
    for i in range(30):
        history.append(ModelRequest(parts=[UserPromptPart(f"question number {i}")]))
        history.append(ModelResponse(parts=[TextPart(f"answer number {i}")]))
        before = counter.cache_info()
        total = counter.count_messages(history)
        after = counter.cache_info()
        assert after.misses - before.misses == 2  # only the two new messages were tokenized
        assert after.hits - before.hits == len(history) - 2
        assert total == TokenCounter.for_model("gpt-4o").count_messages(history)


def test_recycled_ids_never_return_a_stale_count():
    counter = TokenCounter(encoding="cl100k_base")
    seen: set[int] = set()
    reused = 0
    for i in range(40):
        message = ModelRequest(parts=[UserPromptPart(" ".join(["word"] * (i + 1)))])
        reused += id(message) in seen
        seen.add(id(message))
        assert counter.count_message(message) == 3 + 1 + (i + 1)
        assert counter.count_messages([message]) == 3 + 1 + (i + 1) + 3
        del message  # freed at once by reference counting; its address is free for the next one
    assert reused > 0  # CPython did hand out a dead message's address again, and the count was still right
    assert counter.cache_info().size == 0  # entries go away with their messages


def test_in_place_part_append_is_noticed(o200k):
    message = ModelRequest(parts=[UserPromptPart("first")])
    before = o200k.count_messages([message])
    message.parts.append(UserPromptPart("second part"))  # discouraged, but must not be miscounted
    assert o200k.count_messages([message]) == before + frame(o200k, "user") + o200k.count("second part")


def test_estimated_counter_scales_message_counts():
    estimate = TokenCounter.for_model("claude-sonnet-4-5")
    exact = TokenCounter(encoding="o200k_base")
    message = ModelRequest(parts=[UserPromptPart("A fairly ordinary sentence to count, with punctuation!")])
    assert estimate.count_message(message) == math.ceil(exact.count_message(message) * 1.2)
