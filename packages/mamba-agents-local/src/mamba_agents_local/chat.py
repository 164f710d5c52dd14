"""OpenAI Chat Completions on an in-process ``llama_cpp.Llama``, with real tool calls for any GGUF.

pydantic-ai speaks the OpenAI wire format; this module answers it. It exists because llama-cpp-python's own
``chatml-function-calling`` handler cannot be used by an agent as it is: it drops ``role: tool`` messages from
the prompt (the model never sees a tool's result), constrains the text after ``message:`` to nothing but a
function name, rejects streaming with tools and ``tool_choice: "required"``, and answers HTTP 500 to
``content: null``.

How a turn is produced:

1. The conversation is rendered with the model's own chat template (from the GGUF). The function list goes
   into the system message, earlier tool calls into the assistant turns (``functions.<name>:`` + JSON), and
   tool results into user turns ("The function returned: ..."), which every template can render and which
   small models actually read.
2. When tools are offered, a short grammar-constrained step lets the model choose between ``message:`` and
   ``functions.<name>:``. Small models call tools far too eagerly, so a function already called
   ``max_calls_per_tool`` times since the last user message is no longer offered: the model then has to
   answer with what the tools returned.
3. A message is sampled freely (or under the JSON-schema grammar of a ``response_format``); a function call's
   arguments are sampled under the grammar of that function's JSON schema, so they always parse.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TEMPERATURE = 0.2
DEFAULT_MAX_TOKENS = 1024
DECISION_MESSAGE = "message:"
_FALLBACK_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


class ChatRequestError(ValueError):
    """The request cannot be served; ``status`` and ``code`` become the HTTP error the client sees."""

    def __init__(self, message: str, *, status: int = 400, code: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class EngineOptions:
    """Behaviour of the chat engine that is not part of an OpenAI request."""

    max_calls_per_tool: int = 1
    """Calls of one function per user turn before it is no longer offered (0: no limit)."""
    default_max_tokens: int = DEFAULT_MAX_TOKENS
    default_temperature: float = DEFAULT_TEMPERATURE


@dataclass
class ChatRequest:
    """The parts of an OpenAI chat-completions body this engine reads."""

    messages: list[dict[str, Any]]
    model: str = "local"
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: Any = None
    response_format: dict[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    stream: bool = False
    include_usage: bool = False

    @classmethod
    def from_body(cls, body: Any) -> ChatRequest:
        if not isinstance(body, dict):
            raise ChatRequestError("the request body must be a JSON object")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ChatRequestError("'messages' must be a non-empty list")
        tools = body.get("tools") or []
        for tool in tools:
            if (
                not isinstance(tool, dict)
                or tool.get("type") != "function"
                or "name" not in tool.get("function", {})
            ):
                raise ChatRequestError(
                    "only function tools are supported ({'type': 'function', 'function': ...})"
                )
        stop = body.get("stop") or []
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens <= 0):
            raise ChatRequestError(f"max_tokens must be a positive integer, got {max_tokens!r}")
        return cls(
            messages=messages,
            model=str(body.get("model") or "local"),
            tools=tools,
            tool_choice=body.get("tool_choice"),
            response_format=body.get("response_format"),
            max_tokens=max_tokens,
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stop=[stop] if isinstance(stop, str) else list(stop),
            seed=body.get("seed"),
            stream=bool(body.get("stream")),
            include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        )


def _text_of(content: Any, role: str) -> str:
    """A message's content as text; this engine has no image or audio input."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            else:
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise ChatRequestError(
                    f"the local model reads text only; a {role} message has a {kind!r} part"
                )
        return "\n".join(texts)
    raise ChatRequestError(f"unsupported {role} message content: {type(content).__name__}")


def _tools_prompt(tools: list[dict[str, Any]]) -> str:
    lines = ["You have access to the following functions:"]
    for tool in tools:
        fn = tool["function"]
        lines.append("")
        description = fn.get("description")
        lines.append(f"functions.{fn['name']}:" + (f" {description}" if description else ""))
        lines.append(json.dumps(fn.get("parameters") or {"type": "object", "properties": {}}))
    lines += [
        "",
        "You can respond to the user with a message or with a function call.",
        f"To respond with a message, begin with '{DECISION_MESSAGE}'.",
        "To call a function, begin with 'functions.<function_name>:' followed by its arguments as JSON.",
        "When a function result answers the question, respond with a message that uses it.",
    ]
    return "\n".join(lines)


def _call_text(name: str, arguments: str) -> str:
    return f"functions.{name}:\n{arguments}"


@dataclass
class _Conversation:
    system: str
    turns: list[dict[str, str]]
    calls_this_turn: dict[str, int]


def build_conversation(request: ChatRequest) -> _Conversation:
    """Plain-text turns any chat template can render, plus the calls made since the last user message."""
    system_parts: list[str] = []
    turns: list[dict[str, str]] = []
    names_by_id: dict[str, str] = {}
    calls: dict[str, int] = {}
    for message in request.messages:
        if not isinstance(message, dict):
            raise ChatRequestError("each message must be a JSON object")
        role = message.get("role")
        if role in ("system", "developer"):
            if turns:  # a system message in mid-conversation is kept where it is, as user-visible context
                turns.append({"role": "user", "content": _text_of(message.get("content"), role)})
            else:
                system_parts.append(_text_of(message.get("content"), role))
        elif role == "user":
            turns.append({"role": "user", "content": _text_of(message.get("content"), role)})
            calls = {}
        elif role == "assistant":
            pieces = []
            text = _text_of(message.get("content"), role)
            if text:
                pieces.append(text)
            for call in message.get("tool_calls") or []:
                fn = call.get("function") or {}
                name = str(fn.get("name", ""))
                names_by_id[str(call.get("id", ""))] = name
                calls[name] = calls.get(name, 0) + 1
                pieces.append(_call_text(name, str(fn.get("arguments") or "{}")))
            turns.append({"role": "assistant", "content": "\n".join(pieces)})
        elif role == "tool":
            name = names_by_id.get(str(message.get("tool_call_id", "")), "")
            content = _text_of(message.get("content"), role)
            turns.append({"role": "tool", "content": content, "name": name})
        else:
            raise ChatRequestError(f"unsupported message role {role!r}")
    tools_text = _tools_prompt(request.tools) if request.tools and request.tool_choice != "none" else ""
    system = "\n\n".join(p for p in [*system_parts, tools_text] if p)
    return _Conversation(system=system, turns=turns, calls_this_turn=calls)


@dataclass
class _Plan:
    """What the model may do next: answer, or call one of ``functions`` (``forced``: it must call one)."""

    functions: list[dict[str, Any]]
    forced: bool


def plan_turn(request: ChatRequest, conversation: _Conversation, options: EngineOptions) -> _Plan:
    tools = request.tools if request.tool_choice != "none" else []
    by_name = {t["function"]["name"]: t["function"] for t in tools}
    choice = request.tool_choice
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if name not in by_name:
            raise ChatRequestError(f"tool_choice names {name!r}, which is not among the tools")
        return _Plan(functions=[by_name[name]], forced=True)
    forced = choice == "required"
    offered = list(by_name.values())
    if options.max_calls_per_tool:
        fresh = [
            f for f in offered if conversation.calls_this_turn.get(f["name"], 0) < options.max_calls_per_tool
        ]
        # A required call still needs something to call, even if every function has had its turn.
        offered = fresh if fresh or not forced else offered
    return _Plan(functions=offered, forced=forced and bool(offered))


def _append(messages: list[dict[str, str]], role: str, content: str) -> None:
    """Add a turn, merging it into the previous one of the same role (some templates demand alternation)."""
    if messages and messages[-1]["role"] == role and role != "system":
        messages[-1]["content"] += "\n\n" + content
    else:
        messages.append({"role": role, "content": content})


def _results_text(results: list[dict[str, str]], plan: _Plan, *, final: bool) -> str:
    """Tool results as the user's words: small models use a result they are handed far more often than one
    in a ``tool`` turn (measured with SmolLM2-135M, which otherwise explains how to write the function)."""
    if len(results) == 1:
        text = f"The function returned: {results[0]['content']}"
    else:
        text = "\n".join(f"The function {r.get('name') or '?'} returned: {r['content']}" for r in results)
    if final:
        text += (
            "\nAnswer my question with it."
            if not plan.functions
            else "\nAnswer my question with it, or call another function."
        )
    return text


def _escape_gbnf(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


@dataclass
class Completion:
    """One generated turn: text or a tool call, with exact token counts."""

    content: str | None
    tool_call: tuple[str, str] | None
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


class ChatEngine:
    """Serves chat completions for one loaded model. Not thread-safe: callers serialise access."""

    def __init__(self, llama: Any, *, model_name: str, options: EngineOptions | None = None) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.llama = llama
        self.model_name = model_name
        self.options = options or EngineOptions()
        eos_id, bos_id = llama.token_eos(), llama.token_bos()
        vocab = llama._model  # the public API has no token-text accessor
        template = llama.metadata.get("tokenizer.chat_template") or _FALLBACK_TEMPLATE
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=vocab.token_get_text(eos_id) if eos_id != -1 else "",
            bos_token=vocab.token_get_text(bos_id) if bos_id != -1 else "",
            stop_token_ids=[eos_id],
        )

    # -- prompt ---------------------------------------------------------------------------------------

    def _render(self, conversation: _Conversation, plan: _Plan) -> tuple[list[int], list[str]]:
        messages: list[dict[str, str]] = []
        if conversation.system:
            messages.append({"role": "system", "content": conversation.system})
        results: list[dict[str, str]] = []
        for turn in conversation.turns:
            if turn["role"] == "tool":
                results.append(turn)
                continue
            if results:
                _append(messages, "user", _results_text(results, plan, final=False))
                results = []
            _append(messages, turn["role"], turn["content"])
        if results:
            _append(messages, "user", _results_text(results, plan, final=True))
        formatted = self._formatter(messages=messages)
        stop = (
            formatted.stop if isinstance(formatted.stop, list) else [formatted.stop] if formatted.stop else []
        )
        tokens = self.llama.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )
        return tokens, [s for s in stop if s]

    def _check_room(self, prompt_tokens: list[int]) -> None:
        n_ctx = self.llama.n_ctx()
        if len(prompt_tokens) >= n_ctx:
            raise ChatRequestError(
                f"This model's maximum context length is {n_ctx} tokens, but the prompt has "
                f"{len(prompt_tokens)} tokens (raise n_ctx or compact the conversation)",
                code="context_length_exceeded",
            )

    # -- sampling -------------------------------------------------------------------------------------

    def _sampling(self, request: ChatRequest) -> dict[str, Any]:
        sampling: dict[str, Any] = {
            "temperature": self.options.default_temperature
            if request.temperature is None
            else request.temperature,
            "repeat_penalty": 1.1,
        }
        if request.top_p is not None:
            sampling["top_p"] = request.top_p
        if request.seed is not None:
            sampling["seed"] = request.seed
        return sampling

    def _grammar(self, text: str) -> Any:
        from llama_cpp import LlamaGrammar

        return LlamaGrammar.from_string(text, verbose=False)

    def _schema_grammar(self, schema: Any) -> Any:
        from llama_cpp import LlamaGrammar
        from llama_cpp.llama_grammar import JSON_GBNF

        if isinstance(schema, dict) and schema:
            try:
                return LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
            except Exception:  # schema features the converter lacks: any JSON, validated by the caller
                pass
        return LlamaGrammar.from_string(JSON_GBNF, verbose=False)

    def _response_grammar(self, request: ChatRequest) -> Any:
        rf = request.response_format
        if not isinstance(rf, dict) or rf.get("type") in (None, "text"):
            return None
        if rf.get("type") == "json_schema":
            return self._schema_grammar((rf.get("json_schema") or {}).get("schema"))
        if rf.get("type") == "json_object":
            return self._schema_grammar(rf.get("schema"))
        raise ChatRequestError(f"unsupported response_format type {rf.get('type')!r}")

    def _decide(self, prompt: list[int], plan: _Plan, request: ChatRequest) -> tuple[str | None, int]:
        """``None`` (answer with a message) or the function to call, and the tokens the choice took."""
        if not plan.functions:
            return None, 0
        if plan.forced and len(plan.functions) == 1:
            return plan.functions[0]["name"], 0
        options = [f'"functions.{_escape_gbnf(f["name"])}:"' for f in plan.functions]
        if not plan.forced:
            options.insert(0, f'"{DECISION_MESSAGE}"')
        result = self.llama.create_completion(
            prompt=prompt,
            max_tokens=64,
            temperature=0.0,
            grammar=self._grammar("root ::= " + " | ".join(options)),
            **({"seed": request.seed} if request.seed is not None else {}),
        )
        text = result["choices"][0]["text"].strip()
        used = result["usage"]["completion_tokens"]
        if text.startswith("functions."):
            name = text[len("functions.") :].rstrip(":")
            if any(f["name"] == name for f in plan.functions):
                return name, used
        return None, used

    def _prepare(self, request: ChatRequest) -> tuple[list[int], list[str], _Plan, dict[str, Any]]:
        conversation = build_conversation(request)
        plan = plan_turn(request, conversation, self.options)
        prompt, stop = self._render(conversation, plan)
        self._check_room(prompt)
        max_tokens = request.max_tokens or self.options.default_max_tokens
        max_tokens = max(1, min(max_tokens, self.llama.n_ctx() - len(prompt)))
        return prompt, stop + request.stop, plan, {**self._sampling(request), "max_tokens": max_tokens}

    def _call_prompt(self, prompt: list[int], name: str) -> list[int]:
        return prompt + self.llama.tokenize(f"functions.{name}:\n".encode(), add_bos=False, special=False)

    # -- public API -----------------------------------------------------------------------------------

    def complete(self, request: ChatRequest) -> Completion:
        prompt, stop, plan, sampling = self._prepare(request)
        name, decision_tokens = self._decide(prompt, plan, request)
        if name is not None:
            function = next(f for f in plan.functions if f["name"] == name)
            result = self.llama.create_completion(
                prompt=self._call_prompt(prompt, name),
                stop=stop,
                grammar=self._schema_grammar(function.get("parameters")),
                **sampling,
            )
            arguments = result["choices"][0]["text"].strip() or "{}"
            return Completion(
                None,
                (name, arguments),
                "tool_calls",
                len(prompt),
                decision_tokens + result["usage"]["completion_tokens"],
            )
        result = self.llama.create_completion(
            prompt=prompt, stop=stop, grammar=self._response_grammar(request), **sampling
        )
        choice = result["choices"][0]
        return Completion(
            choice["text"].strip(),
            None,
            choice.get("finish_reason") or "stop",
            len(prompt),
            decision_tokens + result["usage"]["completion_tokens"],
        )

    def stream(self, request: ChatRequest) -> Iterator[dict[str, Any]]:
        """OpenAI ``chat.completion.chunk`` dicts; the last carries usage when the request asked for it."""
        prompt, stop, plan, sampling = self._prepare(request)
        chunk_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": self.model_name,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        name, decision_tokens = self._decide(prompt, plan, request)
        pieces: list[str] = []
        if name is not None:
            function = next(f for f in plan.functions if f["name"] == name)
            call_id = f"call_{uuid.uuid4().hex[:24]}"
            yield chunk(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": call_id,
                            "type": "function",
                            "function": {"name": name, "arguments": ""},
                        }
                    ],
                }
            )
            generated = self.llama.create_completion(
                prompt=self._call_prompt(prompt, name),
                stop=stop,
                stream=True,
                grammar=self._schema_grammar(function.get("parameters")),
                **sampling,
            )
            finish = "tool_calls"
            for part in generated:
                text = part["choices"][0]["text"]
                if text:
                    pieces.append(text)
                    yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": text}}]})
            if not "".join(pieces).strip():
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]})
        else:
            yield chunk({"role": "assistant", "content": ""})
            generated = self.llama.create_completion(
                prompt=prompt, stop=stop, stream=True, grammar=self._response_grammar(request), **sampling
            )
            finish = "stop"
            leading = True
            for part in generated:
                choice = part["choices"][0]
                text = choice["text"]
                if leading:  # the non-streamed answer is stripped; keep both the same
                    text = text.lstrip()
                    leading = not text
                if text:
                    pieces.append(text)
                    yield chunk({"content": text})
                finish = choice.get("finish_reason") or finish
        yield chunk({}, finish)
        if request.include_usage:
            output_tokens = decision_tokens + self.count_tokens("".join(pieces))
            yield {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": self.model_name,
                "choices": [],
                "usage": usage_dict(len(prompt), output_tokens),
            }

    def count_tokens(self, text: str) -> int:
        if not text:
            return 0
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))


def usage_dict(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def completion_body(completion: Completion, *, model: str) -> dict[str, Any]:
    """The ``chat.completion`` response object for a finished turn."""
    message: dict[str, Any] = {"role": "assistant", "content": completion.content}
    if completion.tool_call is not None:
        name, arguments = completion.tool_call
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
        ]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": completion.finish_reason}],
        "usage": usage_dict(completion.prompt_tokens, completion.completion_tokens),
    }
