"""One MCP server as a toolset that stays connected: reconnects on the next use, replays only what is safe.

pydantic-ai's ``MCPToolset`` never reconnects a held-open session (``wave2-offline.md`` §1.3); closing it per
run would spawn a process per run. ``ServerToolset`` owns one ``MCPToolset`` per server, shared by every run:
entering and leaving a run does not close it; ``aclose()`` (the manager's close, or interpreter exit) does.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anyio
from mamba_agents.observability.spans import connect_span
from pydantic_ai import RunContext
from pydantic_ai.exceptions import ToolFailed
from pydantic_ai.toolsets import AbstractToolset, ToolsetTool

from mamba_agents_mcp.config import MCPServerConfig
from mamba_agents_mcp.errors import MCPConnectionTimeoutError, MCPServerUnavailable

logger = logging.getLogger("mamba_agents.mcp")

Factory = Callable[[MCPServerConfig], AbstractToolset[Any]]

_CONNECTION_CLOSED = -32000  # the MCP SDK's code for a session whose transport went away
_REQUEST_TIMEOUT = 408  # the MCP SDK's code for a request that got no answer within read_timeout
# The MCP SDK's stand-ins for an HTTP answer that is not JSON-RPC: 404 for a session the server no longer
# knows (spec-correct servers) and any other 4xx/5xx (server-everything says 400 after a restart). Both mean
# the session is gone, not that a tool failed: a tool's own error comes back as JSON-RPC.
_SESSION_GONE = ((-32600, "Session terminated"), (-32603, "Server returned an error response"))
_BACKOFF_FIRST, _BACKOFF_MAX = 0.1, 2.0
_CLOSE_SECONDS = 5.0  # bound on tearing a dead session down; its error is of no use to anyone
_CONNECT_GRACE = (
    5.0  # over ``timeout``: spawning a process or resolving a host is not covered by init_timeout
)


def _chain(exc: BaseException | None) -> list[BaseException]:
    """``exc``, its causes and, for exception groups, their members (bounded: a cycle stops the walk)."""
    out: list[BaseException] = []
    stack = [exc] if exc is not None else []
    while stack and len(out) < 64:
        e = stack.pop()
        if e is None or any(e is seen for seen in out):
            continue
        out.append(e)
        if isinstance(e, BaseExceptionGroup):
            stack.extend(e.exceptions)
        stack.append(e.__cause__ or e.__context__)
    return out


def _code(e: BaseException) -> int | None:
    code = getattr(e, "code", None)
    if code is None:
        code = getattr(getattr(e, "error", None), "code", None)
    return code if isinstance(code, int) else None


def _message(e: BaseException) -> str | None:
    message = getattr(getattr(e, "error", None), "message", None)
    return message if isinstance(message, str) else None


def is_connection_error(exc: BaseException) -> bool:
    """The transport went away or never came up (as opposed to a tool that failed)."""
    import httpx2

    for e in _chain(exc):
        code = _code(e)
        if code == _CONNECTION_CLOSED:
            return True
        if any(code == c and _message(e) == m for c, m in _SESSION_GONE):
            return True
        if isinstance(
            e, httpx2.TransportError | ConnectionError | anyio.ClosedResourceError | anyio.BrokenResourceError
        ):
            return True
        if isinstance(e, RuntimeError) and "Client failed to connect" in str(e):
            return True
    return False


def was_not_sent(exc: BaseException) -> bool:
    """The request never reached the server (no connection could be opened), so replaying it is safe."""
    import httpx2

    return any(isinstance(e, httpx2.ConnectError | ConnectionRefusedError) for e in _chain(exc))


def is_timeout(exc: BaseException) -> bool:
    return any(_code(e) == _REQUEST_TIMEOUT or "timed out" in str(e) for e in _chain(exc))


def _reason(exc: BaseException) -> str:
    """The most telling message in the chain: the root cause, without a traceback."""
    leaves = [e for e in _chain(exc) if not isinstance(e, BaseExceptionGroup)]
    root = leaves[-1] if leaves else exc
    top = leaves[0] if leaves else exc
    text = str(top) or type(top).__name__
    if root is not top and str(root) and str(root) not in text:
        text = f"{text} ({type(root).__name__}: {root})"
    return text


@dataclass
class ServerStatus:
    """Health of one server, as ``manager.status()`` and ``mamba mcp`` report it."""

    name: str
    transport: str
    target: str
    state: str  # idle | connected | reconnecting | unavailable | closed | disabled
    connects: int = 0
    reconnects: int = 0
    last_error: str | None = None
    connected_since: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


_live: weakref.WeakSet[ServerToolset] = weakref.WeakSet()


class ServerToolset(AbstractToolset[Any]):
    """The toolset of one MCP server: one connection shared by every run of every agent that holds it."""

    def __init__(self, config: MCPServerConfig, factory: Factory) -> None:
        self.config = config
        self._factory = factory
        self._inner: AbstractToolset[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._status = ServerStatus(config.name, config.transport, config.target, "idle")
        self._tools: dict[str, ToolsetTool[Any]] | None = None  # the last listing, offered while reconnecting
        _live.add(self)

    # -- identity -------------------------------------------------------------------------------------

    @property
    def id(self) -> str | None:
        return self.config.name

    @property
    def label(self) -> str:
        return f"MCP server {self.config.name!r}"

    def status(self) -> ServerStatus:
        return replace(self._status)

    @property
    def connected(self) -> bool:
        return self._inner is not None

    # -- lifecycle ------------------------------------------------------------------------------------

    async def __aenter__(self) -> ServerToolset:
        """Called at the start of every run: connect, or check that the kept connection still answers."""
        await self._ensure(check=True)
        return self

    async def __aexit__(self, *args: Any) -> bool | None:
        return None  # the connection outlives the run; aclose() ends it

    async def aclose(self) -> None:
        """Close the connection (and stop a stdio server's process). The next use connects again."""
        await self._drop()
        self._status.state = "closed"

    # -- tools ----------------------------------------------------------------------------------------

    async def get_instructions(self, ctx: RunContext[Any]) -> str | None:
        if self._status.state == "unavailable" and self.config.optional:
            return (
                f"The MCP server {self.config.name!r} is unavailable ({self._status.last_error}); "
                "its tools are not offered in this run."
            )
        return None

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        for attempt in range(2):  # a listing is safe to replay once on a new connection
            try:
                inner = await self._ensure(check=False)
            except MCPServerUnavailable:
                if self._tools is None:
                    raise
                # Lost after the run started: keep offering the tools; a call reports the server is down.
                return self._tools
            if inner is None:
                return {}
            try:
                tools = await inner.get_tools(ctx)
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                await self._lost(exc)
                if attempt:
                    return self._unavailable(exc)
                continue
            self._tools = {name: replace(tool, toolset=self) for name, tool in tools.items()}
            return self._tools
        raise AssertionError("unreachable")  # pragma: no cover

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        server = self.config.name
        try:
            inner = await self._ensure(check=False)
        except MCPServerUnavailable as exc:
            raise ToolFailed(
                f"MCP server {server!r} is unavailable ({exc.reason}); {name!r} was not called"
            ) from exc
        if inner is None:
            raise ToolFailed(f"MCP server {server!r} is unavailable; {name!r} was not called")
        try:
            return await inner.call_tool(name, tool_args, ctx, replace(tool, toolset=inner))
        except Exception as exc:
            if is_connection_error(exc):
                await self._lost(exc)
                if was_not_sent(exc) or name in self.config.idempotent_tools:
                    return await self._replay(name, tool_args, ctx, tool)
                raise ToolFailed(
                    f"MCP server {server!r} lost its connection while {name!r} was running, so the call "
                    "may or may not have run; the server is reconnected for the next call"
                ) from exc
            if is_timeout(exc):
                raise ToolFailed(
                    f"{name!r} on MCP server {server!r} did not answer within read_timeout="
                    f"{self.config.read_timeout:g}s, so the call may or may not have run"
                ) from exc
            raise

    async def _replay(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        server = self.config.name
        try:
            inner = await self._ensure(check=False)
            if inner is None:
                raise MCPServerUnavailable(
                    server, self.config.target, self._status.last_error or "not connected"
                )
            return await inner.call_tool(name, tool_args, ctx, replace(tool, toolset=inner))
        except MCPServerUnavailable as exc:
            raise ToolFailed(
                f"MCP server {server!r} is unavailable ({exc.reason}); {name!r} did not run"
            ) from exc
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            await self._lost(exc)
            raise ToolFailed(
                f"MCP server {server!r} failed again after a reconnect while {name!r} was running; "
                "the call may or may not have run"
            ) from exc

    # -- connection -----------------------------------------------------------------------------------

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def _ensure(self, *, check: bool) -> AbstractToolset[Any] | None:
        """The live inner toolset, connecting first if needed; ``None`` for an optional server that is down.

        ``check``: ping a kept connection first (once per run), so a server that died or restarted between
        runs is reconnected before the run relies on it.
        """
        async with self._lock():
            if self._inner is not None and self._loop is not asyncio.get_running_loop():
                await self._drop()  # a connection belongs to the loop that opened it
            if self._inner is not None and (self._stdio_dead() or (check and not await self._answers())):
                await self._drop()
                self._status.state = "reconnecting"
            if self._inner is None:
                try:
                    with connect_span(self.config.name, reconnect=self._status.connects > 0):
                        await self._connect()
                except MCPServerUnavailable:
                    if not self.config.optional:
                        raise
                    logger.warning("%s; the run goes on without its tools", self._status.last_error)
                    return None
            return self._inner

    async def _connect(self) -> None:
        config = self._status
        was_connected = config.connects > 0
        last: BaseException | None = None
        # One budget for every attempt: `timeout` bounds the whole connect, not each of max_reconnects + 1.
        deadline = time.monotonic() + self.config.timeout + _CONNECT_GRACE
        made, out_of_time = 0, False
        for attempt in range(self.config.max_reconnects + 1):
            if attempt:
                pause = min(_BACKOFF_FIRST * 2 ** (attempt - 1), _BACKOFF_MAX)
                if time.monotonic() + pause >= deadline:
                    out_of_time = True
                    break
                await asyncio.sleep(pause)
            made += 1
            inner = self._factory(
                self.config
            )  # a config error (a missing variable) is raised here, not retried
            try:
                with anyio.fail_after(max(deadline - time.monotonic(), 0.01)):
                    await inner.__aenter__()
            except Exception as exc:
                last = exc
                await _close_inner(inner)
                if not (is_connection_error(exc) or isinstance(exc, TimeoutError) or is_timeout(exc)):
                    break
                continue
            self._inner, self._loop = inner, asyncio.get_running_loop()
            config.state, config.last_error, config.connected_since = "connected", None, time.time()
            config.connects += 1
            if was_connected:
                config.reconnects += 1
            return
        assert last is not None
        reason = _reason(last)
        attempts = f"{made} attempt{'s' if made > 1 else ''}"
        if out_of_time or isinstance(last, TimeoutError):
            attempts += f" within timeout={self.config.timeout:g}s"
        config.state = "unavailable"
        config.last_error = f"MCP server {self.config.name!r} ({self.config.target}) is unavailable: {reason}"
        error_type = MCPConnectionTimeoutError if isinstance(last, TimeoutError) else MCPServerUnavailable
        raise error_type(self.config.name, self.config.target, f"{reason} (after {attempts})") from None

    def _unavailable(self, exc: BaseException) -> dict[str, ToolsetTool[Any]]:
        if self._tools is not None:
            return self._tools
        if self.config.optional:
            return {}
        raise MCPServerUnavailable(self.config.name, self.config.target, _reason(exc)) from exc

    async def _lost(self, exc: BaseException) -> None:
        self._status.last_error = _reason(exc)
        await self._drop()
        self._status.state = "reconnecting"

    async def _answers(self) -> bool:
        client = getattr(self._inner, "client", None)
        if client is None:
            return True
        try:
            with anyio.fail_after(self.config.timeout):
                await client.ping()
        except Exception as exc:
            # Any answer, even "Method not found" (servers on the sessionless protocol have no ping), is life.
            if isinstance(exc, TimeoutError) or is_connection_error(exc):
                self._status.last_error = _reason(exc)
                return False
        return True

    def _stdio_dead(self) -> bool:
        transport = getattr(getattr(self._inner, "client", None), "transport", None)
        task = getattr(transport, "_connect_task", None)
        dead = getattr(transport, "_is_session_dead", None)
        return bool((task is not None and task.done()) or (callable(dead) and dead()))

    async def _drop(self) -> None:
        inner, loop = self._inner, self._loop
        self._inner = self._loop = None
        self._status.connected_since = None
        if inner is None:
            return
        current = asyncio.get_running_loop()
        if loop is None or loop is current:
            await _close_inner(inner)
        elif loop.is_running():
            future = asyncio.run_coroutine_threadsafe(_close_inner(inner), loop)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.wrap_future(future), _CLOSE_SECONDS)
        # a closed loop already cancelled the session's tasks, which ends a stdio server's process

    def close_at_exit(self) -> None:
        """Close from outside any loop (interpreter exit): on the owning loop if it still runs."""
        inner, loop = self._inner, self._loop
        if inner is None or loop is None or loop.is_closed():
            return
        self._inner = self._loop = None
        if loop.is_running():
            future = asyncio.run_coroutine_threadsafe(_close_inner(inner), loop)
            with contextlib.suppress(Exception):
                future.result(_CLOSE_SECONDS)
        else:
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.wait_for(_close_inner(inner), _CLOSE_SECONDS))

    def __repr__(self) -> str:
        return f"ServerToolset({self.config.name!r}, state={self._status.state!r})"


async def _close_inner(inner: AbstractToolset[Any]) -> None:
    """Leave the inner toolset and close its transport (a kept-alive stdio process ends only then)."""
    with contextlib.suppress(Exception, TimeoutError):
        with anyio.fail_after(_CLOSE_SECONDS):
            if getattr(inner, "is_running", False):
                await inner.__aexit__(None, None, None)
    transport = getattr(getattr(inner, "client", None), "transport", None)
    close = getattr(transport, "close", None)
    if callable(close):
        with contextlib.suppress(Exception, TimeoutError):
            with anyio.fail_after(_CLOSE_SECONDS):
                await close()


def close_all(toolsets: Sequence[ServerToolset] | None = None) -> None:
    for toolset in list(_live if toolsets is None else toolsets):
        with contextlib.suppress(Exception, concurrent.futures.TimeoutError):
            toolset.close_at_exit()


atexit.register(close_all)
