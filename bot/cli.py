"""The `hazardbot` command."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from storage.config import Config, ConfigError, load_config

from .startup import StartupError

EPILOG = "配置文件：--config FILE，或环境变量 HAZARDBOT_CONFIG，或当前目录的 config.toml；都没有时用内置默认值。"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hazardbot", description="隐患排查整治助手", epilog=EPILOG)
    p.add_argument("--config", help="配置文件路径（TOML）")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("init", help="创建或升级数据库（可重复执行）")

    serve = sub.add_parser("serve", help="启动服务（微信/企业微信回调、网页模拟器）")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--threads", type=int, default=8)

    sub.add_parser("scheduler", help="单独运行提醒调度进程（生产环境 scheduler.embedded = false 时）")
    bk = sub.add_parser("backup", help="备份 SQLite 数据库到文件（在线备份，不必停机；PostgreSQL 请用 pg_dump）")
    bk.add_argument("file", type=Path, help="备份文件路径（已存在则不覆盖）")
    ob = sub.add_parser("outbox", help="查看待发和发送失败的消息")
    ob.add_argument("--failed", action="store_true", help="列出发送失败和状态不明的消息及原因")

    bc = sub.add_parser("broadcast", help="安排重点时段提醒：当天 send_hour 发给范围内的企业负责人")
    bc.add_argument("text", nargs="?", help="提醒内容，例如「国庆前请全面排查动火作业和有限空间」")
    bc.add_argument("--day", help="发送日期 YYYY-MM-DD（默认今天）")
    bc.add_argument("--unit", help="只发给该乡镇或部门的企业（默认全部企业）")
    bc.add_argument("--list", action="store_true", help="列出今天及以后已安排的提醒")

    chat = sub.add_parser("chat", help="终端模拟器：以某个用户身份和助手对话")
    chat.add_argument("--user", required=True, help="模拟的用户 ID（相当于 openid）")

    inv = sub.add_parser("invite", help="生成绑定邀请码")
    inv.add_argument("--role", required=True, choices=["enterprise_head", "safety_officer", "staff", "admin"])
    inv.add_argument("--enterprise", help="企业名称（企业角色必填；可写名称的一部分）")
    inv.add_argument("--unit", help="单位名称（staff 必填）")
    inv.add_argument("--days", type=int, help="有效天数（默认取配置 security.invite_ttl_days）")
    inv.add_argument("--count", type=int, default=1, help="一次生成几个")
    inv.add_argument("--note", default="", help="备注，例如发给谁")

    imp = sub.add_parser("import", help="导入单位或企业（CSV/XLSX，重复导入会更新）")
    imp.add_argument("what", choices=["units", "enterprises"])
    imp.add_argument("file", type=Path)

    nlu = sub.add_parser("nlu", help="逐行读取标准输入，输出意图识别结果（JSON）")
    nlu.add_argument("--role", choices=("enterprise_head", "safety_officer", "staff", "admin", "none"),
                     help="发送人的角色（不填：未绑定的人）")

    rec = sub.add_parser("record", help="登记计入考核的工作（典型案例、执法案例、现场督导、小微企业检查）")
    rec.add_argument("--unit", required=True, help="单位名称")
    rec.add_argument("--kind", required=True, choices=["typical_cases", "enforcement_cases", "leader_supervisions",
                                                        "small_enterprise_checks"])
    rec.add_argument("--date", help="日期 YYYY-MM-DD（默认今天）")
    rec.add_argument("--note", required=True, help="简要说明")

    exp = sub.add_parser("export", help="导出记录（JSON/CSV/XLSX）")
    exp.add_argument("what", choices=["selfchecks", "hazards", "tips", "dispatch"],
                     help="dispatch：调度表（专项整治开始以来累计，黄色单元格需手工填写）")
    exp.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
    exp.add_argument("--month", help="只导出该月（YYYY-MM；季度自查按所在季度算）")
    exp.add_argument("--unit", help="只导出该乡镇或部门的企业")
    exp.add_argument("--level", choices=["重大", "一般"], help="只导出该等级的隐患（hazards）")
    exp.add_argument("--date", help="调度表的截止日期 YYYY-MM-DD（默认今天）；统计该日所在月份")
    exp.add_argument("--layout", choices=["district", "county", "department"],
                     help="调度表的样式：district 区县方案附件1，county 市方案附件3，department 市直部门附件4"
                          "（默认取 campaign.layout）")
    exp.add_argument("--detailed", action="store_true", help="隐患台账带上五落实等全部字段（hazards，不加 --level 重大时）")
    exp.add_argument("--output", "-o", type=Path, help="输出文件（XLSX 必填；JSON/CSV 不填则打印）")

    cl = sub.add_parser("checklists", help="自查清单")
    cl_sub = cl.add_subparsers(dest="checklists_command", required=True)
    val = cl_sub.add_parser("validate", help="校验清单定义文件")
    val.add_argument("directory", nargs="?", type=Path)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
        return COMMANDS[args.command](config, args)
    except ConfigError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    except StartupError as exc:
        print(f"无法启动：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def cmd_init(config: Config, args: argparse.Namespace) -> int:
    from storage.db import migrate

    from .startup import check_database

    check_database(config.database.url)
    migrate(config.database.url)
    print(f"数据库已就绪：{_safe_url(config.database.url)}")
    return 0


def _safe_url(url: str) -> str:
    from .startup import safe_url

    return safe_url(url)


def _services(config: Config, *, app: bool = True) -> Any:
    """app=False: an operator's command (bot.command_services): no recogniser, no API clients, no handlers."""
    from storage.db import ensure_schema

    from .startup import check_database

    check_database(config.database.url)
    # The embedded default must run from a fresh clone with one command: bring the schema up first.
    ensure_schema(config.database.url)
    if not app:
        from .command_services import build_command_services

        return build_command_services(config)
    from .services import build_services

    return build_services(config)


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    from .startup import check_port
    from .startup import warnings as startup_warnings

    host, port = args.host or config.server.host, args.port or config.server.port
    # First of all: a second `serve` on a taken port must stop before it migrates or sweeps anything.
    check_port(host, port)
    from waitress.server import create_server

    from .app import check_channel_keys, create_app, freeze_startup_objects

    check_channel_keys(config)
    services = _services(config)
    app = create_app(services=services)
    try:
        server = create_server(app, host=host, port=port, threads=args.threads, ident="hazardbot")
    except OSError as exc:  # taken in the second since the check
        raise StartupError(f"无法监听 {host}:{port}：{exc.strerror}") from None
    scheduler = jobs = None
    if config.scheduler.embedded:
        from scheduler.runner import Jobs, build_scheduler

        from .metrics import DeliveryMetrics

        jobs = Jobs(services, services.channels.senders(), observer=DeliveryMetrics())
        scheduler = build_scheduler(jobs)
        scheduler.start()
        print(f"提醒调度：内嵌运行（每 {config.scheduler.sweep_minutes} 分钟扫描一次）")
    print(f"hazardbot 已启动：http://{host}:{port}")
    channels = [name for name, on in (("/wechat", config.wechat.token), ("/wecom", config.wecom.token)) if on]
    print(f"微信回调：{', '.join(channels) if channels else '未配置（见 config.example.toml）'}")
    if config.simulator_on:
        print(f"网页模拟器：http://{host}:{port}/simulator")
    print(f"网页后台：http://{host}:{port}/dashboard（在微信里发送「登录后台」获取登录链接）")
    for line in startup_warnings(config):
        print(line, file=sys.stderr)
    _stop_on_sigterm()
    freeze_startup_objects()
    try:
        server.run()
    finally:
        server.close()
        app.extensions["hazardbot"].pushes.stop()
        if scheduler is not None and jobs is not None:
            _shutdown(scheduler, jobs)
    return 0


def cmd_scheduler(config: Config, args: argparse.Namespace) -> int:
    from scheduler.runner import Jobs, build_scheduler

    from .logs import configure_logging
    from .metrics import DeliveryMetrics

    services = _services(config)
    configure_logging(config)
    # Its deliveries show on the web workers' /metrics when both share PROMETHEUS_MULTIPROC_DIR.
    jobs = Jobs(services, services.channels.senders(), observer=DeliveryMetrics())
    scheduler = build_scheduler(jobs, blocking=True)
    _stop_on_sigterm()
    print("提醒调度进程已启动（Ctrl+C 退出）", flush=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        _shutdown(scheduler, jobs)
    return 0


def _stop_on_sigterm() -> None:
    """systemd and supervisors stop a service with SIGTERM: make it the same clean exit as Ctrl+C."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _shutdown(scheduler: Any, jobs: Any) -> None:
    """The push in hand is finished and recorded, so a stop leaves no push unsure."""
    jobs.stop_delivering()
    if scheduler.running:
        scheduler.shutdown(wait=True)
    print("提醒调度已停止", flush=True)


def cmd_backup(config: Config, args: argparse.Namespace) -> int:
    """SQLite's online backup API: a consistent copy while the bot keeps writing (pages copied in steps,
    restarted by SQLite when a writer changes one already copied)."""
    import sqlite3

    from sqlalchemy.engine import make_url

    url = make_url(config.database.url)
    if url.get_backend_name() != "sqlite":
        raise StartupError("PostgreSQL 请用 pg_dump 备份（见 docs/deploying.md「备份与恢复」）："
                           "pg_dump -Fc -f hazardbot.dump 库名")
    source = Path(url.database or "")
    if not source.exists():
        raise StartupError(f"数据库文件不存在：{source}")
    if args.file.exists():
        raise StartupError(f"{args.file} 已存在，不会覆盖：请换一个文件名")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(args.file)
    try:
        src.backup(dst, pages=1024)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if check != "ok":
        raise StartupError(f"备份文件校验失败：{check}")
    print(f"已备份到 {args.file}（{args.file.stat().st_size // 1024} KB，完整性检查通过）")
    return 0


def cmd_outbox(config: Config, args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from storage.models import Outbox

    services = _services(config, app=False)
    with services.sessions() as session:
        counts = dict(session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all())
        print("，".join(f"{k} {v}" for k, v in sorted(counts.items())) or "发件箱是空的")
        if args.failed:
            labels = {"failed": "失败", "unsure": "状态不明"}
            for row in session.scalars(select(Outbox).where(Outbox.status.in_(list(labels))).order_by(Outbox.id)):
                whom = f"{row.channel}:{row.recipient}" if row.recipient else f"{row.channel}:（延迟回复，已清除）"
                print(f"#{row.id} {labels[row.status]} {whom} {row.rule or '回复'}：{row.last_error}")
    return 0


def cmd_chat(config: Config, args: argparse.Namespace) -> int:
    from .channels.terminal import run_chat

    services = _services(config)
    run_chat(services, args.user, sys.stdin, sys.stdout)
    return 0


def cmd_invite(config: Config, args: argparse.Namespace) -> int:
    from storage.invites import InviteError, create_invite

    from .registry_lookup import LookupError_, find_enterprise, find_unit

    services = _services(config, app=False)
    days = args.days or config.security.invite_ttl_days
    try:
        with services.sessions.begin() as session:
            enterprise = find_enterprise(session, args.enterprise) if args.enterprise else None
            unit = find_unit(session, args.unit) if args.unit else None
            invites = [
                create_invite(session, services.secret, role=args.role, now=services.clock(), ttl_days=days,
                              enterprise=enterprise, unit=unit, note=args.note)
                for _ in range(max(1, args.count))
            ]
    except (InviteError, LookupError_) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    tz = services.tz
    for inv in invites:
        print(f"{inv.code}  {inv.role}  {inv.target}  有效期至 {inv.expires_at.astimezone(tz):%Y-%m-%d %H:%M}")
    print("请把邀请码单独发给本人：在公众号/企业微信里发送「绑定 邀请码」。邀请码只显示这一次。", file=sys.stderr)
    return 0


def cmd_import(config: Config, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .importer import ImportFileError, import_enterprises, import_units, read_rows

    if not args.file.exists():
        print(f"错误：文件不存在：{args.file}", file=sys.stderr)
        return 1
    services = _services(config, app=False)
    run = import_units if args.what == "units" else import_enterprises
    try:
        total = max(0, len(read_rows(args.file)) - 1)
        with tqdm(total=total, unit="行", disable=not sys.stderr.isatty(), file=sys.stderr) as bar:
            with services.sessions.begin() as session:
                report = run(session, args.file, lambda n: _advance(bar, n))
    except ImportFileError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    for err in report.errors:
        print(str(err), file=sys.stderr)
    if report.ignored_columns:
        print(f"未识别的列（已忽略）：{'、'.join(report.ignored_columns)}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors else 0


def _advance(bar: Any, n: int) -> None:
    bar.update(n)


def cmd_nlu(config: Config, args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from handlers.nlu import Recognizer
    from handlers.nlu.cli import run_cli

    today = datetime.now(ZoneInfo(config.campaign.timezone)).date()
    # No role given means what it means in chat: a person bound to nothing.
    role = None if args.role in (None, "none") else args.role
    run_cli(sys.stdin, sys.stdout, Recognizer(), today, role=role)
    return 0


def cmd_checklists(config: Config, args: argparse.Namespace) -> int:
    from handlers.forms.definition import validate_directory

    directory = args.directory or Path(__file__).resolve().parent.parent / "handlers" / "checklists"
    problems = validate_directory(directory, config.selfcheck.combinations())
    for problem in problems:
        print(str(problem))
    if problems:
        print(f"{len(problems)} 个问题", file=sys.stderr)
        return 1
    print(f"{directory}：全部通过")
    return 0


def cmd_record(config: Config, args: argparse.Namespace) -> int:
    from datetime import date

    from storage.models import WorkRecord

    from .registry_lookup import LookupError_, find_unit

    services = _services(config, app=False)
    try:
        day = date.fromisoformat(args.date) if args.date else services.now().date()
    except ValueError:
        print(f"错误：日期应为 YYYY-MM-DD（收到：{args.date}）", file=sys.stderr)
        return 1
    if not args.note.strip():
        print("错误：--note 不能为空", file=sys.stderr)
        return 1
    try:
        with services.sessions.begin() as session:
            unit = find_unit(session, args.unit)
            session.add(WorkRecord(unit_id=unit.id, kind=args.kind, day=day.isoformat(), note=args.note.strip()))
            name = unit.name
    except LookupError_ as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    print(f"已登记：{name} {args.kind} {day.isoformat()}")
    return 0


def cmd_broadcast(config: Config, args: argparse.Namespace) -> int:
    from datetime import date

    from sqlalchemy import select

    from storage.models import Broadcast, Unit

    from .registry_lookup import LookupError_, find_unit

    services = _services(config, app=False)
    today = services.now().date()
    if args.list:
        with services.sessions() as session:
            rows = session.execute(select(Broadcast, Unit.name).outerjoin(Unit, Broadcast.unit_id == Unit.id)
                                   .where(Broadcast.day >= today.isoformat()).order_by(Broadcast.day)).all()
            for b, unit_name in rows:
                print(f"{b.day} {unit_name or '全部企业'}：{b.text}")
            print(f"共 {len(rows)} 条")
        return 0
    text = (args.text or "").strip()
    if len(text) < 4:
        print("错误：请写明提醒内容（至少 4 个字），例如：hazardbot broadcast --day 2026-09-30 "
              "国庆前请全面排查动火作业和有限空间", file=sys.stderr)
        return 1
    try:
        day = date.fromisoformat(args.day) if args.day else today
    except ValueError:
        print(f"错误：日期应为 YYYY-MM-DD（收到：{args.day}）", file=sys.stderr)
        return 1
    if day < today:
        print(f"错误：{day.isoformat()} 已经过去了", file=sys.stderr)
        return 1
    try:
        with services.sessions.begin() as session:
            unit = find_unit(session, args.unit) if args.unit else None
            session.add(Broadcast(unit_id=unit.id if unit else None, day=day.isoformat(), text=text[:300]))
            scope = unit.name if unit else "全部"
    except LookupError_ as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    print(f"已安排 {day.isoformat()} {config.scheduler.send_hour}:00 向{scope}企业负责人发送：{text[:60]}")
    return 0


def cmd_export(config: Config, args: argparse.Namespace) -> int:
    from storage.dispatch import form_notes, form_title

    from .exports import (
        ExportError,
        Filters,
        HazardFilters,
        dispatch_rows,
        hazard_records,
        selfcheck_records,
        selfcheck_runs,
        tip_records,
        write,
        write_dispatch,
        write_hazards,
        write_tips,
    )

    services = _services(config, app=False)
    scope = f"{'（' + args.month + '）' if args.month else ''}{'·' + args.unit if args.unit else ''}"
    try:
        with services.sessions() as session:
            if args.what == "selfchecks":
                runs = selfcheck_runs(session, Filters(args.month, args.unit))
                records = selfcheck_records(runs, services.forms, services.tz)
                text = write(records, args.format, args.output, f"企业自查记录{scope}")
            elif args.what == "tips":
                records = tip_records(session)
                text = write_tips(records, args.format, args.output)
            elif args.what == "dispatch":
                table = _dispatch_table(session, services, args)
                records = dispatch_rows(table)  # type: ignore[assignment]
                text = write_dispatch(table, args.format, args.output, form_title(config, table),
                                      form_notes(config, table))
            else:
                records = hazard_records(session, HazardFilters(args.month, args.unit, args.level), services.tz)
                major = args.level == "重大"
                title = "重大隐患（重点隐患）清单" if major else f"{args.level or ''}隐患台账{scope}"
                text = write_hazards(records, args.format, args.output, title, args.unit or "",
                                     services.now().date(), major=major, detailed=args.detailed)
    except ExportError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    if text is not None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        print(f"已导出 {len(records)} 条到 {args.output}" if args.what != "dispatch" else f"已导出调度表（{len(records)} 项指标）到 {args.output}",
              file=sys.stderr)
    return 0


def _dispatch_table(session: Any, services: Any, args: argparse.Namespace) -> Any:
    from datetime import date

    from storage.dispatch import table_for
    from storage.periods import period_of
    from storage.scope import Scope

    from .exports import ExportError
    from .registry_lookup import LookupError_, find_unit

    try:
        as_of = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        raise ExportError(f"日期应为 YYYY-MM-DD（收到：{args.date}）") from None
    try:
        scope = Scope(find_unit(session, args.unit)) if args.unit else Scope(None, everything=True)
    except LookupError_ as exc:
        raise ExportError(str(exc)) from None
    # An explicit day: that day's month, counted up to that day. Otherwise the month a report made today is about.
    month = period_of("month", as_of) if as_of else None
    return table_for(session, services.config, scope, today=as_of or services.now().date(), month=month,
                     layout=args.layout)


COMMANDS = {
    "init": cmd_init, "serve": cmd_serve, "chat": cmd_chat, "invite": cmd_invite, "import": cmd_import,
    "nlu": cmd_nlu, "checklists": cmd_checklists, "export": cmd_export, "record": cmd_record,
    "scheduler": cmd_scheduler, "outbox": cmd_outbox, "broadcast": cmd_broadcast, "backup": cmd_backup,
}

if __name__ == "__main__":
    sys.exit(main())
