"""The app factory: config -> services -> engine -> Flask app with the channel blueprints."""
from __future__ import annotations

import base64
import binascii
import gc
import logging
from dataclasses import dataclass

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from handlers.messages import Incoming
from scheduler.delivery import OutboxSender, PushWorker
from storage.config import Config, ConfigError, load_config
from storage.failures import summary
from storage.outbox import enqueue

from . import metrics
from .channels.common import Responder
from .engine import Engine, Outcome
from .headers import protect
from .logs import configure_logging
from .services import Services, build_services

log = logging.getLogger(__name__)
WEBHOOKS = ("/wechat", "/wecom")


@dataclass
class HazardBot:
    """The app's state, kept in app.extensions["hazardbot"]."""

    services: Services
    engine: Engine
    responder: Responder[Outcome]
    pushes: PushWorker

    def push(self, incoming: Incoming, outcome: Outcome) -> None:
        """Queue replies that could not go out passively, and wake the sender. A private answer (an anonymous
        tip's) never goes into the outbox: it waits in the private store and the push says how to fetch it."""
        texts = [self.engine.hold_late(incoming, outcome.replies)] if outcome.private else outcome.replies
        if not texts:
            return
        now = self.services.clock()
        with self.services.sessions.begin() as session:
            for text in texts:
                enqueue(session, channel=incoming.channel, recipient=incoming.user_id, text=text, now=now,
                        reply=True)
        if incoming.channel != "sim":
            self.pushes.kick()

    def stop(self) -> None:
        """Before the process goes (a restart, a deploy, max_requests): the engine finishes the messages it
        holds — one already answered "success" would otherwise be lost with the process — and queues their late
        answers; then the push in hand is finished and the rest wait in the outbox for the next start."""
        self.responder.shutdown()
        self.pushes.stop()


def check_channel_keys(config: Config) -> None:
    """A wrong EncodingAESKey would fail every message; refuse to start instead."""
    for name, key in (("wechat", config.wechat.encoding_aes_key), ("wecom", config.wecom.encoding_aes_key)):
        if not key:
            continue
        try:
            ok = len(key) == 43 and len(base64.b64decode(key + "=", validate=True)) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise ConfigError(f"[{name}] encoding_aes_key must be the 43-character key from the admin console")
    if config.wecom.encoding_aes_key and not (config.wecom.corp_id and config.wecom.token):
        raise ConfigError("[wecom] needs corp_id and token together with encoding_aes_key")


def freeze_startup_objects() -> None:
    """Exempt what start-up loaded from the cyclic garbage collector, for a process about to serve.

    jieba's dictionary and the app's tables are a few hundred thousand long-lived objects; each full
    collection walked them all (about 65 ms, the whole process stalled), which was most of the webhook's
    slowest one percent. Call it once the app is built: they are never garbage anyway.
    """
    gc.collect()
    gc.freeze()


def create_app(config: Config | None = None, *, services: Services | None = None) -> Flask:
    config = services.config if services is not None else (config or load_config())
    check_channel_keys(config)
    services = services or build_services(config)
    configure_logging(config)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.server.max_body_bytes
    engine = Engine(services)
    sender = OutboxSender(services.sessions, services.channels.senders(), config, services.clock,
                          limiter=services.limiter, observer=metrics.DeliveryMetrics())
    pushes = PushWorker(sender)
    hb = HazardBot(services, engine, Responder(engine.answer, lambda m, t: hb.push(m, t),
                                                config.server.reply_timeout), pushes)
    app.extensions["hazardbot"] = hb

    from . import downloads, health, notices
    from .dashboard import bp as dashboard

    for blueprint in services.channels.blueprints():
        app.register_blueprint(blueprint)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(notices.bp)  # /notice/<token>: a template message's whole text
    app.register_blueprint(dashboard)
    app.register_blueprint(health.bp)  # /healthz
    app.register_blueprint(metrics.bp)  # /metrics
    if config.simulator_on:
        from .channels import web

        app.register_blueprint(web.bp)

    @app.after_request
    def headers(resp: Response) -> Response:
        return protect(resp, request.path)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        # Plain text, never Werkzeug's HTML page: WeChat's server and curl read it better.
        return Response(f"{exc.code} {exc.description}", status=exc.code, mimetype="text/plain")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        # A webhook body may be a tip: its words stay out of the log.
        log.error("unexpected error on %s %s: %s", request.method, request.path,
                  summary(exc, private=request.path in WEBHOOKS))
        if request.path in WEBHOOKS:
            # "success" stops WeChat from retrying a message that would only fail again.
            return Response("success", mimetype="text/plain")
        return Response("暂时无法处理，请稍后再试。", status=503, mimetype="text/plain")

    return app
