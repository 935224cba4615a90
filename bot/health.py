"""/healthz: whether this process can reach what it needs, and which one is down when it cannot.

200 "ok" when the database answers (and Redis, when configured); 503 with one line per dependency otherwise,
so a load balancer takes the worker out and the operator reads which one to look at. Never any record.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app
from sqlalchemy import text

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    services = current_app.extensions["hazardbot"].services
    lines, ok = [], True
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        lines.append("database: ok")
    except Exception as exc:  # any failure to answer is "down", whatever the driver calls it
        ok = False
        lines.append(f"database: down ({type(exc).__name__})")
    if services.redis is not None:
        try:
            services.redis.ping()
            lines.append("redis: ok")
        except Exception as exc:
            ok = False
            lines.append(f"redis: down ({type(exc).__name__})")
    body = ("ok\n" if ok else "") + "\n".join(lines) + "\n"
    return Response(body, status=200 if ok else 503, mimetype="text/plain")
