"""Staff query latency at campaign scale.

Loads 100 000 enterprises, 1 000 000 hazards and 300 000 self-check runs into a fresh PostgreSQL database
(and a 10x smaller set into SQLite), then times the queries behind "本月还差几条", "逾期隐患" (first page),
"未自查企业" (first page), "挂牌督办" and "本月统计" for a town's and a department's staff, against a
primary-key lookup measured in the same run as the baseline. Prints p50/p95 per query and the plan of the
slowest one.

    python bench/queries.py [--scale 1.0] [--pg-url URL] [--skip-sqlite]
"""
from __future__ import annotations

import argparse
import atexit
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from storage.config import parse_config  # noqa: E402
from storage.periods import period_of  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from storage.models import Enterprise, Unit  # noqa: E402
from storage.periods import local_range  # noqa: E402
from storage.quotas import count_for  # noqa: E402
from storage.scope import Scope  # noqa: E402
from storage.queries import (figures, listed_hazards, overdue_hazards,  # noqa: E402
                             unchecked_enterprises)

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 6, 10)
INDUSTRIES = ["危险化学品", "工贸", "城镇燃气", "房屋市政工程", "烟花爆竹", "消防", "文化旅游", "道路运输", "特种设备", "校园"]
STATUSES = ["待整改", "整改中", "已整改待核查", "已销号", "已销号", "已销号", "即查即改", "即查即改"]
SOURCES = ["企业自查", "企业自查", "企业自查", "部门检查", "部门检查", "举报"]
TOWNS, DEPARTMENTS = 50, 10


def generate(engine, enterprises: int, hazards: int, runs: int, seed: int = 7) -> None:
    """Bulk-load with COPY on PostgreSQL (seconds for a million rows), executemany on SQLite."""
    rnd = random.Random(seed)
    now = datetime(2026, 6, 10, 2, tzinfo=timezone.utc)
    units = [(i + 1, f"第{i + 1}镇", "town", "[]") for i in range(TOWNS)]
    units += [(TOWNS + j + 1, f"{INDUSTRIES[j]}监管局", "department", f'["{INDUSTRIES[j]}"]') for j in range(DEPARTMENTS)]
    ents = []
    for e in range(1, enterprises + 1):
        ind = rnd.randrange(len(INDUSTRIES))
        ents.append((e, f"企业{e:06d}", ind, rnd.randrange(TOWNS) + 1, TOWNS + ind + 1,
                     "high" if rnd.random() < 0.3 else "other"))
    haz = []
    for h in range(1, hazards + 1):
        ent = ents[rnd.randrange(len(ents))]
        found = now - timedelta(days=rnd.random() * 365)
        status = rnd.choice(STATUSES)
        deadline = (found.astimezone(TZ).date() + timedelta(days=rnd.randrange(5, 90))).isoformat()
        listed = rnd.random() < 0.02
        haz.append((h, f"YH-{found:%Y%m}-{h:07d}", ent[0], ent[3], ent[4], INDUSTRIES[ent[2]], "重大" if rnd.random() < 0.2 else "一般",
                    rnd.choice(SOURCES), status, f"隐患描述{h}", deadline, found,
                    ("县级" if rnd.random() < 0.5 else "市级") if listed else None,
                    (found.astimezone(TZ).date() + timedelta(days=30)).isoformat() if listed else None))
    periods = [f"2025-{m:02d}" for m in range(7, 13)] + [f"2026-{m:02d}" for m in range(1, 7)]
    periods += ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    run_rows = []
    seen = set()
    while len(run_rows) < runs:
        ent = ents[rnd.randrange(len(ents))]
        period = rnd.choice(periods[:12] if ent[5] == "high" else periods[12:])
        if (ent[0], period) in seen:
            continue
        seen.add((ent[0], period))
        run_rows.append((len(run_rows) + 1, ent[0], period))

    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy("COPY units (id, name, kind, industries, leader, leader_phone, created_at, updated_at) FROM STDIN") as cp:
                for u in units:
                    cp.write_row((*u, "", "", now, now))
            with cur.copy("COPY enterprises (id, name, industry, town_id, department_id, risk_tier, head_name, head_phone, "
                        "liaison_leader, liaison_leader_phone, cadre, cadre_phone, created_at, updated_at) FROM STDIN") as cp:
                for e in ents:
                    cp.write_row((e[0], e[1], INDUSTRIES[e[2]], e[3], e[4], e[5], "", "", "", "", "", "", now, now))
            with cur.copy("COPY hazards (id, number, enterprise_id, town_id, department_id, industry, level, source, status, description, deadline, found_at, "
                        "supervision_level, progress_due, clause, item_id, responsible, measures, plan, note, photos, "
                        "supervision_doc, updated_at) FROM STDIN") as cp:
                for r in haz:
                    cp.write_row((*r, "", "", "", "", "", "", "[]", "", now))
            with cur.copy("COPY selfcheck_runs (id, enterprise_id, period, form_ids, form_version, status, answers, "
                        "form_state, started_at, updated_at, submitted_at) FROM STDIN") as cp:
                for r in run_rows:
                    cp.write_row((*r, '["campaign"]', "", "submitted", "{}", "{}", now, now, now))
            for table in ("units", "enterprises", "hazards", "selfcheck_runs"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            raw.commit()
            driver = raw.driver_connection
            driver.autocommit = True
            driver.execute("VACUUM ANALYZE")  # what autovacuum leaves behind in steady state
        finally:
            raw.close()
        return
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO units (id, name, kind, industries, leader, leader_phone, created_at, updated_at) "
                          "VALUES (:id, :name, :kind, :ind, '', '', :now, :now)"),
                     [dict(id=u[0], name=u[1], kind=u[2], ind=u[3], now=now) for u in units])
        conn.execute(text("INSERT INTO enterprises (id, name, industry, town_id, department_id, risk_tier, head_name, "
                          "head_phone, liaison_leader, liaison_leader_phone, cadre, cadre_phone, created_at, updated_at) "
                          "VALUES (:id, :name, :ind, :town, :dept, :tier, '', '', '', '', '', '', :now, :now)"),
                     [dict(id=e[0], name=e[1], ind=INDUSTRIES[e[2]], town=e[3], dept=e[4], tier=e[5], now=now) for e in ents])
        conn.execute(text("INSERT INTO hazards (id, number, enterprise_id, town_id, department_id, industry, level, source, "
                          "status, description, deadline, found_at, supervision_level, progress_due, clause, item_id, "
                          "responsible, measures, plan, note, photos, supervision_doc, updated_at) VALUES (:id, :num, "
                          ":ent, :town, :dept, :ind, :lv, :src, :st, :d, :dl, :f, :sl, :pd, '', '', '', '', '', '', '[]', "
                          "'', :now)"),
                     [dict(id=r[0], num=r[1], ent=r[2], town=r[3], dept=r[4], ind=r[5], lv=r[6], src=r[7], st=r[8],
                           d=r[9], dl=r[10], f=r[11].strftime("%Y-%m-%d %H:%M:%S.%f"), sl=r[12], pd=r[13], now=now)
                      for r in haz])
        conn.execute(text("INSERT INTO selfcheck_runs (id, enterprise_id, period, form_ids, form_version, status, answers, "
                          "form_state, started_at, updated_at, submitted_at) VALUES (:id, :e, :p, '[\"campaign\"]', '', "
                          "'submitted', '{}', '{}', :now, :now, :now)"),
                     [dict(id=r[0], e=r[1], p=r[2], now=now) for r in run_rows])
        conn.execute(text("ANALYZE"))


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    fn()  # warm the cache and the plan
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def measure(url: str, rounds: int) -> dict[str, tuple[float, float]]:
    engine = make_engine(url)
    config = parse_config({})
    month, quarter = period_of("month", TODAY), period_of("quarter", TODAY)
    lo, hi = local_range(month.start, month.end, TZ)
    results: dict[str, tuple[float, float]] = {}
    with Session(engine) as s:
        town = s.get(Unit, 7)
        dept = s.get(Unit, TOWNS + 2)  # the 工贸 department: the largest scope by industry
        some_ent = s.scalar(select(Enterprise.id).limit(1))
        cases: dict[str, Callable[[], object]] = {
            "baseline: enterprise by primary key": lambda: s.get(Enterprise, some_ent, populate_existing=True),
        }
        for label, unit in (("town", town), ("department", dept)):
            scope = Scope(unit)
            rules = [r for r in config.quotas if r.applies_to in ("all", unit.kind)]

            def quota(unit=unit, rules=rules) -> object:
                return [count_for(s, unit, r.counts, period_of(r.period, TODAY).start, period_of(r.period, TODAY).end, TZ)
                        for r in rules]

            cases[f"本月还差几条 ({label})"] = quota
            cases[f"逾期隐患 page 1 ({label})"] = lambda scope=scope: overdue_hazards(s, scope, TODAY, 0, 8)
            cases[f"未自查企业 page 1 ({label})"] = lambda scope=scope: unchecked_enterprises(
                s, scope, month.key, quarter.key, 0, 8)
            cases[f"挂牌督办 page 1 ({label})"] = lambda scope=scope: listed_hazards(s, scope, TODAY, 0, 8)
            cases[f"本月统计 ({label})"] = lambda scope=scope: (figures(s, scope, lo, hi), figures(s, scope, None, None))
        for name, fn in cases.items():
            samples = timed(fn, rounds)
            results[name] = (statistics.median(samples), statistics.quantiles(samples, n=20)[18])
    return results, engine


def report(title: str, results: dict[str, tuple[float, float]]) -> None:
    base = results["baseline: enterprise by primary key"][0]
    print(f"\n{title}")
    print(f"{'query':<38}{'p50 ms':>9}{'p95 ms':>9}{'p50 / baseline':>16}")
    for name, (p50, p95) in results.items():
        print(f"{name:<38}{p50:>9.2f}{p95:>9.2f}{p50 / base:>15.0f}x")


def explain_slowest(engine, results) -> None:
    name = max((n for n in results if not n.startswith("baseline")), key=lambda n: results[n][1])
    print(f"\nslowest on PostgreSQL: {name}")
    # The plans of the statements behind it, captured by echoing SQL once.
    statements: list[tuple[str, object]] = []

    from sqlalchemy import event

    def grab(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    measure_one(engine, name)
    event.remove(engine, "before_cursor_execute", grab)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for statement, parameters in statements[-2:]:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            print("\n".join(row[0] for row in cur.fetchall()))
            print()
    finally:
        raw.close()


def measure_one(engine, name: str) -> None:
    config = parse_config({})
    month, quarter = period_of("month", TODAY), period_of("quarter", TODAY)
    lo, hi = local_range(month.start, month.end, TZ)
    with Session(engine) as s:
        unit = s.get(Unit, 7) if "(town)" in name else s.get(Unit, TOWNS + 2)
        scope = Scope(unit)
        if name.startswith("本月还差几条"):
            for r in config.quotas:
                if r.applies_to in ("all", unit.kind):
                    p = period_of(r.period, TODAY)
                    count_for(s, unit, r.counts, p.start, p.end, TZ)
        elif name.startswith("逾期"):
            overdue_hazards(s, scope, TODAY, 0, 8)
        elif name.startswith("未自查"):
            unchecked_enterprises(s, scope, month.key, quarter.key, 0, 8)
        elif name.startswith("挂牌"):
            listed_hazards(s, scope, TODAY, 0, 8)
        else:
            figures(s, scope, lo, hi)


def fresh_pg(admin_url: str, name: str) -> str:
    """A new database of this name, dropped when the benchmark exits (its pid is in most names, so databases
    left behind would pile up run after run)."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    atexit.register(_drop_pg, admin_url, name)
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _drop_pg(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except Exception as exc:  # the server gone first: nothing to clean, say so and leave
        print(f"could not drop the benchmark database {name}: {exc}", file=sys.stderr)
    finally:
        admin.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description="staff query latency at campaign scale")
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 100k enterprises, 1M hazards, 300k runs")
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--skip-sqlite", action="store_true")
    args = ap.parse_args()
    n_ent, n_haz, n_run = int(100_000 * args.scale), int(1_000_000 * args.scale), int(300_000 * args.scale)

    url = fresh_pg(args.pg_url, "hazardbot_bench")
    migrate(url)
    t0 = time.perf_counter()
    generate(make_engine(url), n_ent, n_haz, n_run)
    print(f"PostgreSQL: loaded {n_ent} enterprises, {n_haz} hazards, {n_run} runs in {time.perf_counter() - t0:.0f} s")
    pg, engine = measure(url, args.rounds)
    report("PostgreSQL", pg)
    targets = [n for n in pg if n.split(" ")[0] in ("本月还差几条", "逾期隐患", "未自查企业")]
    worst = max(pg[n][1] for n in targets)
    print(f"\ntarget p95 < 100 ms for 本月还差几条 / 逾期隐患 / 未自查企业: worst p95 {worst:.1f} ms — "
          f"{'met' if worst < 100 else 'NOT met'}")
    explain_slowest(engine, pg)
    engine.dispose()

    if not args.skip_sqlite:
        path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        surl = f"sqlite:///{path}"
        migrate(surl)
        t0 = time.perf_counter()
        generate(make_engine(surl), n_ent // 10, n_haz // 10, n_run // 10)
        print(f"SQLite: loaded {n_ent // 10} enterprises, {n_haz // 10} hazards, {n_run // 10} runs in "
              f"{time.perf_counter() - t0:.0f} s")
        report("SQLite (one tenth)", measure(surl, args.rounds)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
