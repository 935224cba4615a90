"""The ORM models (SQLAlchemy 2 typed declarative). Times are stored in UTC."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .domain import OPEN_STATES, status_predicate


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the zone; we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Unit(Base):
    """A town (镇/街道/园区) or a supervising department (部门)."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # town | department
    industries: Mapped[list[Any]] = mapped_column(default=list)  # industries a department supervises
    leader: Mapped[str] = mapped_column(String(50), default="")
    leader_phone: Mapped[str] = mapped_column(String(30), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Enterprise(Base):
    """An enterprise or project, as on its 安全生产责任公示牌."""

    __tablename__ = "enterprises"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    industry: Mapped[str] = mapped_column(String(50), index=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    risk_tier: Mapped[str] = mapped_column(String(10), default="other")  # high | other
    head_name: Mapped[str] = mapped_column(String(50), default="")
    head_phone: Mapped[str] = mapped_column(String(30), default="")
    liaison_leader: Mapped[str] = mapped_column(String(50), default="")
    liaison_leader_phone: Mapped[str] = mapped_column(String(30), default="")
    cadre: Mapped[str] = mapped_column(String(50), default="")
    cadre_phone: Mapped[str] = mapped_column(String(30), default="")
    employees: Mapped[int | None] = mapped_column(Integer)
    # 细分行业 and site notes (storage.domain.SECTORS), joined with 、: they preselect the checklists' scope.
    sector: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    town: Mapped[Unit] = relationship(foreign_keys=[town_id])
    department: Mapped[Unit | None] = relationship(foreign_keys=[department_id])


class Person(Base):
    """Someone bound to a role through an invite code. Unbound visitors have no row."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # wechat | wecom | sim
    external_id: Mapped[str] = mapped_column(String(128))  # openid / WeCom userid
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    bound_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When this person last wrote: WeChat allows customer-service messages only within 48 hours of it.
    last_inbound_at: Mapped[datetime | None] = mapped_column()
    # 解绑: the row stays for the history that names it, without the WeChat id (storage.invites.unbind).
    unbound_at: Mapped[datetime | None] = mapped_column()

    unit: Mapped[Unit | None] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()


def bound() -> ColumnElement[bool]:
    """People still bound: who may receive pushes and notices."""
    return Person.unbound_at.is_(None)


class InviteCode(Base):
    """A single-use binding code. Only a hash is kept: a database dump must not bind anyone."""

    __tablename__ = "invite_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    used_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    unit: Mapped[Unit | None] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()


class Conversation(Base):
    """The flow a chat user is in, so a restart in the middle of a flow resumes it.

    Keyed by channel identity rather than Person so that unbound visitors can hold a flow too.
    version_id makes two concurrent messages from one user collide instead of overwriting each other.
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(128))
    flow: Mapped[str | None] = mapped_column(String(50))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class ProcessedMessage(Base):
    """Dedup record: a WeChat retry of the same message gets the stored reply and changes nothing.

    The key is a keyed hash of (channel, sender, message id), so the table does not name who wrote;
    rows are purged once WeChat's retry window has long passed.
    """

    __tablename__ = "processed_messages"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    replies: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Outbox(Base):
    """A message to push later (a reply that missed the 5-second window, a reminder, a notice)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_not_before", "status", "not_before"),
                      Index("ix_outbox_created_at", "created_at"),  # the sweep reads the last days' keys
                      # The sender claims the oldest pending row: in id order straight from this index,
                      # instead of sorting tens of thousands of pending reminders for every push.
                      Index("ix_outbox_pending_id", "id", postgresql_where=text("status = 'pending'"),
                            sqlite_where=text("status = 'pending'")))
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # pending | sending | sent | failed | dropped | unsure (the sender died mid-send: maybe delivered)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    rule: Mapped[str] = mapped_column(String(30), default="")  # the reminder rule; "" for replies and notices
    template: Mapped[dict[str, Any]] = mapped_column(default=dict)  # template message fallback: {"title", "fields"}
    claimed_at: Mapped[datetime | None] = mapped_column()  # when a sender took the row to send it
    claimed_until: Mapped[datetime | None] = mapped_column()  # a sender's lease on a row it is sending
    # A passive reply that missed WeChat's 5 seconds: its text and recipient are erased once it is settled,
    # since it may be an anonymous tipster's receipt code.
    reply: Mapped[bool] = mapped_column(default=False)
    acked_at: Mapped[datetime | None] = mapped_column()  # the person answered "收到"
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class SelfCheckRun(Base):
    """One enterprise's self-check (自查) for one period; a draft until submitted.

    One row per enterprise and period: a second attempt views or amends the same run.
    """

    __tablename__ = "selfcheck_runs"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "period"),
        # "未自查企业" looks at this period's submitted runs only.
        Index("ix_selfcheck_runs_period_submitted", "period", "enterprise_id",
              postgresql_where=text("status = 'submitted'"), sqlite_where=text("status = 'submitted'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    period: Mapped[str] = mapped_column(String(10))  # 2026-06 (monthly) or 2026-Q2 (quarterly)
    form_ids: Mapped[list[Any]] = mapped_column(default=list)
    form_version: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | submitted
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    form_state: Mapped[dict[str, Any]] = mapped_column(default=dict)  # where a draft stopped
    started_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    amended_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enterprise: Mapped[Enterprise] = relationship()


_OPEN = text(status_predicate("status", OPEN_STATES))
_LISTED = text("supervision_level IS NOT NULL")


class Hazard(Base):
    """A hazard (隐患) in the ledger. Self-check answers create it as a draft until its follow-up is done.

    town_id, department_id and industry copy the enterprise's (kept in step by the events below): staff
    see hazards by unit, and indexing the unit on the hazard keeps a list proportional to the unit's share.
    """

    __tablename__ = "hazards"
    __table_args__ = (
        # Staff queries reach hazards through their unit's enterprises: per-enterprise indexes keep a town's or
        # a department's questions proportional to its own enterprises, not to the whole ledger.
        # (unit, order key, id): a page of a list is read in index order, and its count from the index alone.
        *(Index(f"ix_hazards_{col}_found", col, "found_at", "level", "source", "status")
          for col in ("town_id", "department_id")),
        *(Index(f"ix_hazards_{col}_open", col, "deadline", "id", postgresql_where=_OPEN, sqlite_where=_OPEN)
          for col in ("town_id", "department_id")),
        *(Index(f"ix_hazards_{col}_listed", col, "progress_due", "id", postgresql_where=_LISTED, sqlite_where=_LISTED)
          for col in ("town_id", "department_id")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)  # YH-202606-0007
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    industry: Mapped[str] = mapped_column(String(50), default="")
    level: Mapped[str] = mapped_column(String(4))  # 重大 | 一般
    source: Mapped[str] = mapped_column(String(10))  # 企业自查 | 部门检查 | 举报
    status: Mapped[str] = mapped_column(String(10), default="草稿")
    description: Mapped[str] = mapped_column(Text, default="")
    clause: Mapped[str] = mapped_column(String(300), default="")
    selfcheck_run_id: Mapped[int | None] = mapped_column(ForeignKey("selfcheck_runs.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(100), default="")
    fixed_on_spot: Mapped[bool | None] = mapped_column()
    responsible: Mapped[str] = mapped_column(String(100), default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    funds_wan: Mapped[float | None] = mapped_column()
    deadline: Mapped[str | None] = mapped_column(String(10))  # YYYY-MM-DD, a calendar day in Asia/Shanghai
    plan: Mapped[str] = mapped_column(Text, default="")
    equipment_stopped: Mapped[bool | None] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[Any]] = mapped_column(default=list)
    # 挂牌督办: listed by county (30 days to substantive progress) or city (60 days) government.
    supervision_level: Mapped[str | None] = mapped_column(String(4))  # 县级 | 市级
    supervision_doc: Mapped[str] = mapped_column(String(200), default="")
    listed_at: Mapped[datetime | None] = mapped_column()
    progress_due: Mapped[str | None] = mapped_column(String(10))
    found_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enterprise: Mapped[Enterprise] = relationship()


class WorkRecord(Base):
    """Work the data cannot see, recorded by staff so it counts toward quotas:
    typical enforcement cases, leaders' on-site supervision, small-enterprise checks."""

    __tablename__ = "work_records"
    __table_args__ = (Index("ix_work_records_unit_kind_day", "unit_id", "kind", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(30))  # typical_cases | leader_supervisions | small_enterprise_checks | enforcement_cases
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the campaign's time zone
    note: Mapped[str] = mapped_column(Text, default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HazardEvent(Base):
    """The history of a hazard: every transition with who, when, note and photos."""

    __tablename__ = "hazard_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(20))  # 登记 | 即查即改 | 整改进展 | 申请销号 | 销号 | 退回 | 挂牌督办
    from_status: Mapped[str] = mapped_column(String(10), default="")
    to_status: Mapped[str] = mapped_column(String(10), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[Any]] = mapped_column(default=list)


@event.listens_for(Hazard, "before_insert")
def _hazard_takes_the_enterprise_scope(mapper, connection, target: Hazard) -> None:
    if target.town_id is None:
        row = connection.execute(select(Enterprise.town_id, Enterprise.department_id, Enterprise.industry)
                                 .where(Enterprise.id == target.enterprise_id)).one()
        # The industry the report named stays (a staff member may file it under another); else the registry's.
        target.town_id, target.department_id = row[0], row[1]
        target.industry = target.industry or row[2]


@event.listens_for(Enterprise, "after_update")
def _enterprise_scope_follows_to_hazards(mapper, connection, target: Enterprise) -> None:
    state = inspect(target)
    if any(state.attrs[k].history.has_changes() for k in ("town_id", "department_id", "industry")):
        connection.execute(update(Hazard).where(Hazard.enterprise_id == target.id)
                           .values(town_id=target.town_id, department_id=target.department_id, industry=target.industry))


class Tip(Base):
    """An anonymous tip (举报). Nothing here names the sender: no openid, no message id, no media id, and
    only the day it arrived. The receipt code exists only as a slow salted hash."""

    __tablename__ = "tips"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # JB-202606-0003, what staff call it
    receipt_hash: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="已受理")  # 已受理 | 核查中 | 查证属实 | 不属实 | 已奖励
    what: Mapped[str] = mapped_column(Text)
    where_text: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    enterprise_text: Mapped[str] = mapped_column(String(200), default="")
    industry: Mapped[str] = mapped_column(String(50), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)  # who handles it
    received_on: Mapped[str] = mapped_column(String(10))  # the day only: a time would help match it to a sender
    decided_on: Mapped[str | None] = mapped_column(String(10))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id"))
    reward_yuan: Mapped[int | None] = mapped_column(Integer)
    major: Mapped[bool] = mapped_column(default=False)  # a 重大事故隐患 when verified: eligible for a reward

    enterprise: Mapped[Enterprise | None] = relationship()
    unit: Mapped[Unit | None] = relationship()


class TipEvent(Base):
    """The history of a tip: every staff action with who, when and a note (like HazardEvent for hazards).
    The reporter's own actions are not events: the tip keeps only the day it arrived, and additions are
    TipMessages dated by day."""

    __tablename__ = "tip_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(20))  # 核查中 | 属实 | 不属实 | 奖励 | 转办 | 提问
    from_status: Mapped[str] = mapped_column(String(10), default="")
    to_status: Mapped[str] = mapped_column(String(10), default="")
    from_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    note: Mapped[str] = mapped_column(Text, default="")


class Counter(Base):
    """Record numbers (YH-202606-0007, JB-202606-0003): the last number given for each prefix.

    Incremented with one INSERT … ON CONFLICT DO UPDATE … RETURNING: concurrent transactions queue on the row
    (PostgreSQL's row lock, SQLite's write lock) instead of reading the same max()+1 and colliding."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class TipMessage(Base):
    """Questions from staff and answers or additions from the reporter, dated by day."""

    __tablename__ = "tip_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id"), index=True)
    sender: Mapped[str] = mapped_column(String(10))  # 工作人员 | 举报人
    text: Mapped[str] = mapped_column(Text)
    on: Mapped[str] = mapped_column(String(10))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # staff messages only
    answered: Mapped[bool] = mapped_column(default=False)


class TipPhoto(Base):
    """A photo kept in our own storage, metadata stripped; the WeChat media id is not kept."""

    __tablename__ = "tip_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))


class ReminderOptOut(Base):
    """A person who sent "退订提醒 X" for an optional reminder rule (legal deadlines cannot be refused)."""

    __tablename__ = "reminder_optouts"
    __table_args__ = (UniqueConstraint("person_id", "rule"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    rule: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    """A 重点时段 reminder staff scheduled ("发布提醒 …"): sent to the heads of the enterprises in scope."""

    __tablename__ = "broadcasts"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # None: everyone (admin)
    day: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def table_of(model: type[Base]) -> Table:
    """A model's Core table, typed as one (the declarative attribute is typed as a FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


# -- the back office (web pages for staff) ----------------------------------------------------------

class LoginToken(Base):
    """A one-time link sent in chat ("登录后台"). Only a keyed hash is kept: the link itself is the secret."""

    __tablename__ = "login_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column()


class WebSession(Base):
    """A signed-in browser. The cookie holds a random id; the table holds only its keyed hash."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column()  # logged out

    person: Mapped[Person] = relationship()


class DispatchEntry(Base):
    """One hand-entered figure of the dispatch table (调度表): for a unit, a reporting month and one part of an
    indicator (storage.dispatch_layouts names them). Cumulative since the campaign began, as the form asks."""

    __tablename__ = "dispatch_entries"
    __table_args__ = (UniqueConstraint("unit_id", "month", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM: the month the figures are for
    key: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column()  # counts, 万元, or 1/0 for 是/否
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
