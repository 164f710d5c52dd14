"""A scripted OpenAI-compatible chat server on 127.0.0.1 that fails on purpose.

``FaultServer([fail(429, retry_after="0.5"), fail(503), ok("hi")])`` answers the n-th chat request with the
n-th step (the last step repeats). Steps: ``ok`` (a normal answer, streamed when the request asks),
``fail`` (an HTTP error with optional ``Retry-After``), ``hang`` (no answer for a while: a read timeout),
``reset`` (the connection is reset), ``truncated`` (the body stops short of its content-length),
``stream_cut`` (a stream whose chunked body breaks mid-way), ``stream_eof`` (a stream that ends
cleanly but early: no finish reason, no usage), ``no_finish`` (a JSON answer without a finish reason),
``ok(usage=(0, 0))`` (an answer counted as no tokens) and ``slow_stream`` (a stream of one word every
``seconds``, which records in ``server.disconnects`` when the client closed the connection part-way).
``refused_url()`` is an address nothing listens on.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Step:
    kind: str
    text: str = "ok"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    usage: tuple[int, int] = (11, 7)


def ok(text: str = "ok", *, usage: tuple[int, int] = (11, 7)) -> Step:
    return Step("ok", text=text, usage=usage)


def fail(status: int, *, retry_after: str | None = None, message: str = "scripted failure") -> Step:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Step("fail", status=status, headers=headers, text=message)


def hang(seconds: float) -> Step:
    return Step("hang", seconds=seconds)


def reset() -> Step:
    return Step("reset")


def truncated() -> Step:
    return Step("truncated")


def stream_cut(text: str = "partial answer") -> Step:
    return Step("stream_cut", text=text)


def stream_eof(text: str = "partial answer") -> Step:
    return Step("stream_eof", text=text)


def no_finish(text: str = "partial answer") -> Step:
    return Step("no_finish", text=text)


def slow_stream(words: int = 200, seconds: float = 0.05) -> Step:
    return Step("slow_stream", text=" ".join(f"w{i}" for i in range(words)), seconds=seconds)


def refused_url() -> str:
    """A base URL on 127.0.0.1 with nothing listening (the port was just freed)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/v1"


class FaultServer:
    """``with FaultServer(steps) as server:`` then ``server.base_url``; ``server.hits`` counts chat requests,
    ``server.times`` holds when each arrived (``time.monotonic``), ``server.requests`` their bodies."""

    def __init__(self, steps: list[Step]) -> None:
        if not steps:
            raise ValueError("FaultServer needs at least one step")
        self.steps = list(steps)
        self.requests: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.disconnects: list[float] = []
        """When (``time.monotonic``) a client closed a ``slow_stream`` before its end."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                self._json(200, {"object": "list", "data": [{"id": "fault-model", "object": "model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                with fake._lock:
                    index = len(fake.requests)
                    fake.requests.append(body)
                    fake.times.append(time.monotonic())
                step = fake.steps[min(index, len(fake.steps) - 1)]
                getattr(self, f"_{step.kind}")(step, body, index)

            # -- steps ----------------------------------------------------------------------------------

            def _ok(self, step: Step, body: dict[str, Any], index: int, finish: str | None = "stop") -> None:
                if body.get("stream"):
                    self._stream(step, body, index, finish=True, cut=False)
                    return
                prompt, completion = step.usage
                self._json(
                    200,
                    {
                        "id": f"chatcmpl-{index}",
                        "object": "chat.completion",
                        "created": 1,
                        "model": body.get("model", "fault-model"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": step.text},
                                "finish_reason": finish,
                            }
                        ],
                        "usage": {
                            "prompt_tokens": prompt,
                            "completion_tokens": completion,
                            "total_tokens": prompt + completion,
                        },
                    },
                )

            def _fail(self, step: Step, body: dict[str, Any], index: int) -> None:
                payload = {"error": {"message": step.text, "type": "server_error", "code": str(step.status)}}
                self._json(step.status, payload, step.headers)

            def _hang(self, step: Step, body: dict[str, Any], index: int) -> None:
                fake._stop.wait(step.seconds)
                self._ok(step, body, index)

            def _reset(self, step: Step, body: dict[str, Any], index: int) -> None:
                # SO_LINGER 0: close() sends RST instead of FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True

            def _truncated(self, step: Step, body: dict[str, Any], index: int) -> None:
                data = b'{"id": "chatcmpl-x", "object": "chat.completion", "choices": [{"index": 0, "mess'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data) + 200))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True

            def _stream_cut(self, step: Step, body: dict[str, Any], index: int) -> None:
                self._stream(step, body, index, finish=False, cut=True)

            def _stream_eof(self, step: Step, body: dict[str, Any], index: int) -> None:
                self._stream(step, body, index, finish=False, cut=False)

            def _no_finish(self, step: Step, body: dict[str, Any], index: int) -> None:
                self._ok(step, {**body, "stream": False}, index, finish=None)

            def _slow_stream(self, step: Step, body: dict[str, Any], index: int) -> None:
                try:
                    self._stream(step, body, index, finish=True, cut=False, pause=step.seconds)
                except OSError:  # the client went away: what a server that stops generating notices
                    fake.disconnects.append(time.monotonic())
                    self.close_connection = True

            # -- helpers --------------------------------------------------------------------------------

            def _stream(
                self,
                step: Step,
                body: dict[str, Any],
                index: int,
                *,
                finish: bool,
                cut: bool,
                pause: float = 0.0,
            ) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                model = body.get("model", "fault-model")

                def chunk(delta: dict[str, Any], finish_reason: str | None = None, usage: Any = None) -> None:
                    event = {
                        "id": f"chatcmpl-{index}",
                        "object": "chat.completion.chunk",
                        "created": 1,
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
                    }
                    if usage is not None:
                        event["usage"] = usage
                    self._chunk(f"data: {json.dumps(event)}\n\n".encode())

                chunk({"role": "assistant", "content": ""})
                words = step.text.split(" ")
                for i, word in enumerate(words):
                    if pause and fake._stop.wait(pause):
                        return
                    chunk({"content": word if i == 0 else f" {word}"})
                if cut:
                    # A chunk header promising more bytes than ever come, then the connection drops.
                    self.wfile.write(b'400\r\ndata: {"id"')
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if finish:
                    prompt, completion = step.usage
                    usage = {
                        "prompt_tokens": prompt,
                        "completion_tokens": completion,
                        "total_tokens": prompt + completion,
                    }
                    chunk({}, "stop", usage)
                    self._chunk(b"data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _json(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def hits(self) -> int:
        return len(self.requests)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
