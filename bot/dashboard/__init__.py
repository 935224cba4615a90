"""The back office: web pages for staff at /dashboard, signed in through a one-time link asked for in chat.

Server-rendered Jinja pages with no script at all: charts are inline SVG, the style sheet ships with the
package (static/), nothing is loaded from elsewhere. Every page and download applies the viewer's Scope — the
same one chat applies (storage.scope) — and every change goes through the same storage rule as chat's.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates",
               static_folder="static", static_url_path="/static")

from . import auth, dispatch, hazards, overview, registry, tips  # noqa: E402,F401  (they add their routes to bp)
