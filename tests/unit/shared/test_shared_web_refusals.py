"""The HTTP shell's refusals: NUL characters stopped at the door, and the 422 body the
OpenAPI schema documents is the one the services send."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Form
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from shared.web import _document_refusals, _validation_error
from shared.web_guards import RefuseNulCharacters


class Risk(BaseModel):
    kind: str
    mitigation: str


class Body(BaseModel):
    name: str
    risks: list[Risk] = []


def app() -> FastAPI:
    api = FastAPI()
    api.add_middleware(RefuseNulCharacters)
    api.add_exception_handler(RequestValidationError, _validation_error)

    @api.post("/things")
    async def post_thing(body: Body) -> dict[str, object]:
        return body.model_dump()

    @api.get("/things")
    async def get_things(reason: str = "") -> dict[str, str]:
        return {"reason": reason}

    @api.post("/form")
    async def post_form(note: str = Form()) -> dict[str, str]:
        return {"note": note}

    _document_refusals(api)
    return api


async def call(method: str, url: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, url, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "a\u0000b"}, "name"),
    ({"name": "x", "risks": [{"kind": "debts", "mitigation": "ok"},
                             {"kind": "debts", "mitigation": "\u0000"}]}, "risks[1].mitigation"),
])
async def test_a_nul_in_a_json_body_is_a_422_naming_the_field(
    body: dict[str, object], field: str
) -> None:
    r = await call("POST", "/things", json=body)
    assert r.status_code == 422
    assert r.json() == {"detail": [{"field": field, "message": r.json()["detail"][0]["message"]}]}
    assert "\u0000" not in r.text and "U+0000" in r.text


async def test_a_nul_in_the_query_or_a_form_is_a_422_naming_the_parameter() -> None:
    r = await call("GET", "/things?reason=a%00b")
    assert (r.status_code, r.json()["detail"][0]["field"]) == (422, "reason")
    r = await call("POST", "/form", data={"note": "a\u0000b"})
    assert (r.status_code, r.json()["detail"][0]["field"]) == (422, "note")


async def test_requests_without_a_nul_pass_unchanged() -> None:
    # A backslash followed by u0000 is text, not a NUL: it passes, and the body arrives whole.
    body = {"name": "literally \\u0000", "risks": [{"kind": "debts", "mitigation": "plan"}]}
    r = await call("POST", "/things", json=body)
    assert (r.status_code, r.json()) == (200, body)
    assert (await call("GET", "/things?reason=moved")).json() == {"reason": "moved"}
    assert (await call("POST", "/form", data={"note": "fine"})).json() == {"note": "fine"}


async def test_the_documented_422_body_is_the_one_sent() -> None:
    schema = app().openapi()
    error = schema["components"]["schemas"]["ValidationError"]
    assert error["required"] == ["field", "message"]
    r = await call("POST", "/things", json={"risks": "no"})
    assert r.status_code == 422
    for item in r.json()["detail"]:
        assert set(item) == set(error["required"])


async def test_a_timeout_is_a_503_to_retry_and_a_bug_a_500_with_a_reference() -> None:
    from shared.web import _unexpected

    busy = await _unexpected(None, TimeoutError())  # type: ignore[arg-type]
    assert (busy.status_code, busy.headers["retry-after"]) == (503, "2")
    assert b"try again" in busy.body
    bug = await _unexpected(None, KeyError("x"))  # type: ignore[arg-type]
    assert bug.status_code == 500 and b"reference" in bug.body
