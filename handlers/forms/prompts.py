"""What one question says about itself, whatever the state of the form: its notice, its help, what to do when
unsure, and an example after answers it could not read. (The question's prompt and the summary depend on the
answers so far: handlers.forms.runtime.)"""
from __future__ import annotations

from .definition import MAY_BE_UNSURE, Item


def notice_text(item: Item) -> str:
    """A notice item, shown once with its source."""
    lines = [f"【说明】{item.text}"]
    if item.clause:
        lines.append(f"依据：{item.clause}" + (f"：{item.clause_text}" if item.clause_text else ""))
    return "\n".join(lines)

def help_for(item: Item) -> str:
    """帮助 on a question: its hint, its clause and what each reply means."""
    parts = [item.hint] if item.hint else []
    if item.clause:
        parts.append(f"依据：{item.clause}")
    if item.clause_text:
        parts.append(f"原文：{item.clause_text}")
    if item.type == "screen":
        parts.append("这几种情形都是重大事故隐患。回复 2 表示一项都不存在；回复 1 表示至少有一项存在，"
                     "或者拿不准，接下来逐项确认。")
    if item.type == "situation":
        parts.append("回复 1 表示本单位存在这种情况（即重大事故隐患），2 表示不存在"
                     + ("，3 表示本单位没有这项设施或作业。" if len(item.options) > 2 else "。"))
    parts.append("可用命令：上一题、跳过（选填题）、暂停、取消、进度。")
    return "\n".join(parts)

def unsure(item: Item, allow_unsure: bool) -> str:
    """A person who does not know the answer: what the question asks, and the ways on (`allow_unsure`: the form
    lets 待核实 stand for now)."""
    lines = ["没关系，说说这一题在问什么："]
    if item.hint:
        lines.append(item.hint)
    if item.clause:
        lines.append(f"依据：{item.clause}")
    if item.clause_text:
        lines.append(f"原文：{item.clause_text}")
    ways = ["可以直接回答"]
    if allow_unsure and item.type in MAY_BE_UNSURE:
        ways.append("回复「待核实」先标记，核实后再答")
    if not item.required:
        ways.append("回复「跳过」")
    ways.append("或回复「暂停」先去核实")
    lines.append("，".join(ways) + "。")
    return "\n".join(lines)

def stuck(item: Item) -> str:
    """After several answers the question could not read: an example of one it can, and the ways on."""
    example = {
        "yes_no": "回复 1 表示“是”，2 表示“否”。",
        "situation": "回复 1 表示存在这种情况，2 表示不存在。", "choice": "回复选项前的序号，如 1。",
        "screen": "回复 2 表示以上情形都不存在；有一项存在或拿不准，回复 1 逐项确认。",
        "multi": "回复序号并用空格隔开，如 1 3。", "number": "回复一个数字，如 3 或 2.5。",
        "date": "回复日期，如 6月30日、2026-06-30 或 30天内。", "text": "用一两句话写明即可。",
        "photo": "点输入框旁的“+”选择照片发送，发完回复「完成」。", "location": "直接写地址，如 青山湖镇工业园3号厂房。",
    }.get(item.type, "")
    lines = [f"这一题是：{item.text}"]
    if item.hint:
        lines.append(item.hint)
    lines.append(f"回答示例：{example}")
    lines.append("1. 再试一次")
    lines.append("2. 跳过" if not item.required else "2. 跳过（本题必答，不可跳过）")
    lines.append("3. 暂停")
    return "\n".join(lines)
