"""The HTTP client the simulator, the benchmark and the load generator drive the services with.

A thin layer over aiohttp. Why not httpx, which the tests use against the apps in process: on
this 2-core machine httpx spent about 1 ms of CPU per request in the client (its transport
stack, anyio and httpcore), aiohttp about 0.1 ms (`transferpunt bench` and docs/benchmark.md,
"Round nine"). The simulated year sends some 11,000 requests, and every millisecond the client
burns is taken from the services on the same two cores.

What callers see is deliberately small: a `Reply` with `status_code`, `text`, `json()` and
`raise_for_status()`, and two errors that say what the caller may do next:

- `NotSent`: the request never reached the service (no connection could be made, or none of
  the pool's came free in time), so trying again is always safe;
- `AnswerLost`: the request may have reached the service but no complete answer came back
  (the connection broke, or the answer took longer than the timeout), so only an idempotent
  request may be repeated.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp


class HttpError(Exception):
    """Any failure of a request: not sent, answer lost, or an error status raised on demand."""


class TransportError(HttpError):
    """No complete answer came back."""


class NotSent(TransportError):
    """The request never reached the service: no connection could be made, or the pool had
    none free in time."""


class AnswerLost(TransportError):
    """The request may have been done, but its answer did not arrive in full."""


class StatusError(HttpError):
    """`raise_for_status` on a 4xx or 5xx answer."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"HTTP {reply.status_code} from {reply.method} {reply.path}")
        self.reply = reply


@dataclass(frozen=True)
class Reply:
    """A complete answer: read in full before it is handed back, so no connection is held."""

    method: str
    path: str  # the URL's path, for error messages: never the query or a body
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise StatusError(self)


class HttpClient:
    """A pool of keep-alive connections, opened on first use and closed by `async with`.

    `keepalive_expiry` stays below the services' own (uvicorn closes an idle connection after
    5 s), so the client never sends on a connection the server is closing.
    """

    def __init__(self, *, timeout: float = 60.0, max_connections: int = 40,
                 keepalive_expiry: float = 2.0, connect_timeout: float = 5.0,
                 pool_timeout: float = 30.0) -> None:
        # aiohttp's `connect` covers waiting for a free connection of the pool as well: a
        # request that waited `pool_timeout` was never sent, so it may be tried again
        # (NotSent), like one whose connection could not be opened within `connect_timeout`.
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(pool_timeout, timeout),
                                              sock_connect=connect_timeout)
        self._max_connections = max_connections
        self._keepalive = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HttpClient:
        connector = aiohttp.TCPConnector(limit=self._max_connections,
                                         keepalive_timeout=self._keepalive)
        # No cookies: every call carries its own token; a cookie jar would only cost CPU.
        self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout,
                                              cookie_jar=aiohttp.DummyCookieJar(),
                                              raise_for_status=False)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, method: str, url: str, *, json: Any = None,
                      headers: Mapping[str, str] | None = None,
                      params: Mapping[str, str] | None = None) -> Reply:
        if self._session is None:
            raise RuntimeError("HttpClient is used outside `async with`")
        data = None if json is None else jsonlib.dumps(json).encode()
        sent_headers = dict(headers or {})
        if data is not None:
            sent_headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(method, url, data=data, headers=sent_headers,
                                             params=params) as response:
                content = await response.read()
                return Reply(method, response.url.path, response.status, content)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise NotSent(f"{method} {_path(url)}: no connection ({type(exc).__name__})") \
                from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise AnswerLost(f"{method} {_path(url)}: no complete answer "
                             f"({type(exc).__name__})") from exc

    async def get(self, url: str, **kwargs: Any) -> Reply:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> Reply:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> Reply:
        return await self.request("PUT", url, **kwargs)


def _path(url: str) -> str:
    """The URL without its query: error messages name the endpoint, never what was asked."""
    return url.split("?", 1)[0]
