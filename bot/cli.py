"""The `hazardbot` command."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from storage.config import Config, ConfigError, load_config

from .cli_data import (
    cmd_broadcast,
    cmd_checklists,
    cmd_export,
    cmd_import,
    cmd_invite,
    cmd_nlu,
    cmd_outbox,
    cmd_record,
    services_for,
)
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


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    from .startup import check_port
    from .startup import warnings as startup_warnings

    host, port = args.host or config.server.host, args.port or config.server.port
    # First of all: a second `serve` on a taken port must stop before it migrates or sweeps anything.
    check_port(host, port)
    from waitress.server import create_server

    from .app import check_channel_keys, create_app, freeze_startup_objects

    check_channel_keys(config)
    services = services_for(config)
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
        server.close()  # waits (up to 5 s) for the requests in hand
        app.extensions["hazardbot"].stop()
        if scheduler is not None and jobs is not None:
            _shutdown(scheduler, jobs)
    return 0


def cmd_scheduler(config: Config, args: argparse.Namespace) -> int:
    from scheduler.runner import Jobs, build_scheduler

    from .logs import configure_logging
    from .metrics import DeliveryMetrics

    services = services_for(config)
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


def cmd_chat(config: Config, args: argparse.Namespace) -> int:
    from .channels.terminal import run_chat

    services = services_for(config)
    run_chat(services, args.user, sys.stdin, sys.stdout)
    return 0


COMMANDS = {
    "init": cmd_init, "serve": cmd_serve, "chat": cmd_chat, "invite": cmd_invite, "import": cmd_import,
    "nlu": cmd_nlu, "checklists": cmd_checklists, "export": cmd_export, "record": cmd_record,
    "scheduler": cmd_scheduler, "outbox": cmd_outbox, "broadcast": cmd_broadcast, "backup": cmd_backup,
}

if __name__ == "__main__":
    sys.exit(main())
