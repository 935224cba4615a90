"""What the WeChat and WeCom webhooks share: guarding the body, turning parsed messages into
Incoming values, answering within WeChat's 5 seconds, and rendering replies safely."""
from __future__ import annotations

import logging
import math
import queue
import re
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from xml.parsers.expat import ExpatError

from flask import Response, abort

from handlers.messages import EVENT, IMAGE, LOCATION, TEXT, UNSUPPORTED, Incoming, Location
from storage.failures import summary
from storage.replay import body_digest, request_key

from .. import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")

_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# Errors wechatpy raises on bodies it cannot read; any of them means the caller sent garbage.
PARSE_ERRORS = (ValueError, ExpatError, KeyError, TypeError, AttributeError, IndexError, struct.error)
PASSIVE_LIMIT_BYTES = 2000  # WeChat's passive text limit is 2048 bytes; leave room for the envelope


def check_fresh_and_new(hb: Any, channel: str, timestamp: str, nonce: str, body: bytes, *,
                        body_signed: bool) -> None:
    """A signed request is only good within the signature window, and only once with its body: the same
    request again is WeChat's retry (it goes on to the stored reply); the same signature with another body, or
    an old or future timestamp, is refused.

    body_signed: the body was checked against a signature over it (msg_signature over the ciphertext, in 安全
    mode and on WeCom). Then another body cannot come with the same signed URL — its msg_signature would not
    match — and one who can sign a new body can as well pick a new nonce: the replay record guards nothing, and
    it is skipped (one Redis round trip fewer for every message). It is kept where only the URL is signed (明文)."""
    services = hb.services
    window = services.config.server.signature_window_seconds
    try:
        sent = int(timestamp)
    except ValueError:
        abort(403, "invalid timestamp")
    # The wall clock, not the business clock: this is about the request, not about the campaign's days.
    if abs(time.time() - sent) > window:
        abort(403, "timestamp outside the signature window")
    if body_signed:
        return
    key = request_key(services.secret, channel, timestamp, nonce)
    if services.replay.seen(key, body_digest(timestamp, nonce, body), 2 * window) == "other":
        abort(403, "signature already used for another message")


def refuse_dangerous_xml(body: bytes) -> None:
    """DOCTYPE and ENTITY have no place in a WeChat message; refuse them before any parser sees them."""
    if _FORBIDDEN.search(body):
        abort(400, "XML with DOCTYPE or entities is refused")


def cdata_safe(text: str) -> str:
    """wechatpy puts reply text inside CDATA without escaping; user text echoed back could close it."""
    return text.replace("]]>", "]]]]><![CDATA[>")


# An openid or a WeCom userid: letters, digits and a few marks. Anything else (nested XML turns into a dict)
# is not a sender.
_USER = re.compile(r"[A-Za-z0-9_\-@.]{1,128}")
_LATEST = 4102444800  # 2100-01-01: a CreateTime beyond is garbage, not a time


def _text(value: Any, limit: int = 20000) -> str:
    """A field as text; nested XML (a dict from the parser) is no text at all."""
    return "" if isinstance(value, (dict, list)) else str(value or "")[:limit]


def _coordinate(value: Any, bound: float) -> float | None:
    try:
        number = float(_text(value) or "x")
    except ValueError:
        return None
    return number if math.isfinite(number) and -bound <= number <= bound else None


def to_incoming(channel: str, message: Any) -> Incoming:
    """A wechatpy message or event (WeChat or WeCom) as the engine's Incoming value; ValueError for what is
    not a message (no sender, a sender that is no id)."""
    data: dict[str, Any] = message._data  # wechatpy keeps the parsed fields here
    user = _text(data.get("FromUserName"))
    if not _USER.fullmatch(user):
        raise ValueError("message without a valid FromUserName")
    created_raw = _text(data.get("CreateTime"), 20) or "0"
    seconds = int(created_raw) if created_raw.isdecimal() and int(created_raw) < _LATEST else 0
    created = datetime.fromtimestamp(seconds, tz=UTC)
    msg_type = _text(data.get("MsgType"), 40).lower()
    msg_id = _text(data.get("MsgId"), 64)
    if msg_type == "event":
        event = _text(data.get("Event"), 60).lower()
        key = _text(data.get("EventKey"), 200)
        # Events have no MsgId: WeChat's retry repeats sender + CreateTime + Event.
        return Incoming(channel, user, f"event:{created_raw}:{event}:{key}", EVENT, created, event=event,
                        event_key=key, raw_type=msg_type)
    msg_key = msg_id or f"t:{created_raw}:{msg_type}"
    if msg_type == "text":
        return Incoming(channel, user, msg_key, TEXT, created, text=_text(data.get("Content")), raw_type=msg_type)
    if msg_type == "voice" and _text(data.get("Recognition")).strip():
        # Only where 语音识别 is on, and WeChat is retiring the field: used when present, never relied on.
        return Incoming(channel, user, msg_key, TEXT, created, text=_text(data.get("Recognition")).strip(),
                        raw_type=msg_type, voice=True)
    if msg_type == "image":
        return Incoming(channel, user, msg_key, IMAGE, created, media_id=_text(data.get("MediaId"), 256),
                        pic_url=_text(data.get("PicUrl"), 1024), raw_type=msg_type)
    if msg_type == "location":
        lat, lon = _coordinate(data.get("Location_X"), 90), _coordinate(data.get("Location_Y"), 180)
        if lat is None or lon is None:
            return Incoming(channel, user, msg_key, UNSUPPORTED, created, raw_type="bad_location")
        loc = Location(lat, lon, _text(data.get("Label"), 200))
        return Incoming(channel, user, msg_key, LOCATION, created, location=loc, raw_type=msg_type)
    return Incoming(channel, user, msg_key, UNSUPPORTED, created, raw_type=msg_type)


@dataclass
class _Job:
    """One message being handled; retries of it wait on the same job instead of running it again."""

    msg: Incoming
    # Held from creation until the engine is done: waiting for the answer is one acquire with a timeout (a
    # C-level lock, no Condition, no Future), and each waiter hands it straight back for the next.
    running: threading.Lock = field(default_factory=threading.Lock)
    lock: threading.Lock = field(default_factory=threading.Lock)  # guards the fields below
    waiters: int = 0
    finished: bool = False
    result: Any = None
    failed: BaseException | None = None
    settled: str = ""  # "passive" or "push": how the replies went out


_STOP = None  # what the engine threads read as "shut down"


def _job_key(msg: Incoming) -> tuple[str, str, str]:
    return msg.channel, msg.user_id, msg.msg_key


class Responder(Generic[T]):
    """Runs the engine under WeChat's 5-second limit: answer passively when it is done in time,
    otherwise answer "success" (which stops WeChat's retries) and push the answer when ready. T is what the
    engine answers (its replies, and whether they are private).

    The engine runs in threads of its own, so the request thread can answer at the deadline whatever the engine
    is doing. The hand-off is a SimpleQueue and one lock per job: measured against concurrent.futures (a Future,
    its Condition and a done-callback per message) it is the cheaper of the two (README, Benchmarks)."""

    KEEP_SETTLED = 60.0  # seconds a finished job still answers retries

    def __init__(self, handle: Callable[[Incoming], T], push: Callable[[Incoming, T], None],
                 timeout: float, workers: int = 16) -> None:
        self._handle = handle
        self._push = push
        self._timeout = timeout
        self._max_threads = workers
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._jobs: dict[tuple[str, str, str], _Job] = {}
        self._finished: deque[tuple[float, tuple[str, str, str]]] = deque()  # in order of finishing
        self._lock = threading.Lock()

    def respond(self, msg: Incoming) -> T | None:
        """The replies to send passively, or None when the answer will be pushed (or already was)."""
        key = _job_key(msg)
        with self._lock:
            self._forget_old()
            job = self._jobs.get(key)
            if job is None:
                # Counted as waiting before the work starts, so a fast engine never finds nobody waiting
                # and pushes what should be a passive reply.
                job = _Job(msg, waiters=1)
                job.running.acquire()
                self._jobs[key] = job
                self._start(job)
            else:
                with job.lock:
                    if job.settled == "push":
                        return None
                    if job.settled == "passive":
                        # WeChat retries only when our answer did not reach it: answer the same again.
                        return self._outcome(job)
                    job.waiters += 1
        if job.running.acquire(timeout=self._timeout):
            job.running.release()  # the next waiter (a retry of the same message) passes at once
        with job.lock:
            job.waiters -= 1
            if job.finished and job.settled != "push":
                job.settled = "passive"
                return self._outcome(job)
        return None

    def _start(self, job: _Job) -> None:
        """Queue the job (called under self._lock). The engine threads start with the first message, not with
        the app: a gunicorn worker forks after the app is built, and threads do not survive a fork."""
        if not self._threads:
            self._threads = [threading.Thread(target=self._run, name=f"engine-{n}", daemon=True)
                             for n in range(self._max_threads)]
            for thread in self._threads:
                thread.start()
        self._queue.put(job)

    def _run(self) -> None:
        while (job := self._queue.get()) is not _STOP:
            self._work(job)

    def _work(self, job: _Job) -> None:
        try:
            result, failed = self._handle(job.msg), None
        except Exception as exc:  # the engine answers its own errors; this is a bug in it
            result, failed = None, exc
        with self._lock:
            self._finished.append((time.monotonic(), _job_key(job.msg)))
        with job.lock:
            job.result, job.failed, job.finished = result, failed, True
            push = not (job.waiters or job.settled)
            if push:
                job.settled = "push"
        job.running.release()
        if failed is not None:
            log.error("engine job failed: %s", summary(failed, private=True))
        elif push and result:
            self._push(job.msg, result)

    @staticmethod
    def _outcome(job: _Job) -> Any:
        if job.failed is not None:
            raise job.failed
        return job.result

    def _forget_old(self) -> None:
        """Drop jobs finished long ago; the deque is in finishing order, so this is O(expired), not O(jobs)."""
        limit = time.monotonic() - self.KEEP_SETTLED
        while self._finished and self._finished[0][0] < limit:
            _, key = self._finished.popleft()
            self._jobs.pop(key, None)

    def shutdown(self) -> None:
        """Finish the queued jobs, then stop the engine threads."""
        with self._lock:
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(_STOP)
        for thread in threads:
            thread.join()


def split_for_passive(replies: list[str]) -> tuple[str, list[str]]:
    """One passive text (WeChat takes one per callback); what does not fit goes out as pushes."""
    if not replies:
        return "", []
    first, rest = replies[0], list(replies[1:])
    while rest and len((first + "\n\n" + rest[0]).encode()) <= PASSIVE_LIMIT_BYTES:
        first = first + "\n\n" + rest.pop(0)
    if len(first.encode()) > PASSIVE_LIMIT_BYTES:
        cut = first.encode()[:PASSIVE_LIMIT_BYTES].decode(errors="ignore")
        rest.insert(0, first[len(cut):])
        first = cut
    return first, rest


def answer(hb: Any, incoming: Incoming, render: Callable[[str], str]) -> Response:
    """Run the message through the engine and answer passively, or with "success" when it will be pushed."""
    started = time.perf_counter()
    outcome = hb.responder.respond(incoming)
    metrics.reply(incoming.channel, time.perf_counter() - started, passive=bool(outcome and outcome.replies))
    if outcome is None or not outcome.replies:
        return text_response("success")  # stops WeChat's retries; anything late is pushed
    first, rest = split_for_passive(outcome.replies)
    if rest:
        hb.push(incoming, replace(outcome, replies=rest))
    return xml_response(render(cdata_safe(first)))


def xml_response(body: str) -> Response:
    return Response(body, mimetype="application/xml")


def text_response(body: str) -> Response:
    return Response(body, mimetype="text/plain")
