"""The web simulator at /simulator: a chat page that goes through the same engine as WeChat.

Anyone who reaches it speaks as any user id: it is on by default only with the embedded SQLite database, and
needs server.simulator_token otherwise. Each client address is also rate limited, so a guessing script
cannot try invite codes at hundreds a second under ever new user ids.
"""
from __future__ import annotations

import hmac
from importlib.resources import files
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request

from storage.outbox import collect_simulated
from storage.ratelimit import limiter_key

from .simulated import HELP, parse_line

bp = Blueprint("simulator", __name__)
MAX_TEXT = 2000
PER_ADDRESS_PER_MINUTE = 60
# The page's script is inline: this page alone allows it.
PAGE_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


@bp.before_request
def guard() -> Any:
    services = current_app.extensions["hazardbot"].services
    token = services.config.server.simulator_token
    if token:
        given = request.args.get("token", "") if request.path == "/simulator" else \
            request.headers.get("X-Simulator-Token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            abort(403, "simulator token required")
    if request.method == "POST":
        key = limiter_key(services.secret, "simulator", request.remote_addr or "")
        if not services.limiter.blocked(key, PER_ADDRESS_PER_MINUTE).allowed:
            return jsonify(error="操作太频繁，请稍后再试"), 429
        services.limiter.hit(key, 60)
    return None


@bp.get("/simulator")
def page() -> Response:
    html = files("bot.channels").joinpath("simulator.html").read_text(encoding="utf-8")
    page = Response(html.replace("{{HELP}}", HELP), mimetype="text/html")
    page.headers["Content-Security-Policy"] = PAGE_POLICY
    return page


@bp.post("/simulator/api/send")
def send():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="请求体应为 JSON：{\"user\": \"...\", \"text\": \"...\"}"), 400
    user, text = str(data.get("user") or "").strip(), str(data.get("text") or "")
    if not user or len(user) > 64:
        return jsonify(error="user 不能为空，最长 64 个字符"), 400
    if not text.strip() or len(text) > MAX_TEXT:
        return jsonify(error=f"消息不能为空，最长 {MAX_TEXT} 个字符"), 400
    hb = current_app.extensions["hazardbot"]
    try:
        msg = parse_line(user, text, hb.services.clock(), msg_key=str(data.get("id") or "") or None)
    except ValueError as exc:
        return jsonify(replies=[str(exc)])
    outcome = hb.responder.respond(msg)
    return jsonify(replies=outcome.replies if outcome is not None else [])


@bp.get("/simulator/api/poll")
def poll():
    user = request.args.get("user", "").strip()
    if not user:
        return jsonify(error="缺少 user"), 400
    hb = current_app.extensions["hazardbot"]
    with hb.services.sessions.begin() as session:
        pushed = collect_simulated(session, user, hb.services.clock())
    return jsonify(replies=pushed)
