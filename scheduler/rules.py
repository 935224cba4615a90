"""What is due, for whom, on which day: the reminder rules of 常态化提醒.

Each rule looks at our own tables for one day and yields reminders with a key (rule, subject, day, person)
that the sweep stores once. Rules never send anything.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.config import Config
from storage.domain import ENTERPRISE_ROLES
from storage.hazard_list import FIVE_MISSING
from storage.hazards import describe, five_measures_request
from storage.holidays import holiday_ahead, next_workday
from storage.models import Broadcast, Enterprise, Hazard, Person, ReminderOptOut, SelfCheckRun, Tip, Unit, bound
from storage.periods import local_range, period_of, selfcheck_kind
from storage.push_kinds import OPTIONAL_RULES
from storage.queries import IS_OPEN
from storage.quotas import quota_status
from storage.tips import RECEIVED


@dataclass(frozen=True)
class Reminder:
    rule: str
    subject: str  # what it is about: enterprise, hazard, unit …
    day: date  # the day it is due
    person_id: int
    channel: str
    recipient: str
    text: str
    fields: dict[str, str] = field(default_factory=dict)  # template message values

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.subject}:{self.day.isoformat()}:{self.person_id}"


@dataclass(frozen=True)
class Recipient:
    id: int
    channel: str
    external_id: str


class Audience:
    """Bound people by enterprise and by unit, loaded once per sweep as plain rows (a county has 10^5 of them)."""

    def __init__(self, session: Session) -> None:
        self.by_enterprise: dict[int, list[Recipient]] = {}
        self.by_unit: dict[int, list[Recipient]] = {}
        self.opted_out = {(pid, rule) for pid, rule in session.execute(select(ReminderOptOut.person_id, ReminderOptOut.rule))}
        rows = session.execute(select(Person.id, Person.channel, Person.external_id, Person.role, Person.enterprise_id,
                                      Person.unit_id).where(bound()))
        for pid, channel, external_id, role, enterprise_id, unit_id in rows:
            who = Recipient(pid, channel, external_id)
            if role in ENTERPRISE_ROLES and enterprise_id is not None:
                self.by_enterprise.setdefault(enterprise_id, []).append(who)
            elif role == "staff" and unit_id is not None:
                self.by_unit.setdefault(unit_id, []).append(who)

    def wants(self, person: Recipient, rule: str) -> bool:
        return rule not in OPTIONAL_RULES or (person.id, rule) not in self.opted_out


def report_day(config: Config, year: int, month: int) -> date:
    """The monthly report day, postponed past days off: weekends and 法定节假日, but not 调休 workdays."""
    return next_workday(date(year, month, config.scheduler.report_day), config)


def reminders_for(session: Session, config: Config, day: date, audience: Audience) -> Iterator[Reminder]:
    sc = config.scheduler

    def to(people: list[Recipient], rule: str, subject: str, text: str, **fields: str) -> Iterator[Reminder]:
        for p in people:
            if audience.wants(p, rule):
                yield Reminder(rule, subject, day, p.id, p.channel, p.external_id, text, fields)

    # Self-checks due: N days before the period ends, for enterprises that have not submitted.
    for tier in ("high", "other"):
        period = period_of(selfcheck_kind(tier, config.selfcheck.high_risk_period, config.selfcheck.other_period), day)
        left = (period.end - day).days
        if left not in sc.selfcheck_days_before and left != 0:
            continue
        submitted = select(SelfCheckRun.enterprise_id).where(SelfCheckRun.period == period.key,
                                                             SelfCheckRun.status == "submitted")
        rows = session.execute(select(Enterprise.id, Enterprise.name).where(
            Enterprise.risk_tier == tier, Enterprise.id.not_in(submitted)))
        for ent_id, name in rows:
            if ent_id not in audience.by_enterprise:
                continue
            when = "今天是最后一天" if left == 0 else f"还有 {left} 天截止（{period.end:%m月%d日}）"
            yield from to(audience.by_enterprise.get(ent_id, []), "selfcheck_due", f"e{ent_id}:{period.key}",
                          f"【自查提醒】{name}{period.label}的隐患自查还没有提交，{when}。发送「开始自查」填写。",
                          title="自查提醒", period=period.label, deadline=period.end.isoformat())

    # Hazard deadlines: before, on the day, then daily while overdue up to a limit; escalate to staff.
    marks = {(day + timedelta(days=d)).isoformat(): d for d in sc.deadline_days_before}
    oldest = (day - timedelta(days=sc.overdue_reminder_days)).isoformat()
    # Nine columns: more than SQLAlchemy's typed rows spell out.
    due_rows: Any = session.execute(
        select(Hazard.id, Hazard.number, Hazard.enterprise_id, Hazard.town_id, Hazard.department_id, Hazard.level,
               Hazard.description, Hazard.deadline, Enterprise.name)
        .join(Enterprise, Hazard.enterprise_id == Enterprise.id)
        .where(IS_OPEN, Hazard.deadline.is_not(None),
               ((Hazard.deadline >= oldest) & (Hazard.deadline < day.isoformat())) | Hazard.deadline.in_(list(marks))))
    for hid, number, ent_id, town_id, dept_id, level, desc, deadline, ent_name in due_rows:
        short = desc if len(desc) <= 20 else desc[:19] + "…"
        if deadline in marks:
            d = marks[deadline]
            when = "今天到期" if d == 0 else f"{d} 天后到期（{deadline}）"
            yield from to(audience.by_enterprise.get(ent_id, []), "hazard_deadline", f"h{hid}",
                          f"【整改期限】{number}（{level}）{short}：{when}。整改后发送「整改进展」申请销号。",
                          title="整改期限提醒", number=number or "", deadline=deadline)
            continue
        overdue = (day - date.fromisoformat(deadline)).days
        yield from to(audience.by_enterprise.get(ent_id, []), "hazard_overdue", f"h{hid}",
                      f"【逾期】{number}（{level}）{short} 已逾期 {overdue} 天，请尽快整改并发送「整改进展」。",
                      title="隐患逾期提醒", number=number or "", deadline=deadline)
        if overdue == sc.escalate_after_days:
            staff = audience.by_unit.get(town_id or -1, []) + audience.by_unit.get(dept_id or -1, [])
            yield from to(staff, "overdue_escalation", f"h{hid}",
                          f"【逾期升级】{ent_name} {number}（{level}）{short} 已逾期 {overdue} 天未整改，请督促。",
                          title="隐患逾期升级", number=number or "", deadline=deadline)

    # 五落实 a self-check left for later (稍后补充): asked for once, selfcheck.five_measures_days after the hazard
    # was found, if they are still missing then.
    found_on = day - timedelta(days=config.selfcheck.five_measures_days)
    since, until = local_range(found_on, found_on, _tz(config))
    for owed in session.scalars(select(Hazard).where(FIVE_MISSING, Hazard.selfcheck_run_id.is_not(None),
                                                      Hazard.found_at >= since, Hazard.found_at < until)):
        yield from to(audience.by_enterprise.get(owed.enterprise_id, []), "five_measures", f"h{owed.id}",
                      five_measures_request(describe(owed)), title="五落实提醒", number=owed.number or "")

    # 挂牌督办: the 30/60-day substantive-progress deadline, to the responsible staff.
    lmarks = {(day + timedelta(days=d)).isoformat(): d for d in sc.listing_days_before}
    for hid, number, town_id, dept_id, level_s, due in session.execute(
            select(Hazard.id, Hazard.number, Hazard.town_id, Hazard.department_id, Hazard.supervision_level,
                   Hazard.progress_due)
            .where(IS_OPEN, Hazard.supervision_level.is_not(None), Hazard.progress_due.in_(list(lmarks)))):
        due = due or ""
        d = lmarks[due]
        staff = audience.by_unit.get(town_id or -1, []) + audience.by_unit.get(dept_id or -1, [])
        when = "今天到期" if d == 0 else f"还有 {d} 天（{due}）"
        yield from to(staff, "listing_progress", f"h{hid}",
                      f"【挂牌督办】{number}（{level_s}督办）须在 {due} 前取得实质性进展，{when}。",
                      title="挂牌督办进展", number=number or "", deadline=due)

    # The monthly dispatch table and hazard list, to every unit's staff.
    due_day = report_day(config, day.year, day.month)
    left = (due_day - day).days
    if left in sc.report_days_before:
        when = "今天" if left == 0 else f"{left} 天后（{due_day:%m月%d日}）"
        for unit_id, staff in audience.by_unit.items():
            yield from to(staff, "monthly_report", f"u{unit_id}:{day:%Y-%m}",
                          f"【报送提醒】本月调度表和隐患清单应于{when}报送。发送「生成调度表」获取。",
                          title="调度表报送", deadline=due_day.isoformat())

    # Quota shortfalls a week before the period ends.
    ending = [r for r in config.quotas if (period_of(r.period, day).end - day).days == sc.quota_days_before]
    if ending:
        for unit in session.scalars(select(Unit).where(Unit.id.in_(list(audience.by_unit)))):
            for q in quota_status(session, unit, ending, day, _tz(config)):
                if q.missing:
                    yield from to(audience.by_unit[unit.id], "quota_shortfall",
                                  f"u{unit.id}:{q.rule.name}:{q.period.key}",
                                  f"【指标提醒】{unit.name}「{q.rule.name}」{q.period.label}完成 {q.done}/{q.rule.minimum}，"
                                  f"{q.period.end:%m月%d日}截止。", title="指标提醒", deadline=q.period.end.isoformat())

    # New tips waiting, once a day per unit.
    for tip_unit_id, n in session.execute(select(Tip.unit_id, func.count()).where(Tip.status == RECEIVED)
                                          .group_by(Tip.unit_id)):
        if tip_unit_id is not None and tip_unit_id in audience.by_unit:
            yield from to(audience.by_unit[tip_unit_id], "new_tips", f"u{tip_unit_id}",
                          f"【举报提醒】有 {n} 条举报待处理（受理后 60 日内核查）。发送「待处理举报」查看。",
                          title="举报待处理")

    # Year-end summary (12月15日), a week before and on the day.
    if (day.month, day.day) in ((12, 8), (12, 15)):
        for unit_id, staff in audience.by_unit.items():
            yield from to(staff, "year_end", f"u{unit_id}:{day.year}",
                          f"【年终总结】专项整治年度总结须于 12月15日前报送{'（今天截止）' if day.day == 15 else ''}。",
                          title="年终总结", deadline=f"{day.year}-12-15")

    # A campaign stage begins: every enterprise head hears what it asks of them.
    for phase in config.campaign.phases:
        if phase.start in (day.isoformat(), day.strftime("%m-%d")):
            for ent_id, people in audience.by_enterprise.items():
                yield from to(people, "campaign_phase", f"p{phase.name}:e{ent_id}:{day.year}",
                              f"【{config.campaign.name}】今天起进入「{phase.name}」阶段。{phase.text}",
                              title="专项整治阶段提醒")

    # 重点时段: the last workday before a long statutory holiday, every enterprise head.
    holiday = holiday_ahead(day, config, sc.holiday_reminder_days) if sc.holiday_reminder_days else None
    if holiday is not None:
        span = f"{holiday.first:%m月%d日}至{holiday.last:%m月%d日}"
        for ent_id, people in audience.by_enterprise.items():
            yield from to(people, "holiday_eve", f"{holiday.name}{holiday.first.isoformat()}:e{ent_id}",
                          f"【节前安全提醒】{holiday.name}假期（{span}）将至，请在放假前组织一次安全检查，"
                          "落实值班值守，停产停工的做好设备停机和危险物品安全存放。", title="节前安全提醒")

    # 重点时段 broadcasts staff scheduled for today, to the heads of the enterprises in their scope.
    for b in session.scalars(select(Broadcast).where(Broadcast.day == day.isoformat())):
        scope = select(Enterprise.id)
        if b.unit_id is not None:
            target = session.get(Unit, b.unit_id)
            column = Enterprise.town_id if target and target.kind == "town" else Enterprise.department_id
            scope = scope.where(column == b.unit_id)
        for (ent_id,) in session.execute(scope):
            yield from to(audience.by_enterprise.get(ent_id, []), "broadcast", f"b{b.id}:e{ent_id}",
                          f"【重点时段提醒】{b.text}", title="安全提醒")


def _tz(config: Config):
    from zoneinfo import ZoneInfo

    return ZoneInfo(config.campaign.timezone)

