"""生成调度表: the asker's unit's dispatch-table figures in chat, with download links to the official forms
(调度表 and 重大隐患清单) as Excel files filled in from the records."""
from __future__ import annotations

from typing import Any

from handlers.messages import Incoming
from storage.dispatch import dispatch_table
from storage.domain import cn_day
from storage.links import Download, download_link

from .base import Context, Step
from .staff import asker_scope


def generate(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    scope, note = asker_scope(ctx, msg.text)
    if not scope.everything and scope.unit is None:
        return Step.done("您的账号没有所属单位，无法生成调度表。请联系管理员重新发放工作人员邀请码。")
    services = ctx.services
    since = services.config.campaign.start_day
    table = dispatch_table(ctx.session, scope, since, ctx.today, services.tz)
    lines = [note, f"{scope.label} 调度表：{cn_day(since) + '（专项整治开始）' if since else '有记录以来'}至{cn_day(ctx.today)}累计"]
    for title, cells in table.sections:
        computed = [c for c in cells if c.value is not None]
        if computed:
            lines.append(f"【{title}】")
            lines += [f"{c.number}. {c.label}：{c.value}" for c in computed]
    if not table.computed:
        lines.append("部门只报抽查检查和执法两部分（调度表注1），这两部分本系统没有数据。")
    lines.append(f"另有 {table.by_hand} 项系统没有数据，请在表格的黄色单元格手工填写。")
    unit_id = None if scope.everything else scope.unit.id  # type: ignore[union-attr]
    hours = services.config.server.download_hours
    files = (f"下载（Excel，{hours} 小时内有效，按打开时的记录生成）：\n"
             f"调度表：{download_link(services.secret, services.config.server, Download('dispatch', unit_id, ctx.today))}\n"
             f"重大隐患清单：{download_link(services.secret, services.config.server, Download('hazards', unit_id, ctx.today))}")
    return Step.done("\n".join(filter(None, lines)), files)


def on_a_computer(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """Staff asking for a web back office: there is none; say what works from a computer instead."""
    return Step.done(
        "本系统没有网页管理后台，在电脑上可以这样用：\n"
        "1. 电脑版微信或企业微信里同样和我对话，功能与手机相同；\n"
        "2. 发送「生成调度表」，把回复里的调度表、重大隐患清单链接在电脑浏览器中打开，即可下载 Excel；\n"
        "3. 自查记录、隐患台账、举报的完整导出，请管理员在服务器上用 hazardbot export 命令生成。")
