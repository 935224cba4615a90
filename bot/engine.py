"""The engine: one incoming message in, the replies out, in one transaction.

dedup -> load the person and their conversation -> where it goes (bot.routing) -> save; conflicts with a
twin or another message of the same person start over, a lost connection is retried once, an outage is said.

Anonymous tips are private (the intent table says which intents are): a message that starts, continues or
follows up a tip leaves nothing in the database that names its sender — its draft, its dedup record and any
late reply live in the private store (storage.ephemeral: memory, or Redis without persistence), its sender's
"last seen" is not updated, and a late reply goes out as a pointer without content.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from handlers.base import Context
from handlers.messages import EVENT, TEXT, Incoming
from storage.conversations import Arrival, Conversations
from storage.dedup import DedupStore, message_key
from storage.ephemeral import private_key, version_of
from storage.failures import Outage, is_outage, summary
from storage.housekeeping import DEDUP_RETENTION
from storage.numbers import fill_numbers
from storage.outcome import MessageWrites
from storage.prepared import without_begin

from . import metrics
from .routing import Router, Turn
from .services import Services

log = logging.getLogger(__name__)

# Events that never get an answer and are too frequent to record (WeCom reports location every 5 s); the
# menu's photo, scan and location buttons are followed by the message itself.
SILENT_EVENTS = frozenset({"location", "view", "unsubscribe", "view_miniprogram", "enter_agent",
                           "templatesendjobfinish", "masssendjobfinish", "scancode_push", "scancode_waitmsg",
                           "pic_sysphoto", "pic_photo_or_album", "pic_weixin", "location_select"})
# The stored copy of a reply that held a one-time secret: a receipt code, an invite code, a login link.
REDACTED_TEXT = "（这条回复含只显示一次的查询码、邀请码或登录链接，为安全不再重复显示；登录链接可重新发送「登录后台」获取。）"
ERROR_TEXT = "抱歉，系统刚才出了点问题，您的消息没有处理。请稍后再发一次。"
# When even the record of what was done cannot be read, nobody can say whether it was: say only that.
UNAVAILABLE_TEXT = "系统维护中，请稍后再发。"
# A late reply of a private message is never queued with its content: the person fetches it.
LATE_POINTER = "您刚才发送的内容已处理完毕。回复「取回」查看结果（10 分钟内有效）。"
FETCH_WORDS = frozenset({"取回", "取回结果", "查看结果"})
LATE_TTL = 600.0
MAX_ATTEMPTS = 5  # conflicts are one person's messages racing each other: a few retries settle them
# WeChat's 48-hour customer-service window is what last_inbound_at is for: a minute's staleness does not
# matter, and writing the person's row on every message would.
INBOUND_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Outcome:
    replies: list[str]
    private: bool = False  # of an anonymous tip: a late reply is a pointer, never the content


class Engine:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.conversations = Conversations(services.engine.dialect)
        self.dedup = DedupStore(services.engine.dialect)
        self.writes = MessageWrites(services.engine.dialect)
        self.router = Router(services)
        # A database that is down: one log line a minute, and people answered at once instead of each
        # message waiting on it.
        self.outage = Outage()

    def handle(self, msg: Incoming) -> list[str]:
        return self.answer(msg).replies

    def answer(self, msg: Incoming) -> Outcome:
        outcome = self._answer(msg)
        if msg.voice and outcome.replies:
            # Say what was heard: a misheard word should be visible before anything is done with it.
            heard = f"（语音：{msg.text[:60]}）"
            return replace(outcome, replies=[heard + "\n" + outcome.replies[0], *outcome.replies[1:]])
        return outcome

    def _answer(self, msg: Incoming) -> Outcome:
        if msg.kind == EVENT and msg.event in SILENT_EVENTS:
            return Outcome([])
        secret, private = self.services.secret, self.services.private
        key = message_key(secret, msg.channel, msg.user_id, msg.msg_key)
        draft_key = private_key(secret, "draft", msg.channel, msg.user_id)
        # Both read at once: one round trip to Redis for every message. The draft is read again on a retry below.
        kept, draft = private.get_many("dedup:" + key, draft_key)
        if kept is not None:
            return Outcome(list(kept), private=True)
        if msg.kind == TEXT and msg.text.strip() in FETCH_WORDS:
            late = private.pop(private_key(secret, "late", msg.channel, msg.user_id))
            if late is not None:
                return Outcome(list(late), private=True)
        if self.outage.skip():
            return Outcome([UNAVAILABLE_TEXT])
        reconnected = False
        turn: Turn | None = None
        for attempt in range(MAX_ATTEMPTS):
            try:
                # A Core connection, not a Session: most messages need no ORM object (Context.session).
                with self.services.engine.begin() as conn:
                    arrival = self.conversations.arrive(conn, key, msg.channel, msg.user_id)
                    if arrival.stored is not None:
                        metrics.message(msg.channel, msg.kind, "retry")
                        self.outage.recovered()
                        return Outcome(arrival.stored)
                    turn = Turn(draft_key, draft if attempt == 0 else private.get(draft_key))
                    replies, sensitive, seen = self._dispatch(conn, msg, arrival, turn)
                    kept_replies = [REDACTED_TEXT] if sensitive else replies
                    if turn.private:
                        # Nothing of this message in the database: its dedup record goes with the draft, at
                        # once, and only if no copy of it moved the draft on meanwhile (then start over). The
                        # database only loses the conversation row a tip replaced, if there was one.
                        turn.writes["dedup:" + key] = (kept_replies, DEDUP_RETENTION.total_seconds())
                        with without_begin(conn):
                            self.writes.write_conversation(conn, arrival.conversation, self.services.clock())
                        if not private.swap(draft_key, version_of(turn.draft), turn.writes):
                            raise StaleDataError("a copy of this private message was handled meanwhile")
                    else:
                        # A retry of a sensitive answer (an invite code) gets a redacted copy from the database;
                        # a retry within this process is answered from memory by the Responder. One statement;
                        # on its own (no BEGIN, no COMMIT) when the handlers ran none (storage.outcome).
                        with without_begin(conn):
                            self.writes.write(conn, arrival.conversation, seen, key, kept_replies,
                                              self.services.clock())
                self.outage.recovered()
                if turn.private:
                    # Whatever the tip wrote (or deleted) leaves the SQLite WAL within the second.
                    self.services.forget_private_traces()
                metrics.message(msg.channel, msg.kind, turn.intent)
                return Outcome(replies, private=turn.private)
            except (IntegrityError, StaleDataError):
                # A retry of this message, or another message of the same person, committed first:
                # start over from the committed state.
                continue
            except DBAPIError as exc:
                # The database dropped the connection (a restart, a failover): nothing was committed, or the
                # dedup record was and the next attempt finds it. Once, on a fresh connection.
                if exc.connection_invalidated and not reconnected and not self.outage.down:
                    reconnected = True
                    log.warning("database connection lost; retrying a %s message once", msg.kind)
                    continue
                if is_outage(exc):
                    # Nobody can tell now whether a twin of this message was done: say only that.
                    self.outage.failed(exc)
                    metrics.engine_error(msg.channel)
                    return Outcome([UNAVAILABLE_TEXT])
                log.error("engine failed on a %s message from channel %s: %s", msg.kind, msg.channel,
                          summary(exc))
                metrics.engine_error(msg.channel)
                break
            except Exception as exc:
                # Never the text of a tip: the kind, channel and traceback are enough to find the bug.
                log.error("engine failed on a %s message from channel %s: %s", msg.kind, msg.channel,
                          summary(exc, private=turn is None or turn.private or turn.draft is not None))
                metrics.engine_error(msg.channel)
                break
        # Nothing of this attempt was written. A twin of this message (WeChat's retry on another worker) may
        # have been: then its reply is the answer, never "not processed".
        kept = private.get("dedup:" + key)
        if kept is not None:
            return Outcome(list(kept), private=True)
        try:
            with self.services.engine.connect() as conn:
                stored = self.dedup.lookup(conn, key)
        except Exception as exc:
            if is_outage(exc):
                self.outage.failed(exc)
            else:
                log.warning("dedup record unreadable after a failed message from channel %s: %s", msg.channel,
                            summary(exc).splitlines()[0])
            return Outcome([UNAVAILABLE_TEXT])
        return Outcome(stored if stored is not None else [ERROR_TEXT])

    def hold_late(self, msg: Incoming, replies: list[str]) -> str:
        """A private message's replies that missed WeChat's 5 seconds: kept for 取回; the push is a pointer."""
        self.services.private.put(private_key(self.services.secret, "late", msg.channel, msg.user_id), replies,
                                  LATE_TTL)
        return LATE_POINTER

    # -- one message ---------------------------------------------------------------------------

    def _dispatch(self, conn: Connection, msg: Incoming, arrival: Arrival,
                  turn: Turn) -> tuple[list[str], bool, int | None]:
        """The replies, whether they are sensitive, and the sender whose last-message time is due a write."""
        ctx = Context(conn, msg.channel, msg.user_id, arrival.sender, self.services.now(), self.services)
        try:
            replies = self.router.route(ctx, arrival.conversation, msg, turn)
            numbers = ctx.finish()
        finally:
            ctx.close()
        if numbers:
            # The records' numbers were given last (storage.numbers): into what this message says and keeps.
            replies = [fill_numbers(text, numbers) for text in replies]
            slot = arrival.conversation
            slot.state = fill_numbers(slot.state, numbers)
            turn.writes = {key: (fill_numbers(value, numbers), ttl) for key, (value, ttl) in turn.writes.items()}
        # Not for a private message: when a person last wrote would date their tip.
        seen = None
        if arrival.sender is not None and msg.kind != EVENT and not turn.private:
            now = self.services.clock()
            if arrival.last_inbound_at is None or now - arrival.last_inbound_at >= INBOUND_RESOLUTION:
                seen = arrival.sender.person_id
        return replies, ctx.sensitive, seen
