"""A scripted OpenAI-compatible server on 127.0.0.1: records every request, answers per model name.

Model names choose the behaviour: ``rate-limited`` (429 + Retry-After), ``server-error`` (500), ``too-long``
(400 context_length_exceeded), anything else answers: a tool call when tools are offered and no tool result
is in the conversation yet, else text. ``GET /v1/models`` lists :attr:`FakeServer.models` and checks the
bearer key when :attr:`FakeServer.required_key` is set.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USAGE = {"prompt_tokens": 31, "completion_tokens": 9, "total_tokens": 40}


class FakeServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.hits: dict[str, int] = {}
        self.models = ["fake-llama", "fake-qwen"]
        self.required_key: str | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0: one connection per request, so stop() really makes the server unreachable.
            def log_message(self, *args: Any) -> None:
                return

            def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                if not self.path.rstrip("/").endswith("/models"):
                    return self._json(404, {"error": {"message": "not found"}})
                if (
                    server.required_key
                    and self.headers.get("authorization") != f"Bearer {server.required_key}"
                ):
                    return self._json(401, {"error": {"message": "bad key", "type": "auth"}})
                data = [{"id": m, "object": "model", "owned_by": "fake"} for m in server.models]
                return self._json(200, {"object": "list", "data": data})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                server.requests.append(body)
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                model = body.get("model", "")
                server.hits[model] = server.hits.get(model, 0) + 1
                if model == "rate-limited":
                    error = {
                        "error": {"message": "slow down", "type": "rate_limit", "code": "rate_limit_exceeded"}
                    }
                    return self._json(429, error, {"retry-after": "0"})
                if model == "server-error":
                    return self._json(500, {"error": {"message": "boom", "type": "server_error"}})
                if model == "too-long":
                    error = {
                        "error": {
                            "message": "maximum context length is 8192 tokens",
                            "code": "context_length_exceeded",
                            "type": "invalid_request_error",
                        }
                    }
                    return self._json(400, error)
                messages = body["messages"]
                if body.get("tools") and not any(m["role"] == "tool" for m in messages):
                    name = body["tools"][0]["function"]["name"]
                    message = {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": name, "arguments": json.dumps({"city": "Oslo"})},
                            }
                        ],
                    }
                    finish = "tool_calls"
                else:
                    message = {"role": "assistant", "content": f"echo: {messages[-1].get('content')}"}
                    finish = "stop"
                if body.get("stream"):
                    return self._stream(model, message.get("content") or "")
                return self._json(
                    200,
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": model,
                        "usage": USAGE,
                        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    },
                )

            def _stream(self, model: str, text: str) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                base = {
                    "id": "chatcmpl-2",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": model,
                }
                for piece in (text[:5], text[5:]):
                    delta = {
                        "index": 0,
                        "delta": {"role": "assistant", "content": piece},
                        "finish_reason": None,
                    }
                    self.wfile.write(f"data: {json.dumps({**base, 'choices': [delta]})}\n\n".encode())
                done = {"index": 0, "delta": {}, "finish_reason": "stop"}
                self.wfile.write(
                    f"data: {json.dumps({**base, 'choices': [done], 'usage': USAGE})}\n\n".encode()
                )
                self.wfile.write(b"data: [DONE]\n\n")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def last(self) -> dict[str, Any]:
        return self.requests[-1]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
