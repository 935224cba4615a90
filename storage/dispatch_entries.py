"""The dispatch-table figures staff enter by hand (调度表填报): one value per unit, month and indicator part,
cumulative since the campaign began as the form asks. Chat ("填报调度表") and the back office both read and
write them here, with the same checks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .dispatch_layouts import COUNT, WAN, YESNO, Indicator, Layout, Part, entered_parts
from .models import DispatchEntry, Person, Unit

MAX_COUNT = 1_000_000
MAX_WAN = 1_000_000.0
_YES = frozenset({"是", "有", "已设置", "已开设", "设置了", "开设了", "yes", "y", "1"})
_NO = frozenset({"否", "没有", "无", "未设置", "未开设", "没", "no", "n", "0"})
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")


class EntryError(ValueError):
    """A value that cannot be stored; the message is one line a person can read."""


def parse_value(part: Part, text: str) -> float:
    """What a person typed for a part: a count (whole number), an amount in 万元 or 是/否."""
    word = text.translate(_FULLWIDTH).strip().removesuffix("万元").removesuffix("万").strip().lower()
    if part.kind == YESNO:
        if word in _YES:
            return 1.0
        if word in _NO:
            return 0.0
        raise EntryError("请回答「是」或「否」。")
    for unit in ("个次", "家次", "人次", "家", "个", "次", "人", "起", "条"):
        word = word.removesuffix(unit)
    if not _NUMBER.match(word):
        raise EntryError("请填写数字（从专项整治开始累计），没有就填 0。")
    value = float(word)
    if part.kind == COUNT:
        if not value.is_integer():
            raise EntryError("这一项是个数，请填整数。")
        if value > MAX_COUNT:
            raise EntryError("数字太大了，请核对。")
        return value
    if part.kind == WAN:
        if value > MAX_WAN:
            raise EntryError("金额太大了，请核对（单位是万元）。")
        return round(value, 4)
    raise EntryError("无法识别的指标类型。")  # pragma: no cover - every kind is handled above


def entries(session: Session, unit_id: int, month: str) -> dict[str, float]:
    return dict(session.execute(select(DispatchEntry.key, DispatchEntry.value)
                                .where(DispatchEntry.unit_id == unit_id, DispatchEntry.month == month)).all())


def previous_values(session: Session, unit_id: int, month: str) -> dict[str, float]:
    """Each key's latest value from a month before `month`: what the form offers as the default, since the
    figures are cumulative and often unchanged from one month to the next."""
    rows = session.execute(select(DispatchEntry.key, DispatchEntry.value, DispatchEntry.month)
                           .where(DispatchEntry.unit_id == unit_id, DispatchEntry.month < month)
                           .order_by(DispatchEntry.month)).all()
    return {key: value for key, value, _ in rows}


@dataclass(frozen=True)
class ToFill:
    indicator: Indicator
    part: Part
    default: float | None  # last month's value
    label: str  # the part as a person reads it: the indicator's label, and which part of it

    @property
    def key(self) -> str:
        return self.part.key


def part_label(indicator: Indicator, part: Part) -> str:
    if len(indicator.parts) == 1:
        return indicator.label
    first = indicator.parts[0] is part
    if part.prefix:
        # 公布典型执法案例（个），其中危险作业罪案例（个）: the second half names itself
        head, _, tail = indicator.label.partition("其中")
        return head.rstrip("，,") if first else "其中" + tail
    # 行政处罚（次，万元）: the same label, with which unit
    return indicator.label + ("：次数" if first else "：金额（万元）")


def to_fill(session: Session, layout: Layout, unit: Unit, month: str, *, only_missing: bool) -> list[ToFill]:
    """The parts staff enter for the month, in the form's order, with last month's values as defaults.
    only_missing: leave out what was already entered for this month, and adjustable parts (the records fill
    them until someone corrects them)."""
    done = entries(session, unit.id, month)
    before = previous_values(session, unit.id, month)
    out = []
    for indicator, part in entered_parts(layout, unit):
        if only_missing and (part.key in done or part.measure is not None):
            continue
        out.append(ToFill(indicator, part, before.get(part.key), part_label(indicator, part)))
    return out


def save_entries(session: Session, layout: Layout, unit: Unit, month: str, values: dict[str, float | None], *,
                 by: Person | None, now: datetime) -> int:
    """Store the values (None: clear the entry, so an adjustable part goes back to the records' figure).
    Only parts this unit enters on this layout are accepted. Returns how many were stored or cleared."""
    allowed = {part.key: part for _, part in entered_parts(layout, unit)}
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise EntryError(f"本单位的调度表没有这些项目：{'、'.join(unknown)}")
    current = {e.key: e for e in session.scalars(select(DispatchEntry).where(
        DispatchEntry.unit_id == unit.id, DispatchEntry.month == month, DispatchEntry.key.in_(sorted(values))))}
    changed = 0
    for key, value in values.items():
        if value is None:
            if key in current:
                session.execute(delete(DispatchEntry).where(DispatchEntry.id == current[key].id))
                changed += 1
            continue
        if value < 0 or (allowed[key].kind == YESNO and value not in (0, 1)):
            raise EntryError("数值不能为负数。")
        if key in current:
            if current[key].value != value:
                current[key].value, current[key].person_id, current[key].updated_at = value, by.id if by else None, now
                changed += 1
        else:
            session.add(DispatchEntry(unit_id=unit.id, month=month, key=key, value=value,
                                      person_id=by.id if by else None, updated_at=now))
            changed += 1
    session.flush()
    return changed
