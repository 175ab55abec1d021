"""Input no service can store, refused at the door with the project's 422 shape.

PostgreSQL cannot store U+0000 (NUL) in `text` or `jsonb`: a NUL that reaches a repository
fails the transaction and the caller got a 500. It is valid JSON (`"\\u0000"`) and valid in a
URL (`%00`), so pydantic lets it through; rather than repeat a check on every string field of
four APIs, one ASGI middleware looks at the query, the path and the body (JSON or form) of
every request and answers 422 naming the field. The value itself is never echoed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MESSAGE = "contains a NUL character (U+0000), which is not allowed in text"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RefuseNulCharacters:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _in_path(scope) or _in_query(scope.get("query_string", b""))
        if field is None and scope["method"] in BODY_METHODS:
            body, receive = await _buffered(receive)
            field = _in_body(body, _content_type(scope))
        if field is not None:
            await _refuse(send, field)
            return
        await self.app(scope, receive, send)


def _in_path(scope: Scope) -> str | None:
    return "path" if "\x00" in scope.get("path", "") else None


def _in_query(query: bytes) -> str | None:
    if b"%00" not in query and b"\x00" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return "query"


def _content_type(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            return str(value.decode("latin-1").split(";")[0].strip().lower())
    return ""


def _in_body(body: bytes, content_type: str) -> str | None:
    if content_type == "application/x-www-form-urlencoded":
        return _in_query(body)
    if b"\\u0000" not in body and b"\x00" not in body:
        return None
    try:
        document = json.loads(body)
    except ValueError:  # not JSON: the route's own validation answers it
        return None
    return next(_nul_paths(document, ""), None)


def _nul_paths(value: Any, at: str) -> Iterator[str]:
    """Where a NUL hides, named as the 422 errors name fields: `risks[1].mitigation`."""
    if isinstance(value, str):
        if "\x00" in value:
            yield at or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{at}.{key}" if at else str(key)
            if "\x00" in key:
                yield at or "body"
            yield from _nul_paths(item, name.replace("\x00", ""))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{at}[{index}]")


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body (the APIs take small JSON documents), then hand it on unchanged."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: pass that on
            return b"", _replay([message], receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _refuse(send: Send, field: str) -> None:
    content = json.dumps({"detail": [{"field": field, "message": MESSAGE}]}).encode()
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(content)).encode())]})
    await send({"type": "http.response.body", "body": content})

