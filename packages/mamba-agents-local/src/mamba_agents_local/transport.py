"""An httpx2 transport that answers the OpenAI API in-process: no socket, no server, no port.

pydantic-ai's ``OpenAIChatModel`` talks to it exactly as it talks to a real server, so message mapping,
streaming, tool calls, usage and error mapping stay pydantic-ai's own code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx2

from mamba_agents_local.chat import ChatEngine, ChatRequest, ChatRequestError, completion_body
from mamba_agents_local.runtime import ChunkStream, ModelRuntime

logger = logging.getLogger("mamba_agents.local")

LOCAL_BASE_URL = "http://local.mamba-agents.invalid/v1"
"""Never resolved: :class:`LocalTransport` serves requests to it. ``.invalid`` cannot be a real host."""


def _error(status: int, message: str, code: str, kind: str = "invalid_request_error") -> httpx2.Response:
    body = {"error": {"message": message, "type": kind, "code": code, "param": None}}
    return httpx2.Response(status, json=body)


class LocalTransport(httpx2.AsyncBaseTransport):
    """Serves ``GET /v1/models`` and ``POST /v1/chat/completions`` from a :class:`ModelRuntime`."""

    def __init__(
        self, runtime: ModelRuntime, engine_factory: Callable[[Any], ChatEngine], *, model_name: str
    ) -> None:
        self.runtime = runtime
        self.model_name = model_name
        self._engine_factory = engine_factory
        self._engine: ChatEngine | None = None

    def _engine_for(self, llama: Any) -> ChatEngine:
        # Built on the worker thread, after the weights are loaded (the engine reads the chat template).
        if self._engine is None:
            self._engine = self._engine_factory(llama)
        return self._engine

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path.rstrip("/")
        if path.endswith("/models") and request.method == "GET":
            created = int(self.runtime.spec.path.stat().st_mtime)
            return httpx2.Response(
                200,
                json={
                    "object": "list",
                    "data": [
                        {"id": self.model_name, "object": "model", "created": created, "owned_by": "local"}
                    ],
                },
            )
        if not path.endswith("/chat/completions"):
            return _error(404, f"{request.method} {path} is not served by the local model", "not_found")
        if request.method != "POST":
            return _error(405, f"{request.method} is not allowed on {path}", "method_not_allowed")
        try:
            body = json.loads(await request.aread())
            chat = ChatRequest.from_body(body)
        except json.JSONDecodeError as exc:
            return _error(400, f"the request body is not JSON: {exc.msg}", "invalid_json")
        except ChatRequestError as exc:
            return _error(exc.status, str(exc), exc.code)
        if chat.stream:
            return await self._stream(chat)
        try:
            completion = await self.runtime.run(lambda llama: self._engine_for(llama).complete(chat))
        except ChatRequestError as exc:
            return _error(exc.status, str(exc), exc.code)
        except Exception as exc:
            logger.exception("local model failed")
            return _error(
                500, f"the local model failed: {type(exc).__name__}: {exc}", "internal_error", "server_error"
            )
        return httpx2.Response(200, json=completion_body(completion, model=self.model_name))

    async def _stream(self, chat: ChatRequest) -> httpx2.Response:
        chunks = self.runtime.stream(lambda llama: self._engine_for(llama).stream(chat))
        # Errors found before the first token (bad request, context overflow) must be an HTTP status, not an
        # event in a 200 stream, so the first chunk is awaited here.
        try:
            first = await chunks.__anext__()
        except StopAsyncIteration:
            first = None
        except ChatRequestError as exc:
            return _error(exc.status, str(exc), exc.code)
        except Exception as exc:
            logger.exception("local model failed")
            return _error(
                500, f"the local model failed: {type(exc).__name__}: {exc}", "internal_error", "server_error"
            )
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, stream=_EventStream(first, chunks)
        )


class _EventStream(httpx2.AsyncByteStream):
    """Server-sent events for streamed chunks. ``aclose()`` (the client closing the response, from any task)
    stops the generation."""

    def __init__(self, first: dict[str, Any] | None, chunks: ChunkStream[dict[str, Any]]) -> None:
        self._first = first
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            if self._first is not None:
                yield f"data: {json.dumps(self._first)}\n\n".encode()
            async for item in self._chunks:
                yield f"data: {json.dumps(item)}\n\n".encode()
        except Exception as exc:  # mid-stream: all a client can still receive is an error event
            logger.exception("local model failed while streaming")
            error = {"error": {"message": f"the local model failed: {exc}", "type": "server_error"}}
            yield f"data: {json.dumps(error)}\n\n".encode()
        finally:
            self._chunks.close()
        yield b"data: [DONE]\n\n"

    async def aclose(self) -> None:
        self._chunks.close()
