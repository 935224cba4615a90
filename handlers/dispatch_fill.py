"""填报调度表: staff enter the dispatch-table figures the records cannot compute, one at a time, only those not
yet entered for the month, with last month's value offered as the default; a summary before anything is saved.

States: value (one figure; 同上 keeps last month's, 跳过 leaves it for later) · confirm (确认保存 / 修改 N / 取消).
The checks and the storing are storage.dispatch_entries', the same as the back office's.
"""
from __future__ import annotations

from typing import Any

from storage.dispatch import number_text
from storage.dispatch_entries import EntryError, ToFill, parse_value, save_entries, to_fill
from storage.dispatch_layouts import BY_NAME, YESNO, layout_for, report_month
from storage.links import local_only_note, page_link
from storage.models import Unit

from .base import Context, Step
from .conversation import Option, ask, clean, numbered, pick
from .messages import TEXT, Incoming
from .staff import asker_scope

KEEP = frozenset({"同上", "沿用", "不变", "和上月一样", "跟上月一样", "一样", "默认"})
SKIP = frozenset({"跳过", "不填", "以后再填", "稍后"})
CONFIRM = [Option("save", "确认保存", ("确认", "保存", "提交", "确认提交")), Option("edit", "修改", ("改",)),
           Option("cancel", "取消", ("不保存",))]


class DispatchFillFlow:
    name = "dispatch_fill"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        scope, note = asker_scope(ctx, msg.text)
        if scope.unit is None:
            return Step.done("请写上要填报的单位，例如「填报调度表 青山湖镇」；也可以在后台的「调度表」页面填写。"
                             if scope.everything else "您的账号没有所属单位，无法填报调度表。")
        layout = layout_for(ctx.services.config.campaign.layout, scope.unit)
        month = report_month(layout, ctx.today)
        items = to_fill(ctx.session, layout, scope.unit, month.key, only_missing=True)
        if not items:
            server = ctx.services.config.server
            return Step.done(f"{note}{scope.unit.name}{month.label}调度表需要手工填报的项目都已填好。"
                             f"要修改请到后台：{page_link(server, '/dashboard/dispatch')}{local_only_note(server)}")
        state = {"at": "value", "unit": scope.unit.id, "month": month.key, "label": month.label,
                 "layout": layout.name, "keys": [i.key for i in items], "i": 0, "values": {}}
        lead = (f"{note}填报{scope.unit.name}{month.label}调度表：共 {len(items)} 项未填，填专项整治开始以来的累计数。"
                "每项回复数字；「同上」沿用上月，「跳过」以后再填，「取消」不保存。")
        return self._ask_value(ctx, state, lead=lead)

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        text = msg.text.strip() if msg.kind == TEXT else ""
        if state.get("at") == "confirm":
            return self._on_confirm(ctx, state, text)
        item = self._items(ctx, state)[state["i"]]
        word = clean(text)
        values = dict(state["values"])
        if word in KEEP:
            if item.default is None:
                return self._ask_value(ctx, state, lead="上月没有填这一项，请直接填数字。")
            values[item.key] = item.default
        elif word in SKIP:
            values.pop(item.key, None)
        else:
            try:
                values[item.key] = parse_value(item.part, self._yes_no(item, text))
            except EntryError as exc:
                return self._ask_value(ctx, state, lead=str(exc))
        return self._next(ctx, {**state, "values": values}, before=state)

    # -- states ---------------------------------------------------------------------------------

    def _items(self, ctx: Context, state: dict[str, Any]) -> list[ToFill]:
        """The parts asked, re-read each turn (so an entry made on the page meanwhile shows as a default)."""
        unit = ctx.session.get(Unit, state["unit"])
        assert unit is not None
        all_items = {i.key: i for i in to_fill(ctx.session, BY_NAME[state["layout"]], unit, state["month"],
                                               only_missing=False)}
        return [all_items[k] for k in state["keys"] if k in all_items]

    def _yes_no(self, item: ToFill, text: str) -> str:
        if item.part.kind != YESNO:
            return text
        chosen = pick([Option("是", "是"), Option("否", "否")], text)
        return chosen.value if chosen else text

    def _prompt(self, ctx: Context, state: dict[str, Any]) -> str:
        items = self._items(ctx, state)
        item = items[state["i"]]
        lines = [f"（{state['i'] + 1}/{len(items)}）{item.label}"]
        if item.part.kind == YESNO:
            lines.append("1. 是\n2. 否")
        elif item.part.kind == "wan":
            lines.append("单位：万元，例如 1.5")
        if item.default is not None:
            lines.append(f"上月填的是 {number_text(item.part.kind, item.default)}，不变请回复「同上」。")
        return "\n".join(lines)

    def _ask_value(self, ctx: Context, state: dict[str, Any], *, lead: str = "",
                   before: dict[str, Any] | None = None) -> Step:
        return ask({**state, "at": "value"}, self._prompt(ctx, state), kind="text", before=before, lead=lead)

    def _next(self, ctx: Context, state: dict[str, Any], *, before: dict[str, Any]) -> Step:
        if state.get("editing"):
            return self._summary(ctx, {**state, "editing": False}, before=before)
        if state["i"] + 1 < len(state["keys"]):
            return self._ask_value(ctx, {**state, "i": state["i"] + 1}, before=before)
        return self._summary(ctx, state, before=before)

    def _summary(self, ctx: Context, state: dict[str, Any], *, before: dict[str, Any] | None = None,
                 lead: str = "") -> Step:
        items = self._items(ctx, state)
        lines = [f"{state['label']}调度表，请核对："]
        for n, item in enumerate(items, 1):
            value = state["values"].get(item.key)
            shown = number_text(item.part.kind, value) if value is not None else "（跳过，未填）"
            lines.append(f"{n}. {item.label}：{shown}")
        lines.append(numbered(CONFIRM).replace("2. 修改", "2. 修改（回复「修改 序号」）"))
        return ask({**state, "at": "confirm"}, "\n".join(lines), before=before, lead=lead)

    def _on_confirm(self, ctx: Context, state: dict[str, Any], text: str) -> Step:
        word = clean(text)
        if word.startswith("修改") and word[2:].strip():
            return self._edit(ctx, state, word[2:].strip())
        chosen = pick(CONFIRM, text)
        if chosen is None:
            return Step(["请回复 1 确认保存、2 修改或 3 取消。"], state, unmatched=True)
        if chosen.value == "cancel":
            return Step.done("已取消，没有保存。需要时重新发送「填报调度表」。")
        if chosen.value == "edit":
            return ask({**state, "at": "confirm"}, "要修改第几项？请回复「修改 序号」，例如「修改 2」。")
        return self._save(ctx, state)

    def _edit(self, ctx: Context, state: dict[str, Any], which: str) -> Step:
        items = self._items(ctx, state)
        chosen = pick([Option(str(n), str(n)) for n in range(1, len(items) + 1)], which)
        if chosen is None:
            return self._summary(ctx, state, lead=f"请写 1–{len(items)} 之间的序号。")
        return self._ask_value(ctx, {**state, "i": int(chosen.value) - 1, "editing": True}, before=state)

    def _save(self, ctx: Context, state: dict[str, Any]) -> Step:
        unit = ctx.session.get(Unit, state["unit"])
        assert unit is not None
        layout = BY_NAME[state["layout"]]
        values = {k: float(v) for k, v in state["values"].items()}
        try:
            saved = save_entries(ctx.session, layout, unit, state["month"], dict(values), by=ctx.me(), now=ctx.now)
        except EntryError as exc:
            return Step.done(str(exc))
        left = len(to_fill(ctx.session, layout, unit, state["month"], only_missing=True))
        tail = f"还有 {left} 项未填，发送「填报调度表」继续。" if left else "需要手工填报的项目已全部填好。"
        return Step.done(f"已保存 {saved} 项（{unit.name}{state['label']}）。{tail}\n发送「生成调度表」下载 Excel。")
