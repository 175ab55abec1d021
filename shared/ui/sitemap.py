"""Which pages each role has, on which service: the navigation and the start pages."""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import Role


@dataclass(frozen=True)
class Link:
    service: str
    path: str
    key: str  # catalogue key of the link text; `<key>.about` describes it on the start page


SITEMAP: dict[Role, tuple[Link, ...]] = {
    "caseworker": (
        Link("intake", "/ui/intakes", "nav.cases"),
        Link("intake", "/ui/intakes/new", "nav.new_intake"),
    ),
    "corporation": (
        Link("matching", "/ui/inbox", "nav.inbox"),
        Link("matching", "/ui/homes", "nav.homes"),
        Link("matching", "/ui/homes/new", "nav.offer_home"),
        Link("aftercare", "/ui/signals", "nav.signals"),
    ),
    "supporter": (
        Link("aftercare", "/ui/trajectories", "nav.worklist"),
        Link("aftercare", "/ui/signals", "nav.signals"),
    ),
    "coordinator": (
        Link("contingent", "/ui/contingent", "nav.contingent"),
        Link("contingent", "/ui/throughput", "nav.throughput"),
        Link("matching", "/ui/homes", "nav.all_homes"),
        Link("aftercare", "/ui/trajectories", "nav.all_trajectories"),
    ),
}
