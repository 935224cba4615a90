"""Delivering the outbox through the channels' push APIs, exactly once as far as it can be had.

A row is claimed (pending → sending, with a lease) in a committed transaction just before its API call, and
the outcome is written just after it — in the transaction that claims the thread's next row. Two senders never claim the same row (FOR UPDATE SKIP
LOCKED on PostgreSQL; SQLite has one writer). The access token is fetched before anything is claimed, so a
sender dying in a slow token fetch leaves nothing half-done. A sender that dies between the claim and the
outcome leaves a row that may or may not have arrived, and WeChat offers no way to ask. When its lease runs
out such a row is marked "unsure" and the admins are told, rather than sent a second time — unless its
channel drops a second copy itself (WeCom's duplicate check), in which case it is simply sent again.

Many pushes are in flight at once (scheduler.concurrency of them): an API call waits 50-200 ms for WeChat, so
one at a time sent 5-20 a second. One loop claims and records, a pool of threads sends: whenever some sends
have finished, their outcomes are written and as many rows as there are free slots claimed, in one
transaction. A push's database work is thus shared with the others of its batch (at 32 in flight, a few
pushes a transaction), and the statements are Core ones, built once: the ORM's bookkeeping per push cost more
CPU than the send. The claim protocol is unchanged, so batching changes nothing about exactly-once: each
claimed row is committed as "sending" before its API call and its outcome written after it. How fast an
account and a recipient may be written to is scheduler.pacing's.

What each channel's API accepts and what its error codes mean is the channel's business (bot/channels):
here a channel is a PushChannel, and a refusal is a PushFailed that says whether trying again can help.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Boolean, Connection, Engine, bindparam, case, func, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from storage.config import Config
from storage.failures import Outage, is_outage, summary
from storage.models import Outbox, Person, bound, table_of
from storage.outbox import enqueue
from storage.push_kinds import FAILURE_NOTICE
from storage.ratelimit import MemoryRateLimiter, RateLimiter

from .pacing import Pacer, RecipientLimit
from .quiet import in_quiet_hours, next_allowed

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30),
           timedelta(hours=2))
UNSURE_TEXT = "发送途中发送进程中断，对方可能已经收到；为免重复未自动重发"


@dataclass(frozen=True)
class Push:
    """What a sender needs of an outbox row, read in the transaction that claims it."""

    id: int
    channel: str
    recipient: str
    text: str
    rule: str
    template: dict[str, Any]
    attempts: int = 0  # tries before this one


@dataclass(frozen=True)
class Outcome:
    """What became of a claimed push, to be written to its row."""

    push_id: int
    status: str  # pending (to be tried again), sent, failed
    tried: bool = True  # counts as an attempt; a push held back by a rate limit was not tried
    sent_at: datetime | None = None
    last_error: str | None = None  # None: left as it was
    not_before: datetime | None = None  # None: left as it was

    @staticmethod
    def release(push_id: int, not_before: datetime) -> Outcome:
        """Given back unsent: pending again, no attempt counted."""
        return Outcome(push_id, "pending", tried=False, not_before=not_before)

    def params(self) -> dict[str, Any]:
        return {"o_id": self.push_id, "o_status": self.status, "o_tried": self.tried, "o_inc": int(self.tried),
                "o_settled": self.status != "pending", "o_sent_at": self.sent_at, "o_error": self.last_error,
                "o_not_before": self.not_before}


_OUTBOX = table_of(Outbox)
_PEOPLE = table_of(Person)


def _erased_if_reply(settled: Any = None) -> dict[str, Any]:
    """Values for settling a row: a late reply keeps neither its words nor its addressee once settled (it may
    be a tip's receipt code); any other push keeps both. `settled`: a condition for rows written by one
    statement whether settled or not (an outcome may put a row back to pending); None: the row is settled."""
    erase = _OUTBOX.c.reply if settled is None else settled & _OUTBOX.c.reply
    return {"text": case((erase, ""), else_=_OUTBOX.c.text), "recipient": case((erase, ""), else_=_OUTBOX.c.recipient)}


# One statement for every outcome, run for a batch of them at once (executemany: one round trip on psycopg).
# By id alone: this sender knows the outcome, even if its lease ran out meanwhile — except a release, which
# must not undo another sender's settling of a row whose lease ran out.
_OUTCOME = (update(_OUTBOX)
            .where(_OUTBOX.c.id == bindparam("o_id"),
                   or_(bindparam("o_tried", type_=Boolean()), _OUTBOX.c.status == "sending"))
            .values(status=bindparam("o_status"), claimed_until=None,
                    attempts=_OUTBOX.c.attempts + bindparam("o_inc"),
                    sent_at=func.coalesce(bindparam("o_sent_at", type_=_OUTBOX.c.sent_at.type), _OUTBOX.c.sent_at),
                    last_error=func.coalesce(bindparam("o_error", type_=_OUTBOX.c.last_error.type),
                                             _OUTBOX.c.last_error),
                    not_before=func.coalesce(bindparam("o_not_before", type_=_OUTBOX.c.not_before.type),
                                             _OUTBOX.c.not_before),
                    **_erased_if_reply(bindparam("o_settled", type_=Boolean()))))


def _claim_statement(quiet: bool) -> Any:
    """Take up to :n due rows, oldest first, skipping rows another sender is taking."""
    pick = (select(_OUTBOX.c.id).where(_OUTBOX.c.status == "pending", _OUTBOX.c.not_before <= bindparam("now"),
                                       _OUTBOX.c.channel.in_(bindparam("channels", expanding=True)))
            .order_by(_OUTBOX.c.id).limit(bindparam("n")).with_for_update(skip_locked=True))
    if quiet:
        pick = pick.where(_OUTBOX.c.rule == "")  # replies and notices still go; reminders wait
    # Picked once, in a materialized CTE: as a plain IN (subquery) the planner may run the subquery again for
    # each row it updates, and each run skips the rows the last one locked — claiming far more than n.
    picked = pick.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
    return (update(_OUTBOX).where(_OUTBOX.c.id.in_(select(picked.c.id)), _OUTBOX.c.status == "pending")
            .values(status="sending", claimed_at=bindparam("claimed_at"), claimed_until=bindparam("until"))
            .returning(_OUTBOX.c.id, _OUTBOX.c.channel, _OUTBOX.c.recipient, _OUTBOX.c.text, _OUTBOX.c.rule,
                       _OUTBOX.c.template, _OUTBOX.c.attempts))


# When each recipient last wrote (the customer-service window). A statement of its own: SQLite's RETURNING
# cannot hold a subquery correlated to the updated row (its columns are rendered unqualified there).
_LAST_INBOUND = select(_PEOPLE.c.channel, _PEOPLE.c.external_id, _PEOPLE.c.last_inbound_at).where(
    _PEOPLE.c.external_id.in_(bindparam("recipients", expanding=True)))

_CLAIM = {quiet: _claim_statement(quiet) for quiet in (False, True)}

# Once a send has finished, wait this long for more to finish before writing their outcomes and claiming
# again, or until a batch's worth have: fewer, larger transactions for a few milliseconds of an idle slot.
GATHER_SECONDS = 0.01


class PushFailed(Exception):
    """The channel refused a push. `why` is what the admins read (the API's code first, for searching its
    documentation); `permanent` when trying again cannot help (unsubscribed, bad template …)."""

    def __init__(self, why: str, *, permanent: bool) -> None:
        super().__init__(why)
        self.why = why
        self.permanent = permanent


class PushChannel(Protocol):
    """One channel's way of sending a push."""

    # A copy sent again within this window is dropped by the channel itself, so a push interrupted mid-send
    # may simply be sent again; None: it may not, a second copy would arrive.
    resend_window: timedelta | None

    def prepare(self) -> None:
        """Fetch what sending needs (the access token) before any row is claimed; raises when it cannot."""

    def send(self, push: Push, last_inbound: datetime | None, now: datetime) -> str:
        """Send one push; returns how it went out ("kf", "template", "subscribe", "app"); raises PushFailed when refused
        and any other exception for network trouble (retried with backoff)."""


class DeliveryObserver(Protocol):
    """Told of each push's outcome (the app's metrics); the sender works the same without one."""

    def sent(self, channel: str, how: str, seconds: float) -> None: ...

    def refused(self, channel: str, code: str, permanent: bool) -> None: ...


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    deferred: int
    unsure: int = 0


class OutboxSender:
    def __init__(self, sessions: sessionmaker[Session], senders: Mapping[str, PushChannel], config: Config,
                 clock: Callable[[], datetime], *, concurrency: int = 1, limiter: RateLimiter | None = None,
                 observer: DeliveryObserver | None = None) -> None:
        """concurrency: pushes in flight at once (the scheduler uses scheduler.concurrency; a web worker's
        late replies go one at a time). limiter: the recipients' counters, shared through Redis when given."""
        self._sessions = sessions
        self._engine: Engine = sessions.kw["bind"]
        self._senders = senders
        self._config = config
        self._clock = clock
        self._lease = timedelta(seconds=config.scheduler.lease_seconds)
        self._stopping = threading.Event()
        self._concurrency = max(1, concurrency)
        sc = config.scheduler
        self._pacer = Pacer(sc.per_minute, {"wecom": RecipientLimit(sc.wecom_member_per_minute,
                                                                    sc.wecom_member_per_hour)},
                            limiter or MemoryRateLimiter(), config.secret_key())
        self._observer = observer

    def stop(self) -> None:
        """Finish the pushes in hand and send no more: a clean shutdown leaves nothing unsure."""
        self._stopping.set()

    def deliver_pending(self, limit: int | None = None) -> Delivery:
        """Send what is due, `concurrency` at a time, until nothing is left (or `limit` pushes were tried)."""
        now = self._clock()
        unsure = self._settle_abandoned(now)
        channels = [name for name, sender in self._senders.items() if self._ready(name, sender)]
        quiet = in_quiet_hours(now, self._config)
        counts = {"sent": 0, "failed": 0, "deferred": 0}
        failed_ids: list[int] = []
        left = limit  # pushes still to try; None: no cap
        finished: queue.SimpleQueue[Future[tuple[str, int, Outcome]]] = queue.SimpleQueue()
        in_flight = 0
        outcomes: list[Outcome] = []  # written with the next claim, or alone at the end
        draining = not channels  # nothing more to claim: only the sends in flight are waited for
        pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix="push")
        try:
            while True:
                free = 0 if draining or self._stopping.is_set() else self._concurrency - in_flight
                if left is not None:
                    free = min(free, left)
                if free:
                    claimed = self._claim(channels, quiet, self._clock(), outcomes, free)
                    outcomes = []  # written by the claim's commit
                    if len(claimed) < free:
                        draining = True  # the queue is empty (or the rest is another sender's)
                    if left is not None:
                        left -= len(claimed)
                    for push, last, at in claimed:
                        pool.submit(self._send, push, last, at).add_done_callback(finished.put)
                        in_flight += 1
                if not in_flight:
                    break
                for future in self._gather(finished, in_flight):
                    in_flight -= 1
                    what, row_id, outcome = future.result()
                    outcomes.append(outcome)
                    counts[what] += 1
                    if what == "failed":
                        failed_ids.append(row_id)
        finally:
            # Whatever happened, the sends in flight finish and every known outcome is written.
            pool.shutdown(wait=True)
            while not finished.empty():
                future = finished.get()
                if future.exception() is None:
                    outcomes.append(future.result()[2])
            if outcomes:
                self._record(outcomes)
        if unsure or failed_ids:
            self._tell_admins(unsure + failed_ids, now)
        return Delivery(counts["sent"], counts["failed"], counts["deferred"], len(unsure))

    def _gather(self, finished: queue.SimpleQueue[Future[tuple[str, int, Outcome]]],
                in_flight: int) -> list[Future[tuple[str, int, Outcome]]]:
        """Wait for a send to finish, then briefly for a batch's worth more (an eighth of the slots)."""
        batch = [finished.get()]
        want = min(in_flight, max(1, self._concurrency // 8))
        deadline = time.monotonic() + GATHER_SECONDS
        while len(batch) < want:
            try:
                batch.append(finished.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        while len(batch) < in_flight:  # and whatever else is already there
            try:
                batch.append(finished.get_nowait())
            except queue.Empty:
                break
        return batch

    def _ready(self, name: str, sender: Any) -> bool:
        try:
            sender.prepare()
            return True
        except Exception as exc:  # WeChat unreachable or the credentials refused: claim nothing for it
            log.warning("no access token for %s, its pushes wait: %s", name, str(exc)[:200])
            return False

    def _settle_abandoned(self, now: datetime) -> list[int]:
        """Rows whose sender died mid-send: WeCom's are sent again (it drops the copy), the rest are unsure."""
        unsure: list[int] = []
        with self._sessions.begin() as session:
            rows = session.execute(select(Outbox.id, Outbox.channel, Outbox.claimed_at, Outbox.rule).where(
                Outbox.status == "sending", Outbox.claimed_until < now)).all()
            for row_id, channel, claimed_at, rule in rows:
                window = getattr(self._senders.get(channel), "resend_window", None)
                # A minute's margin: the copy must reach the channel well inside its duplicate window.
                if window is not None and claimed_at is not None and claimed_at > now - window + timedelta(minutes=1):
                    values: dict[str, Any] = {"status": "pending", "claimed_until": None}
                else:
                    values = {"status": "unsure", "claimed_until": None, "last_error": UNSURE_TEXT}
                    values.update(_erased_if_reply())
                settled = session.execute(update(Outbox).where(Outbox.id == row_id, Outbox.status == "sending")
                                          .values(**values))
                # Another sender may have settled it first; only the one that did tells the admins.
                if getattr(settled, "rowcount", 0) == 1 and values["status"] == "unsure" and rule != FAILURE_NOTICE:
                    unsure.append(row_id)
        if unsure:
            log.warning("%d pushes were interrupted mid-send and are marked unsure: %s", len(unsure), unsure)
        return unsure

    def _claim(self, channels: list[str], quiet: bool, now: datetime, outcomes: list[Outcome],
               n: int) -> list[tuple[Push, datetime | None, datetime]]:
        """Record the outcomes of finished pushes and claim up to n more, in one transaction. The claim must be
        durable (a claim lost in a database crash after its push went out would send it again), so this
        commit waits for the WAL flush."""
        with self._engine.begin() as conn:
            self._write_outcomes(conn, outcomes)
            rows = sorted(conn.execute(_CLAIM[quiet], {"now": now, "channels": channels, "n": n,
                                                       "claimed_at": now, "until": now + self._lease}).all())
            last = {(channel, person): at for channel, person, at in conn.execute(
                _LAST_INBOUND, {"recipients": sorted({row.recipient for row in rows})})} if rows else {}
        return [(Push(row_id, channel, recipient, body, rule, template, attempts), last.get((channel, recipient)), now)
                for row_id, channel, recipient, body, rule, template, attempts in rows]

    @staticmethod
    def _write_outcomes(conn: Connection, outcomes: list[Outcome]) -> None:
        if outcomes:
            conn.execute(_OUTCOME, [outcome.params() for outcome in outcomes])

    def _send(self, push: Push, last: datetime | None, now: datetime) -> tuple[str, int, Outcome]:
        """Send a claimed push: what happened, its id, and the outcome to record."""
        wait = self._pacer.recipient(push.channel, push.recipient)
        if wait or not self._pacer.account(push.channel, self._stopping.is_set):
            # Over a limit (or stopping while waiting for the account's): not sent, so nothing is in doubt.
            return "deferred", push.id, Outcome.release(push.id, now + timedelta(seconds=wait))
        # From the claim's commit until the outcome is written, a crash leaves this row in doubt.
        started = time.monotonic()
        try:
            how = self._senders[push.channel].send(push, last, now)
        except PushFailed as exc:
            if self._observer is not None:
                self._observer.refused(push.channel, exc.why.split(" ", 1)[0], exc.permanent)
            if exc.permanent:
                return "failed", push.id, self._fail(push, exc.why)
            return self._retry(push, exc.why, now)
        except Exception as exc:  # network trouble: try again later
            if self._observer is not None:
                self._observer.refused(push.channel, "network", False)
            return self._retry(push, f"网络错误 {type(exc).__name__}: {exc}"[:300], now)
        if self._observer is not None:
            self._observer.sent(push.channel, how, time.monotonic() - started)
        return "sent", push.id, Outcome(push.id, "sent", sent_at=now, last_error={
            "template": "已改用模板消息发送", "subscribe": "已改用订阅通知发送"}.get(how, ""))

    def _record(self, outcomes: list[Outcome]) -> None:
        """The last outcomes of a run, with no claim after them."""
        with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # No claim in this transaction: an outcome lost with a database crash leaves the row
                # "sending", which ends unsure or, on WeCom, deduplicated — never sent twice.
                conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            self._write_outcomes(conn, outcomes)

    def _fail(self, push: Push, why: str) -> Outcome:
        log.warning("push %s failed for good: %s", push.id, why[:100])
        return Outcome(push.id, "failed", last_error=why[:500])

    def _retry(self, push: Push, why: str, now: datetime) -> tuple[str, int, Outcome]:
        if push.attempts + 1 >= MAX_ATTEMPTS:
            return "failed", push.id, self._fail(push, why)
        wait = now + BACKOFF[min(push.attempts + 1, len(BACKOFF)) - 1]
        return "deferred", push.id, Outcome(push.id, "pending", last_error=why[:500],
                                            not_before=next_allowed(wait, self._config) if push.rule else wait)

    def _tell_admins(self, row_ids: list[int], now: datetime) -> None:
        """One notice per run to each admin, held in quiet hours like any reminder."""
        with self._sessions.begin() as session:
            rows = session.execute(select(Outbox.id, Outbox.status).where(
                Outbox.id.in_(row_ids), Outbox.rule != FAILURE_NOTICE)).all()
            if not rows:
                return
            counts = Counter(status for _, status in rows)
            parts = [f"{counts['failed']} 条发送失败" if counts.get("failed") else "",
                     f"{counts['unsure']} 条状态不明（发送中断，对方可能已收到）" if counts.get("unsure") else ""]
            # The numbers make each notice's text its own: two senders telling of one push each would
            # otherwise send the same words, and WeCom's duplicate check drops the second.
            named = sorted(row_id for row_id, _ in rows)
            numbers = "、".join(str(i) for i in named[:10]) + (" 等" if len(named) > 10 else "")
            text = (f"【推送异常】有 {sum(counts.values())} 条消息没有确认送达：{'，'.join(p for p in parts if p)}"
                    f"（编号 {numbers}）。\n发送「发送失败」查看明细，「重发 编号」补发。")
            admins = session.execute(select(Person.channel, Person.external_id).where(Person.role == "admin", bound())).all()
            for channel, recipient in admins:
                enqueue(session, channel=channel, recipient=recipient, text=text, now=now, rule=FAILURE_NOTICE,
                        dedup_key=f"{FAILURE_NOTICE}:{max(row_ids)}:{channel}:{recipient}")


class PushWorker:
    """A background thread that delivers the outbox as soon as something is queued, and retries
    every `interval` seconds. Started on first use, so tests and CLI commands start no thread."""

    def __init__(self, sender: Any, interval: float = 30.0) -> None:
        self._sender = sender
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._outage = Outage(logger=log)

    def kick(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="push-worker", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self._sender.deliver_pending()
                self._outage.recovered()
            except Exception as exc:
                if is_outage(exc):
                    self._outage.failed(exc)  # a line a minute, however often it retries
                else:
                    log.error("outbox delivery failed: %s", summary(exc))

    def stop(self) -> None:
        self._sender.stop()  # the push in hand is finished, the rest wait for the next start
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
