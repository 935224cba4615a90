"""What the WeChat and WeCom webhooks share: guarding the body, turning parsed messages into
Incoming values, answering within WeChat's 5 seconds, and rendering replies safely."""
from __future__ import annotations

import functools
import logging
import re
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.parsers.expat import ExpatError

from flask import Response, abort

from handlers.messages import EVENT, IMAGE, LOCATION, TEXT, UNSUPPORTED, Incoming, Location

from .. import metrics

log = logging.getLogger(__name__)

_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# Errors wechatpy raises on bodies it cannot read; any of them means the caller sent garbage.
PARSE_ERRORS = (ValueError, ExpatError, KeyError, TypeError, AttributeError, IndexError, struct.error)
PASSIVE_LIMIT_BYTES = 2000  # WeChat's passive text limit is 2048 bytes; leave room for the envelope


def refuse_dangerous_xml(body: bytes) -> None:
    """DOCTYPE and ENTITY have no place in a WeChat message; refuse them before any parser sees them."""
    if _FORBIDDEN.search(body):
        abort(400, "XML with DOCTYPE or entities is refused")


def cdata_safe(text: str) -> str:
    """wechatpy puts reply text inside CDATA without escaping; user text echoed back could close it."""
    return text.replace("]]>", "]]]]><![CDATA[>")


def to_incoming(channel: str, message: Any) -> Incoming:
    """A wechatpy message or event (WeChat or WeCom) as the engine's Incoming value."""
    data: dict[str, Any] = message._data  # wechatpy keeps the parsed fields here
    user = str(data.get("FromUserName") or "")
    if not user:
        raise ValueError("message without FromUserName")
    created_raw = str(data.get("CreateTime") or "0")
    created = datetime.fromtimestamp(int(created_raw) if created_raw.isdecimal() else 0, tz=UTC)
    msg_type = str(data.get("MsgType") or "").lower()
    msg_id = str(data.get("MsgId") or "")
    if msg_type == "event":
        event = str(data.get("Event") or "").lower()
        key = str(data.get("EventKey") or "")
        # Events have no MsgId: WeChat's retry repeats sender + CreateTime + Event.
        return Incoming(channel, user, f"event:{created_raw}:{event}:{key}", EVENT, created, event=event,
                        event_key=key, raw_type=msg_type)
    msg_key = msg_id or f"t:{created_raw}:{msg_type}"
    if msg_type == "text":
        return Incoming(channel, user, msg_key, TEXT, created, text=str(data.get("Content") or ""), raw_type=msg_type)
    if msg_type == "image":
        return Incoming(channel, user, msg_key, IMAGE, created, media_id=str(data.get("MediaId") or ""),
                        pic_url=str(data.get("PicUrl") or ""), raw_type=msg_type)
    if msg_type == "location":
        loc = Location(float(data.get("Location_X") or 0), float(data.get("Location_Y") or 0),
                       str(data.get("Label") or ""))
        return Incoming(channel, user, msg_key, LOCATION, created, location=loc, raw_type=msg_type)
    return Incoming(channel, user, msg_key, UNSUPPORTED, created, raw_type=msg_type)


@dataclass
class _Job:
    """One message being handled; retries of it wait on the same job instead of running it again."""

    future: Future[list[str]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    waiters: int = 0
    settled: str = ""  # "passive" or "push": how the replies went out
    finished_at: float = 0.0


class Responder:
    """Runs the engine under WeChat's 5-second limit: answer passively when it is done in time,
    otherwise answer "success" (which stops WeChat's retries) and push the replies when ready."""

    KEEP_SETTLED = 60.0  # seconds a finished job still answers retries

    def __init__(self, handle: Callable[[Incoming], list[str]], push: Callable[[Incoming, list[str]], None],
                 timeout: float, workers: int = 16) -> None:
        self._handle = handle
        self._push = push
        self._timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="engine")
        self._jobs: dict[tuple[str, str, str], _Job] = {}
        self._finished: deque[tuple[float, tuple[str, str, str]]] = deque()  # in order of finishing
        self._lock = threading.Lock()

    def respond(self, msg: Incoming) -> list[str] | None:
        """The replies to send passively, or None when the answer will be pushed (or already was)."""
        key = (msg.channel, msg.user_id, msg.msg_key)
        new = False
        with self._lock:
            self._forget_old()
            job = self._jobs.get(key)
            if job is None:
                # Count this request as waiting before the work starts, so a fast engine
                # never finds nobody waiting and pushes what should be a passive reply.
                job = _Job(waiters=1)
                self._jobs[key] = job
                job.future = self._pool.submit(self._handle, msg)
                new = True
            else:
                with job.lock:
                    if job.settled == "push":
                        return None
                    if job.settled == "passive":
                        # WeChat retries only when our answer did not reach it: answer the same again.
                        return job.future.result()  # type: ignore[union-attr]
                    job.waiters += 1
        assert job.future is not None
        if new:
            # Outside self._lock: a job already finished runs the callback right here, and it takes that lock.
            job.future.add_done_callback(functools.partial(self._done, msg, job, key))
        try:
            job.future.result(timeout=self._timeout)
        except Exception:  # timeout; engine errors are answered inside the engine
            pass
        with job.lock:
            job.waiters -= 1
            if job.future.done() and job.settled != "push":
                job.settled = "passive"
                return job.future.result()
        return None

    def _done(self, msg: Incoming, job: _Job, key: tuple[str, str, str], _future: object = None) -> None:
        with self._lock:
            self._finished.append((time.monotonic(), key))
        with job.lock:
            job.finished_at = time.monotonic()
            if job.waiters or job.settled:
                return  # a waiting request takes the replies
            job.settled = "push"
        assert job.future is not None
        try:
            replies = job.future.result()
        except Exception:
            log.exception("engine job failed")
            return
        if replies:
            self._push(msg, replies)

    def _forget_old(self) -> None:
        """Drop jobs finished long ago; the deque is in finishing order, so this is O(expired), not O(jobs)."""
        limit = time.monotonic() - self.KEEP_SETTLED
        while self._finished and self._finished[0][0] < limit:
            _, key = self._finished.popleft()
            self._jobs.pop(key, None)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


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
    replies = hb.responder.respond(incoming)
    metrics.reply(incoming.channel, time.perf_counter() - started, passive=bool(replies))
    if not replies:
        return text_response("success")  # stops WeChat's retries; anything late is pushed
    first, rest = split_for_passive(replies)
    if rest:
        hb.push(incoming, rest)
    return xml_response(render(cdata_safe(first)))


def xml_response(body: str) -> Response:
    return Response(body, mimetype="application/xml")


def text_response(body: str) -> Response:
    return Response(body, mimetype="text/plain")
