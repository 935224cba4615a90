"""/notice/<token>: the whole text of a reminder sent as a template message or 订阅通知.

WeChat shows only 20 characters of each of those messages' fields, so the message links here. The token names
the outbox row, signed with the deployment's key; only reminder rows are shown (never a reply, which may be a
tipster's receipt), and nothing once the row is gone (`scheduler.outbox_keep_days`).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template_string
from itsdangerous import BadSignature, SignatureExpired

from storage.links import read_notice
from storage.models import Outbox
from storage.push_kinds import RULE_LABELS

bp = Blueprint("notices", __name__)

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title></head>
<body style="font: 17px/1.6 sans-serif; margin: 1.2em; max-width: 40em">
<h1 style="font-size: 1.2em">{{ title }}</h1>
<p style="white-space: pre-wrap">{{ text }}</p>
<p style="color: #666; font-size: .9em">{{ sent }} · 请在公众号里回复消息办理。</p>
</body></html>"""
# The page's only style is inline: allow that and nothing else.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


@bp.get("/notice/<token>")
def show(token: str):
    services = current_app.extensions["hazardbot"].services
    try:
        outbox_id = read_notice(services.secret, token, services.config.scheduler.outbox_keep_days)
    except SignatureExpired:
        abort(410, "该提醒已过期。")
    except (BadSignature, ValueError, TypeError):
        abort(404, "链接无效。")
    with services.sessions() as session:
        row = session.get(Outbox, outbox_id)
        if row is None or row.reply or row.rule not in RULE_LABELS:
            abort(410, "该提醒已过期。")
        title = (row.template or {}).get("title") or RULE_LABELS[row.rule]
        page = render_template_string(PAGE, title=title, text=row.text, sent=f"{row.created_at:%Y-%m-%d}")
    return page, 200, {"Content-Security-Policy": POLICY}
