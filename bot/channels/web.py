"""The web simulator at /simulator: a chat page that goes through the same engine as WeChat."""
from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, Response, current_app, jsonify, request

from storage.outbox import collect_simulated

from .simulated import HELP, parse_line

bp = Blueprint("simulator", __name__)
MAX_TEXT = 2000


@bp.get("/simulator")
def page() -> Response:
    html = files("bot.channels").joinpath("simulator.html").read_text(encoding="utf-8")
    return Response(html.replace("{{HELP}}", HELP), mimetype="text/html")


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
