"""Delivering the outbox through WeChat and WeCom, within their rules.

- Official Account: a customer-service message while the person wrote within 48 hours; otherwise the
  rule's template message (certified 服务号); 45015 ("response out of time limit") falls back to the template.
- WeCom: an app message (no 48-hour window), sent with WeCom's duplicate check on.
- Rate limits (45009, 45011 …) retry with backoff, and so does 45047 (customer-service quota used up) for a
  rule without a template; 43004 (unsubscribed), 40003 (bad openid),
  40037 (bad template) and the like fail for good, and the admins are told.

Exactly once, as far as it can be had. A row is claimed (pending → sending, with a lease) in its own
committed transaction just before its API call, and the outcome is written just after it. Two senders never
claim the same row (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer). The access token is
fetched before anything is claimed, so a sender dying in a slow token fetch leaves nothing half-done.
A sender that dies between the claim and the outcome leaves a row that may or may not have reached WeChat,
and WeChat offers no way to ask. When its lease runs out such a row is marked "unsure" and the admins are
told, rather than sent a second time; WeCom rows are the exception, as WeCom's duplicate check drops a
second copy of the same text within 30 minutes, so those are sent again.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.exceptions import WeChatClientException

from storage.config import Config
from storage.models import Outbox, Person

from .outbox import enqueue
from .quiet import in_quiet_hours, next_allowed

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=48)
MAX_ATTEMPTS = 6
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30),
           timedelta(hours=2))
KF_QUOTA = 45047  # 20 customer-service messages since the person last wrote
OUTSIDE_WINDOW = {45015, KF_QUOTA}  # no customer-service message possible now: use the template
PERMANENT = {43004, 40003, 40037, 43101, 40036, 46004, 60111, 81013, 40031}
# WeCom drops a message identical to one sent to the same member within this many seconds (its maximum is 4 h).
WECOM_DUPLICATE_CHECK = 1800
UNSURE_TEXT = "发送途中发送进程中断，对方可能已经收到；为免重复未自动重发"
# What the admins read in 「发送失败」: the code stays first, for searching WeChat's documentation.
ERROR_LABELS = {
    43004: "对方已取消关注", 40003: "openid 无效（不是本公众号的用户）", 40037: "模板 ID 无效",
    43101: "对方拒收订阅消息", 40036: "模板 ID 无效", 46004: "企业微信成员不存在", 60111: "企业微信成员不存在",
    81013: "企业微信成员不在应用可见范围", 40031: "接收人列表无效", 45009: "接口调用超过当日限额",
    45011: "调用太频繁", 45033: "调用太频繁", 45035: "IP 不在白名单", 45047: "客服消息超过条数限制",
}
# The rule of the notice that tells admins about failed pushes; its own failures tell nobody.
FAILURE_NOTICE = "push_failed"


class PermanentFailure(Exception):
    pass


@dataclass(frozen=True)
class Push:
    """What a sender needs of an outbox row, read in the transaction that claims it."""

    id: int
    channel: str
    recipient: str
    text: str
    rule: str
    template: dict[str, Any]


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    deferred: int
    unsure: int = 0


def _code(exc: Exception) -> int | None:
    return getattr(exc, "errcode", None)


class WeChatSender:
    def __init__(self, client: Any, templates: dict[str, str]) -> None:
        self.client = client
        self.templates = templates

    def prepare(self) -> None:
        self.client.access_token  # noqa: B018 - fetches the token now if it is missing or expired

    def send(self, push: Push, last_inbound: datetime | None, now: datetime) -> str:
        if last_inbound is not None and now - last_inbound < WINDOW:
            try:
                self.client.message.send_text(push.recipient, push.text)
                return "kf"
            except WeChatClientException as exc:
                if _code(exc) not in OUTSIDE_WINDOW:
                    raise
                if _code(exc) == KF_QUOTA and not self.templates.get(push.rule):
                    raise  # retried with backoff: once the person writes again the quota starts afresh
        template_id = self.templates.get(push.rule)
        if not template_id:
            raise PermanentFailure(f"对方超过 48 小时没有发消息，且没有配置模板消息"
                                   f"（scheduler.templates.{push.rule or '（回复）'}）")
        fields = push.template or {}
        data = {"first": {"value": fields.get("title", "提醒")}, "keyword1": {"value": push.text[:200]},
                "keyword2": {"value": fields.get("deadline", "")}, "remark": {"value": "回复「收到」确认。"}}
        self.client.message.send_template(push.recipient, template_id, data)
        return "template"


class WeComSender:
    def __init__(self, client: Any, agent_id: str) -> None:
        self.client = client
        self.agent_id = agent_id

    def prepare(self) -> None:
        self.client.access_token  # noqa: B018 - fetches the token now if it is missing or expired

    def send(self, push: Push, last_inbound: datetime | None, now: datetime) -> str:
        self.client.message.send(self.agent_id, push.recipient, msg={
            "msgtype": "text", "text": {"content": push.text},
            "enable_duplicate_check": 1, "duplicate_check_interval": WECOM_DUPLICATE_CHECK})
        return "app"


def channel_senders(config: Config, redis_client: Any = None) -> dict[str, Any]:
    from bot.channels.clients import wechat_client, wecom_client

    out: dict[str, Any] = {}
    wechat = wechat_client(config, redis_client)
    if wechat is not None:
        out["wechat"] = WeChatSender(wechat, config.scheduler.templates)
    wecom = wecom_client(config, redis_client)
    if wecom is not None:
        out["wecom"] = WeComSender(wecom, config.wecom.agent_id)
    return out


class OutboxSender:
    def __init__(self, sessions: sessionmaker[Session], senders: dict[str, Any], config: Config,
                 clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._senders = senders
        self._config = config
        self._clock = clock
        self._lease = timedelta(seconds=config.scheduler.lease_seconds)
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Finish the push in hand and send no more: a clean shutdown leaves nothing unsure."""
        self._stopping.set()

    def deliver_pending(self, limit: int | None = None) -> Delivery:
        sc = self._config.scheduler
        # per_minute is a rate: a run every deliver_seconds may send its share of it.
        limit = limit or max(1, sc.per_minute * sc.deliver_seconds // 60)
        now = self._clock()
        unsure = self._settle_abandoned(now)
        channels = [name for name, sender in self._senders.items() if self._ready(name, sender)]
        quiet = in_quiet_hours(now, self._config)
        counts = {"sent": 0, "failed": 0, "deferred": 0}
        failed_ids: list[int] = []
        for _ in range(limit):
            if self._stopping.is_set() or not channels:
                break
            outcome, row_id = self._one(channels, quiet)
            if outcome == "none":
                break
            counts[outcome] += 1
            if outcome == "failed":
                failed_ids.append(row_id)
        if unsure or failed_ids:
            self._tell_admins(unsure + failed_ids, now)
        return Delivery(counts["sent"], counts["failed"], counts["deferred"], len(unsure))

    def _ready(self, name: str, sender: Any) -> bool:
        try:
            sender.prepare()
            return True
        except Exception as exc:  # WeChat unreachable or the credentials refused: claim nothing for it
            log.warning("no access token for %s, its pushes wait: %s", name, str(exc)[:200])
            return False

    def _settle_abandoned(self, now: datetime) -> list[int]:
        """Rows whose sender died mid-send: WeCom's are sent again (it drops the copy), the rest are unsure."""
        resend_after = now - timedelta(seconds=WECOM_DUPLICATE_CHECK) + timedelta(minutes=1)
        unsure: list[int] = []
        with self._sessions.begin() as session:
            rows = session.execute(select(Outbox.id, Outbox.channel, Outbox.claimed_at, Outbox.rule).where(
                Outbox.status == "sending", Outbox.claimed_until < now)).all()
            for row_id, channel, claimed_at, rule in rows:
                if channel == "wecom" and claimed_at is not None and claimed_at > resend_after:
                    values: dict[str, Any] = {"status": "pending", "claimed_until": None}
                else:
                    values = {"status": "unsure", "claimed_until": None, "last_error": UNSURE_TEXT}
                    values.update(_erased_if_reply(session, row_id))
                settled = session.execute(update(Outbox).where(Outbox.id == row_id, Outbox.status == "sending")
                                          .values(**values))
                # Another sender may have settled it first; only the one that did tells the admins.
                if settled.rowcount == 1 and values["status"] == "unsure" and rule != FAILURE_NOTICE:
                    unsure.append(row_id)
        if unsure:
            log.warning("%d pushes were interrupted mid-send and are marked unsure: %s", len(unsure), unsure)
        return unsure

    def _claim(self, channels: list[str], quiet: bool, now: datetime) -> tuple[Push, datetime | None] | None:
        with self._sessions.begin() as session:
            pick = (select(Outbox.id).where(Outbox.status == "pending", Outbox.not_before <= now,
                                            Outbox.channel.in_(channels))
                    .order_by(Outbox.id).limit(1).with_for_update(skip_locked=True))
            if quiet:
                pick = pick.where(Outbox.rule == "")  # replies and notices still go; reminders wait
            row = session.execute(
                update(Outbox).where(Outbox.id == pick.scalar_subquery(), Outbox.status == "pending")
                .values(status="sending", claimed_at=now, claimed_until=now + self._lease)
                .returning(Outbox.id, Outbox.channel, Outbox.recipient, Outbox.text, Outbox.rule, Outbox.template)
            ).first()
            if row is None:
                return None
            push = Push(*row)
            last = session.scalar(select(Person.last_inbound_at).where(
                Person.channel == push.channel, Person.external_id == push.recipient))
        return push, last

    def _one(self, channels: list[str], quiet: bool) -> tuple[str, int]:
        now = self._clock()
        claimed = self._claim(channels, quiet, now)
        if claimed is None:
            return "none", 0
        push, last = claimed
        # From the commit above until the outcome below is written, a crash leaves this row in doubt.
        try:
            how = self._senders[push.channel].send(push, last, now)
        except PermanentFailure as exc:
            return self._fail(push, str(exc)), push.id
        except WeChatClientException as exc:
            code = _code(exc)
            why = f"{code} {ERROR_LABELS.get(code or 0, exc.errmsg)}"
            if code in PERMANENT:
                return self._fail(push, why), push.id
            return self._retry(push, why, now), push.id
        except Exception as exc:  # network trouble: try again later
            return self._retry(push, f"网络错误 {type(exc).__name__}: {exc}"[:300], now), push.id
        self._settle(push, status="sent", sent_at=now, claimed_until=None,
                     last_error="" if how != "template" else "已改用模板消息发送")
        return "sent", push.id

    def _settle(self, push: Push, **values: Any) -> None:
        with self._sessions.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                # The claim was durable; an outcome lost with a database crash leaves the row "sending",
                # which ends unsure or, on WeCom, deduplicated: never sent twice. So this commit need not
                # wait for its WAL flush, which was half of each push's time.
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            if values.get("status") != "pending":
                values.update(_erased_if_reply(session, push.id))
            # By id alone: this sender knows the outcome, even if its lease ran out meanwhile.
            session.execute(update(Outbox).where(Outbox.id == push.id)
                            .values(attempts=Outbox.attempts + 1, **values))

    def _fail(self, push: Push, why: str) -> str:
        self._settle(push, status="failed", last_error=why[:500], claimed_until=None)
        log.warning("push %s failed for good: %s", push.id, why[:100])
        return "failed"

    def _retry(self, push: Push, why: str, now: datetime) -> str:
        with self._sessions() as session:
            attempts = (session.scalar(select(Outbox.attempts).where(Outbox.id == push.id)) or 0) + 1
        if attempts >= MAX_ATTEMPTS:
            return self._fail(push, why)
        wait = now + BACKOFF[min(attempts, len(BACKOFF)) - 1]
        self._settle(push, status="pending", claimed_until=None, last_error=why[:500],
                     not_before=next_allowed(wait, self._config) if push.rule else wait)
        return "deferred"

    def _tell_admins(self, row_ids: list[int], now: datetime) -> None:
        """One notice per run to each admin, held in quiet hours like any reminder."""
        with self._sessions.begin() as session:
            rows = session.execute(select(Outbox.status, func.count()).where(
                Outbox.id.in_(row_ids), Outbox.rule != FAILURE_NOTICE).group_by(Outbox.status)).all()
            counts = dict(rows)
            if not counts:
                return
            parts = [f"{counts['failed']} 条发送失败" if counts.get("failed") else "",
                     f"{counts['unsure']} 条状态不明（发送中断，对方可能已收到）" if counts.get("unsure") else ""]
            text = (f"【推送异常】有 {sum(counts.values())} 条消息没有确认送达：{'，'.join(p for p in parts if p)}。\n"
                    "发送「发送失败」查看明细，「重发 编号」补发。")
            admins = session.execute(select(Person.channel, Person.external_id).where(Person.role == "admin")).all()
            for channel, recipient in admins:
                enqueue(session, channel=channel, recipient=recipient, text=text, now=now, rule=FAILURE_NOTICE,
                        dedup_key=f"{FAILURE_NOTICE}:{max(row_ids)}:{channel}:{recipient}")


def _erased_if_reply(session: Session, row_id: int) -> dict[str, Any]:
    """A late reply keeps neither its words nor its addressee once settled: it may be a tip's receipt code."""
    if session.scalar(select(Outbox.reply).where(Outbox.id == row_id)):
        return {"text": "", "recipient": ""}
    return {}
