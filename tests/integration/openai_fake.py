"""A small OpenAI-compatible chat server on 127.0.0.1 for wire tests: records requests, scripted answers
(streamed as server-sent events when the request asks)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], dict[str, Any]]


def text_reply(
    text: str, *, prompt_tokens: int = 11, completion_tokens: int = 7, chunk: int | None = None
) -> dict[str, Any]:
    """``chunk``: when streamed, send the text in deltas of this many characters (default: one delta)."""
    return {"content": text, "usage": (prompt_tokens, completion_tokens), "chunk": chunk}


def tool_reply(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    return {
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
        "usage": (20, 5),
    }


class FakeOpenAI:
    """``with FakeOpenAI(responder) as server:``, then ``server.base_url``; ``requests`` holds bodies."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                reply = fake.responder(body)
                message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
                if reply.get("tool_calls"):
                    message["tool_calls"] = reply["tool_calls"]
                prompt, completion = reply.get("usage", (0, 0))
                if body.get("stream"):
                    self._stream(body, message, prompt, completion, reply.get("chunk"))
                    return
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(fake.requests)}",
                        "object": "chat.completion",
                        "created": 1,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": message,
                                "finish_reason": "tool_calls" if reply.get("tool_calls") else "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": prompt,
                            "completion_tokens": completion,
                            "total_tokens": prompt + completion,
                        },
                    },
                )

            def _stream(
                self,
                body: dict[str, Any],
                message: dict[str, Any],
                prompt: int,
                completion: int,
                reply_chunk: int | None = None,
            ) -> None:
                """The same answer as server-sent events: the delta, then the finish reason and usage."""
                chunk_id = f"chatcmpl-{len(fake.requests)}"

                def event(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> bytes:
                    payload: dict[str, Any] = {
                        "id": chunk_id,
                        "object": "chat.completion.chunk",
                        "created": 1,
                        "model": body["model"],
                        "choices": choices,
                    }
                    if usage is not None:
                        payload["usage"] = usage
                    return f"data: {json.dumps(payload)}\n\n".encode()

                content = message.get("content")
                size = reply_chunk or len(content or "") or 1
                pieces = (
                    [content[i : i + size] for i in range(0, len(content), size)] if content else [content]
                )
                delta: dict[str, Any] = {"role": "assistant", "content": pieces[0]}
                if message.get("tool_calls"):
                    delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(message["tool_calls"])]
                finish = "tool_calls" if message.get("tool_calls") else "stop"
                data = event([{"index": 0, "delta": delta, "finish_reason": None}])
                for piece in pieces[1:]:
                    data += event([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
                data += event([{"index": 0, "delta": {}, "finish_reason": finish}])
                usage = {"prompt_tokens": prompt, "completion_tokens": completion}
                data += event([], {**usage, "total_tokens": prompt + completion})
                data += b"data: [DONE]\n\n"
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
