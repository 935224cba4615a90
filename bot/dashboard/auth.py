"""Signing in, the request's database session and viewer, and the headers every back-office response carries.

The one-time link (/dashboard/login/<token>) shows a button first and signs in on POST: a link previewer or
a security scanner that fetches the URL must not use up the link. Sessions are a random cookie (HttpOnly,
SameSite=Lax, Secure under https) whose keyed hash is the only thing stored (storage.logins). Every form
carries a token derived from the session; a POST without it is refused.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from storage.logins import LoginError, form_token, redeem, sign_out, signed_in
from storage.models import Person, Unit
from storage.scope import Scope, scope_of

from . import bp

COOKIE = "hb_session"
PUBLIC = frozenset({"dashboard.login", "dashboard.static"})
CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")


@dataclass(frozen=True)
class Viewer:
    person: Person
    scope: Scope
    csrf: str

    @property
    def admin(self) -> bool:
        return self.person.role == "admin"


def services() -> Any:
    return current_app.extensions["hazardbot"].services


def db() -> Session:
    session: Session = g.db
    return session


def viewer() -> Viewer:
    found: Viewer = g.viewer
    return found


def now() -> datetime:
    clock: Any = services().clock
    moment: datetime = clock()
    return moment


@bp.before_request
def open_request() -> Response | None:
    g.db = services().sessions()
    if request.endpoint in PUBLIC:
        return None
    cookie = request.cookies.get(COOKIE, "")
    row = signed_in(g.db, services().secret, cookie, now())
    if row is None:
        return Response(render_template("signed_out.html"), status=401)
    g.viewer = Viewer(row.person, scope_of(row.person), form_token(services().secret, cookie))
    g.cookie = cookie
    if request.method == "POST" and not hmac.compare_digest(request.form.get("csrf", ""), g.viewer.csrf):
        abort(403, "页面已过期，请刷新后重试。")
    return None


@bp.after_request
def commit_and_protect(resp: Response) -> Response:
    session: Session | None = g.pop("db", None)
    if session is not None:
        try:
            if resp.status_code < 400:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
    return protect(resp)


@bp.teardown_request
def close_request(exc: BaseException | None) -> None:
    session: Session | None = g.pop("db", None)
    if session is not None:
        session.rollback()
        session.close()


def protect(resp: Response) -> Response:
    """What every page and download of the back office sends: nothing here is for caches, frames or referrers."""
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "dashboard.static":
        resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.app_context_processor
def page_globals() -> dict[str, Any]:
    found = g.get("viewer")
    return {"viewer": found, "csrf": found.csrf if found else ""}


# -- the one-time link and logout --------------------------------------------------------------------

@bp.route("/login/<token>", methods=["GET", "POST"])
def login(token: str) -> Any:
    if request.method == "GET":
        return render_template("login.html", token=token)
    try:
        started = redeem(db(), services().secret, token, now())
    except LoginError as exc:
        db().commit()  # nothing changed; end the transaction
        return Response(render_template("signed_out.html", reason=str(exc)), status=403)
    resp = redirect(url_for("dashboard.overview"))
    secure = request.is_secure or request.headers.get("X-Forwarded-Proto", "") == "https"
    resp.set_cookie(COOKIE, started.cookie, httponly=True, samesite="Lax", secure=secure, path="/dashboard")
    return resp


@bp.post("/logout")
def logout() -> Any:
    sign_out(db(), services().secret, g.cookie, now())
    resp = Response(render_template("signed_out.html", reason="已退出。需要时在微信里发送「登录后台」。"))
    resp.delete_cookie(COOKIE, path="/dashboard")
    return resp


# -- shared by the pages -------------------------------------------------------------------------

def unit_choice() -> tuple[Scope, Unit | None]:
    """The scope a page shows: the viewer's own; an admin may pick one unit with ?unit=ID (anyone else asking
    for another unit is simply shown their own)."""
    v = viewer()
    if v.admin:
        raw = request.values.get("unit", "")
        unit = db().get(Unit, int(raw)) if raw.isdecimal() else None
        return (Scope(unit), unit) if unit is not None else (v.scope, None)
    return v.scope, v.scope.unit


def page_number() -> int:
    raw = request.args.get("page", "1")
    return max(int(raw), 1) if raw.isdecimal() else 1
