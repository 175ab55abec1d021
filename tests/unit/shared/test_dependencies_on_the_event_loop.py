"""Every route's dependencies run on the event loop.

FastAPI runs a plain `def` dependency on a worker thread: a thread hop (and a fight for the
GIL) per dependency per request. The bearer-token check, the role check and a service's
context were plain functions, three hops per API request in every service; none of them
blocks, so they are `async def`. This walks every route of the four apps and names any
dependency that would run on a thread again.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

SERVICES = ("intake", "matching", "contingent", "aftercare")


def runs_on_the_loop(call: Callable[..., Any]) -> bool:
    dunder = getattr(call, "__call__", None)  # noqa: B004 - an instance's __call__ too
    return any(inspect.iscoroutinefunction(c) or inspect.isasyncgenfunction(c)
               for c in (call, dunder) if c is not None)


def threaded(dependant: Dependant) -> Iterator[str]:
    for sub in dependant.dependencies:
        if sub.call is not None and not runs_on_the_loop(sub.call):
            yield f"{sub.call.__module__}.{sub.call.__qualname__}"
        yield from threaded(sub)


@pytest.mark.parametrize("service", SERVICES)
def test_no_route_of_the_service_hops_to_a_thread(service: str) -> None:
    app: FastAPI = importlib.import_module(f"services.{service}.main").create_app()
    # every API route, also those of included routers, with the dependencies it runs with
    # (the router's own included), as tests/access/routes.py reads them
    routes = [route for route in routing.iter_route_contexts(app.routes)
              if isinstance(route.original_route, APIRoute)]
    assert len(routes) > 10  # the walk found the service's API, not just the app's own pages
    found = {f"{route.path}: {name}" for route in routes for name in threaded(route.dependant)}
    found |= {f"{route.path}: the endpoint" for route in routes
              if not runs_on_the_loop(route.dependant.call)}
    assert not found, sorted(found)
