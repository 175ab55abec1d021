"""Every route every service serves, read from the FastAPI apps themselves.

The apps are built (`create_app()`), never started: building needs neither Kafka nor
PostgreSQL. Operations endpoints that are public by design are left out here and nowhere
else.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache

from fastapi import routing

from shared.topics import SERVICES

# Public by design (DESIGN.md, "HTTP"): probes, metrics and the API documentation.
NOT_IN_THE_MATRIX = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs",
                     "/docs/oauth2-redirect", "/redoc"}


@dataclass(frozen=True, order=True)
class RouteKey:
    service: str
    method: str
    path: str
    page: bool = False  # a web page (session cookie), not the JSON API (bearer token)

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path}"


@cache
def all_routes() -> tuple[RouteKey, ...]:
    found: set[RouteKey] = set()
    for service in SERVICES:
        app = importlib.import_module(f"services.{service}.main").create_app()
        for route in routing.iter_route_contexts(app.routes):
            if route.path in NOT_IN_THE_MATRIX:
                continue
            page = type(route.original_route).__name__ == "PageRoute"
            for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
                found.add(RouteKey(service, method, str(route.path), page))
    return tuple(sorted(found))
