"""The simulator's HTTP client: what comes back, and which failures may be tried again.

Against tiny servers on loopback sockets (asyncio's own), so each failure is real: a refused
connection, a connection closed before the answer, an answer that never comes.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from transferpunt.http_client import AnswerLost, HttpClient, NotSent, StatusError
from transferpunt.simulator import Api

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A loopback server; yields its base URL and the request heads it received."""
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                heads.append(head)
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    srv = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", heads
    finally:
        srv.close()


def answer(status: int, body: object) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        content = json.dumps(body).encode()
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(content)}\r\n\r\n".encode() + content)
        await writer.drain()
    return handler


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()
    raise ConnectionError("closed without an answer")


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)


def refused_url() -> str:
    with socket.socket() as s:  # bound, never listening: the port refuses connections
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


async def test_a_reply_carries_status_body_and_json() -> None:
    async with server(answer(201, {"case_id": "c1"})) as (url, heads), HttpClient() as http:
        reply = await http.post(f"{url}/intakes", json={"a": 1}, headers={"X-T": "t"})
    assert reply.status_code == 201
    assert reply.json() == {"case_id": "c1"}
    assert json.loads(reply.text) == {"case_id": "c1"}
    reply.raise_for_status()  # 201: nothing raised
    assert heads[0].startswith(b"POST /intakes HTTP/1.1")
    assert b"content-type: application/json" in heads[0].lower()
    assert b"x-t: t" in heads[0].lower()


async def test_an_error_status_raises_only_on_demand_and_names_no_query() -> None:
    async with server(answer(404, {"detail": "no"})) as (url, _), HttpClient() as http:
        reply = await http.get(f"{url}/contingents/2031", params={"secret": "Jansen"})
    assert reply.status_code == 404
    with pytest.raises(StatusError) as raised:
        reply.raise_for_status()
    assert "404" in str(raised.value) and "/contingents/2031" in str(raised.value)
    assert "Jansen" not in str(raised.value)


async def test_a_refused_connection_is_not_sent() -> None:
    async with HttpClient(connect_timeout=2) as http:
        with pytest.raises(NotSent):
            await http.get(f"{refused_url()}/readyz")


async def test_a_connection_closed_before_the_answer_is_an_answer_lost() -> None:
    async with server(hang_up) as (url, heads), HttpClient() as http:
        with pytest.raises(AnswerLost) as raised:
            await http.post(f"{url}/intakes?name=Jansen", json={})
    assert not isinstance(raised.value, NotSent)  # it reached the server: maybe done
    assert len(heads) == 1
    assert "Jansen" not in str(raised.value)


async def test_an_answer_that_never_comes_is_lost_after_the_timeout() -> None:
    async with server(never_answer) as (url, _), HttpClient(timeout=0.3) as http:
        with pytest.raises(AnswerLost):
            await http.get(f"{url}/admin/clock")


async def test_api_repeats_a_get_whose_answer_was_lost_but_never_a_post() -> None:
    async with server(hang_up) as (url, heads), HttpClient() as http:
        api = Api({"intake": url}, http)
        with pytest.raises(AnswerLost):
            await api.call("POST", "intake", "/intakes", body={}, attempts=2)
        assert len(heads) == 1  # a POST that may have been done is not sent again
        with pytest.raises(AnswerLost):
            await api.call("GET", "intake", "/admin/clock", attempts=2)
        # sent again: by Api, and within each attempt by aiohttp too, which repeats an
        # idempotent request once on a dropped connection (RFC 9112, 9.3.1)
        assert len(heads) >= 3


async def test_api_sends_again_a_post_that_never_reached_the_service() -> None:
    url = refused_url()
    port = int(url.rsplit(":", 1)[1])
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        await reader.readexactly(2)  # the body: {}
        await answer(201, {"case_id": "c1"})(reader, writer)
        writer.close()

    async with HttpClient(connect_timeout=2) as http:
        api = Api({"intake": url}, http)
        call = asyncio.create_task(api.call("POST", "intake", "/intakes", body={}, attempts=3))
        await asyncio.sleep(0.2)  # the first attempt is refused; the service comes up
        srv = await asyncio.start_server(serve, "127.0.0.1", port)
        try:
            reply = await call
        finally:
            srv.close()
    assert reply.status_code == 201
    assert len(heads) == 1  # refused, then sent once


def test_the_client_refuses_use_outside_its_context() -> None:
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(HttpClient().get("http://127.0.0.1:1/"))


async def test_waiting_too_long_for_a_free_connection_is_not_sent() -> None:
    """The pool is full (one connection, held by a request that gets no answer): the next
    request never leaves the client, so it is NotSent, which may always be tried again."""
    async with server(never_answer) as (url, heads), \
            HttpClient(timeout=1.0, max_connections=1, pool_timeout=0.3) as http:
        first = asyncio.create_task(http.get(f"{url}/a"))
        await asyncio.sleep(0.1)
        with pytest.raises(NotSent):
            await http.post(f"{url}/intakes", json={})
        with pytest.raises(AnswerLost):
            await first
    assert len(heads) == 1  # the POST never reached the server
