"""生成调度表: the asker's unit's dispatch-table figures in chat, with download links to the official forms
(调度表 and 重大隐患清单) as Excel files filled in from the records and from what staff entered."""
from __future__ import annotations

from typing import Any

from handlers.messages import Incoming
from storage.dispatch import MISSING, table_for
from storage.domain import cn_day
from storage.links import Download, download_link, local_only_note

from .base import Context, Step
from .staff import asker_scope


def generate(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    scope, note = asker_scope(ctx, msg.text)
    if not scope.everything and scope.unit is None:
        return Step.done("您的账号没有所属单位，无法生成调度表。请联系管理员重新发放工作人员邀请码。")
    services = ctx.services
    table = table_for(ctx.session, services.config, scope, today=ctx.today)
    since = table.since
    lines = [note, f"{scope.label} 调度表（{table.month.label}）：{cn_day(since) + '（专项整治开始）' if since else '有记录以来'}"
                   f"至{cn_day(table.as_of)}累计"]
    for title, cells in table.sections:
        known = [c for c in cells if c.filled]
        if known:
            lines.append(f"【{title}】")
            lines += [f"{c.number}. {c.label}：{c.value}" for c in known]
    missing = sum(1 for _, c in table.cells if any(p.origin == MISSING for p in c.parts))
    if missing:
        lines.append(f"还有 {missing} 项未填报（表格中黄色）：发送「填报调度表」逐项填写，或在后台填写。")
    unit_id = None if scope.everything else scope.unit.id  # type: ignore[union-attr]
    server = services.config.server
    files = (f"下载（Excel，{server.download_hours} 小时内有效，按打开时的记录生成）：\n"
             f"调度表：{download_link(services.secret, server, Download('dispatch', unit_id, ctx.today))}\n"
             f"重大隐患清单：{download_link(services.secret, server, Download('hazards', unit_id, ctx.today))}"
             + local_only_note(server))
    return Step.done("\n".join(filter(None, lines)), files)
