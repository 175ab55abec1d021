"""Pages call their own service's HTTP API, in-process, with the signed-in person's token.

So a page applies exactly the API's rules — validation, access, the use cases, the metrics —
and never a copy of them. The call goes through the ASGI app itself (no network, no second
port), and the answer is read the way any client reads it: 2xx data, 422 field errors to show
next to the fields, other refusals as a message. A 401 (the session expired mid-way) sends the
person to sign in; a 5xx becomes an error page with the API's reference, never a stack trace;
a read the page cannot do without (`data`) turns any other refusal into a page that says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request

from shared.ui.session import Session, SignInRequired, here


class ServiceFailed(Exception):
    """The service answered 5xx (its message carries a reference for the administrator)."""


class Refused(Exception):
    """A read the page needs was refused (404, 409, 422): shown as a page with the message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


@dataclass(frozen=True)
class Answer:
    status: int
    data: Any
    text: str
    headers: httpx.Headers = field(default_factory=httpx.Headers)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def problems(self) -> list[FieldProblem]:
        """A 422's field errors, in the shared shape `{"detail": [{"field", "message"}]}`."""
        if self.status != 422:
            return []
        detail = self.data.get("detail") if isinstance(self.data, dict) else None
        if isinstance(detail, list):
            return [FieldProblem(str(d.get("field", "request")), str(d.get("message", "")))
                    for d in detail if isinstance(d, dict)]
        return [FieldProblem("request", str(detail or self.text))]

    @property
    def message(self) -> str:
        """The refusal's message (409, 404, …) as the API worded it."""
        if isinstance(self.data, dict) and isinstance(self.data.get("detail"), str):
            return str(self.data["detail"])
        return self.text


class Api:
    def __init__(self, request: Request, session: Session) -> None:
        self._request = request
        self._session = session

    async def call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
        accept: str = "application/json",
    ) -> Answer:
        transport = httpx.ASGITransport(app=self._request.app, raise_app_exceptions=False)
        headers = {"Authorization": f"Bearer {self._session.token}", "Accept": accept}
        async with httpx.AsyncClient(transport=transport, base_url="http://in-process",
                                     timeout=30) as client:
            response = await client.request(method, path, json=json, params=params,
                                            headers=headers)
        if response.status_code == 401:
            raise SignInRequired(here(self._request))
        if response.status_code >= 500:
            raise ServiceFailed(_detail(response))
        is_json = response.headers.get("content-type", "").startswith("application/json")
        data = response.json() if is_json and response.content else None
        return Answer(response.status_code, data, response.text, response.headers)

    async def get(self, path: str, **params: Any) -> Answer:
        clean = {k: v for k, v in params.items() if v is not None and v != ""}
        return await self.call("GET", path, params=clean)

    async def post(self, path: str, body: Any = None) -> Answer:
        return await self.call("POST", path, json=body)

    async def data(self, path: str, **params: Any) -> Any:
        """GET that must succeed: the data (a refusal becomes the page's answer)."""
        answer = await self.get(path, **params)
        if not answer.ok:
            raise Refused(answer.status, answer.message)
        return answer.data


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:500]
    return str(detail)
