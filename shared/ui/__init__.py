"""The web pages' shared parts: one look, one message catalogue, one sign-in.

A service's `adapters/http/ui.py` builds its pages with `Pages` (rendering.py) and registers
`pages.router()` plus its own page routes; see docs/web-pages.md.
"""

from shared.ui.rendering import Page, Pages

__all__ = ["Page", "Pages"]
