"""One loaded ``llama_cpp.Llama`` per (file, context size, threads) per process, and the thread driving it.

A ``Llama`` is not thread-safe and its KV cache holds the previous prompt (llama.cpp reuses the common prefix,
which makes an agent's next turn cheap), so every call for one model runs on that model's single worker
thread, in order. The event loop never blocks: callers await the worker, and streamed chunks cross back
through a queue (:class:`ChunkStream`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

logger = logging.getLogger("mamba_agents.local")

T = TypeVar("T")
MAX_DEFAULT_THREADS = 8


def default_threads() -> int:
    """One CPU fewer than this process may use (at least one), at most 8.

    llama.cpp's worker threads spin at every layer barrier, so one thread more than there are free CPUs costs
    far more than it brings: with the event loop (which turns the stream into pydantic-ai events) on the
    remaining CPU, SmolLM2 on 2 CPUs measured 40 tok/s with 1 thread and 5.5 tok/s with 2 while another
    process was busy. Past ~8 threads a small model gets slower, not faster.
    """
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_THREADS, available - 1))


@dataclass(frozen=True)
class LoadSpec:
    path: Path
    n_ctx: int = 4096
    n_threads: int | None = None
    n_batch: int = 512

    def llama_kwargs(self) -> dict[str, Any]:
        threads = self.n_threads or default_threads()
        return {
            "model_path": str(self.path),
            "n_ctx": self.n_ctx,
            "n_threads": threads,
            "n_threads_batch": threads,
            "n_batch": min(self.n_batch, self.n_ctx),
            "n_gpu_layers": 0,
            "verbose": False,
        }


@contextlib.contextmanager
def loading_status(path: Path) -> Iterator[None]:
    """A spinner on stderr while the weights load (interactive terminals), a log line otherwise."""
    size_mb = path.stat().st_size / 1e6
    label = f"Loading local model {path.name} ({size_mb:.0f} MB)"
    started = time.perf_counter()
    if sys.stderr.isatty():
        from rich.console import Console

        with Console(stderr=True).status(f"{label}…"):
            yield
    else:
        logger.info("%s…", label)
        yield
    logger.info("loaded %s in %.2f s", path.name, time.perf_counter() - started)


class ModelRuntime:
    """Owns one ``Llama`` (loaded on first use, on the worker thread) and runs every call on that thread."""

    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.load_seconds: float | None = None
        self._llama: Any = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mamba-local-{spec.path.stem}")

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def _ensure_loaded(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            started = time.perf_counter()
            with loading_status(self.spec.path):
                self._llama = Llama(**self.spec.llama_kwargs())
            self.load_seconds = time.perf_counter() - started
        return self._llama

    def close(self) -> None:
        """Free the weights now (a later call loads them again)."""

        def release() -> None:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

        self._executor.submit(release).result()

    def llama(self) -> Any:
        """The loaded model (loading it now if needed). Use it only through :meth:`call` / :meth:`run`."""
        return self._executor.submit(self._ensure_loaded).result()

    def call(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(llama)`` on the worker thread and wait for it (for synchronous callers)."""
        return self._executor.submit(lambda: fn(self._ensure_loaded())).result()

    async def run(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(llama)`` on the worker thread without blocking the event loop."""
        return await asyncio.wrap_future(self._executor.submit(lambda: fn(self._ensure_loaded())))

    def stream(self, fn: Callable[[Any], Iterator[T]]) -> ChunkStream[T]:
        """Items of ``fn(llama)`` as the worker produces them (call from the event loop). Closing the stream,
        or dropping it, stops the generation at the next token."""
        chunks: ChunkStream[T] = ChunkStream(asyncio.get_running_loop())

        def produce() -> None:
            if chunks.stopped:
                return  # closed before the worker got to it
            try:
                iterator = fn(self._ensure_loaded())
                try:
                    for item in iterator:
                        if chunks.stopped or not chunks.put("item", item):
                            break
                finally:
                    close = getattr(iterator, "close", None)
                    if close is not None:
                        close()
            except BaseException as exc:
                chunks.put("error", exc)
            else:
                chunks.put("done", None)

        self._executor.submit(produce)
        return chunks


class ChunkStream(Generic[T]):
    """Items produced on a worker thread, read on the event loop.

    Not an async generator on purpose: pydantic-ai reads a response stream in one task and closes it from
    another, and closing an async generator that another task is awaiting fails ("already running"), which
    left the model generating to ``max_tokens`` for nobody. :meth:`close` works from any task.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._stop = threading.Event()
        self._finished = False
        # Dropped without close() (a client that never closes its response): still stop the worker.
        weakref.finalize(self, self._stop.set)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def put(self, kind: str, value: Any) -> bool:
        """Hand an item to the loop (worker thread side); ``False`` once nobody can receive it."""
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (kind, value))
        except RuntimeError:  # the event loop is closed: the reader is gone
            self._stop.set()
            return False
        return True

    def __aiter__(self) -> ChunkStream[T]:
        return self

    async def __anext__(self) -> T:
        if self._finished:
            raise StopAsyncIteration
        try:
            kind, value = await self._queue.get()
        except BaseException:  # cancelled: nobody reads any more
            self.close()
            raise
        if kind == "item":
            return value
        self._finished = True
        self._stop.set()
        if kind == "error":
            raise value
        raise StopAsyncIteration

    def close(self) -> None:
        """Stop the generation; a reader waiting for the next item gets the end of the stream."""
        self._stop.set()
        if not self._finished:
            self._finished = True
            self._queue.put_nowait(("done", None))


_runtimes: dict[LoadSpec, ModelRuntime] = {}
_runtimes_lock = threading.Lock()


@atexit.register
def _close_all() -> None:
    # llama-cpp-python's Llama.__del__ fails ("'NoneType' object is not callable") when it runs during
    # interpreter teardown, after its module globals are gone; free the models while everything still exists.
    with _runtimes_lock:
        runtimes = list(_runtimes.values())
    for runtime in runtimes:
        with contextlib.suppress(Exception):
            if runtime.loaded:
                runtime._llama.close()
                runtime._llama = None


def get_runtime(spec: LoadSpec) -> ModelRuntime:
    """The process-wide runtime for ``spec``: the same weights with the same settings load once."""
    with _runtimes_lock:
        runtime = _runtimes.get(spec)
        if runtime is None:
            runtime = _runtimes[spec] = ModelRuntime(spec)
        return runtime
