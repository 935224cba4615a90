"""The `hazardbot` commands that read or change the records — invitations, imports, exports, records of
work, broadcasts, the outbox — and the recogniser and checklist tools; bot/cli.py parses the command line and
runs the processes (init, serve, scheduler, backup, chat)."""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from storage.config import Config

from .startup import check_database

D = TypeVar("D", date, None)


def services_for(config: Config, *, app: bool = True) -> Any:
    """app=False: an operator's command (bot.command_services): no recogniser, no API clients, no handlers."""
    from storage.db import ensure_schema

    check_database(config.database.url)
    # The embedded default must run from a fresh clone with one command: bring the schema up first.
    ensure_schema(config.database.url)
    if not app:
        from .command_services import build_command_services

        return build_command_services(config)
    from .services import build_services

    return build_services(config)


def day_argument(value: str | None, default: D) -> date | D:
    """A --date / --day argument as a day (YYYY-MM-DD), or `default` when none was given; ValueError with the
    operator's message when it is no day."""
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"日期应为 YYYY-MM-DD（收到：{value}）") from None


def cmd_outbox(config: Config, args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from storage.models import Outbox

    services = services_for(config, app=False)
    with services.sessions() as session:
        counts = dict(session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all())
        print("，".join(f"{k} {v}" for k, v in sorted(counts.items())) or "发件箱是空的")
        if args.failed:
            labels = {"failed": "失败", "unsure": "状态不明"}
            for row in session.scalars(select(Outbox).where(Outbox.status.in_(list(labels))).order_by(Outbox.id)):
                whom = f"{row.channel}:{row.recipient}" if row.recipient else f"{row.channel}:（延迟回复，已清除）"
                print(f"#{row.id} {labels[row.status]} {whom} {row.rule or '回复'}：{row.last_error}")
    return 0


def cmd_invite(config: Config, args: argparse.Namespace) -> int:
    from storage.invites import InviteError, create_invite

    from .registry_lookup import LookupError_, find_enterprise, find_unit

    services = services_for(config, app=False)
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
    services = services_for(config, app=False)
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
    from handlers.forms.checks import validate_directory

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

    from storage.models import WorkRecord

    from .registry_lookup import LookupError_, find_unit

    services = services_for(config, app=False)
    try:
        day = day_argument(args.date, services.now().date())
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
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

    from sqlalchemy import select

    from storage.models import Broadcast, Unit

    from .registry_lookup import LookupError_, find_unit

    services = services_for(config, app=False)
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
        day = day_argument(args.day, today)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
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

    services = services_for(config, app=False)
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

    from storage.dispatch import table_for
    from storage.periods import period_of
    from storage.scope import Scope

    from .exports import ExportError
    from .registry_lookup import LookupError_, find_unit

    try:
        as_of = day_argument(args.date, None)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    try:
        scope = Scope(find_unit(session, args.unit)) if args.unit else Scope(None, everything=True)
    except LookupError_ as exc:
        raise ExportError(str(exc)) from None
    # An explicit day: that day's month, counted up to that day. Otherwise the month a report made today is about.
    month = period_of("month", as_of) if as_of else None
    return table_for(session, services.config, scope, today=as_of or services.now().date(), month=month,
                     layout=args.layout)
