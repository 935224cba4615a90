"""What every response says about itself: not to be sniffed, framed, cached or followed by a referrer.

The defaults below go on every response of the app (webhooks, downloads, the simulator, the back office); a
page that needs a wider Content-Security-Policy (the simulator's inline script, the back office's style
sheet) sets its own first, and these only fill in what it left out.
"""
from __future__ import annotations

from flask import Response

DEFAULT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
STATIC_PREFIXES = ("/dashboard/static/",)  # the only responses a cache may keep: they name nobody


def protect(resp: Response, path: str) -> Response:
    headers = resp.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", DEFAULT_POLICY)
    headers.setdefault("Referrer-Policy", "no-referrer")
    if not path.startswith(STATIC_PREFIXES):
        headers["Cache-Control"] = "no-store"
    return resp
