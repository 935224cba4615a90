"""Staff questions answer exactly, for the asker's unit only."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.engine import Engine
from handlers.messages import TEXT, Incoming
from storage.models import Enterprise, Hazard, Person, SelfCheckRun, Unit


def ask(engine: Engine, user: str, text: str) -> str:
    ask.n += 1
    return engine.handle(Incoming(channel="sim", user_id=user, msg_key=f"q{ask.n}", kind=TEXT,
                                  created_at=datetime.now(timezone.utc), text=text))[0]


ask.n = 0


def utc(y, m, d, h=2):
    return datetime(y, m, d, h, tzinfo=timezone.utc)


@pytest.fixture
def world(services):
    """Two towns and a department; hazards and self-checks spread over them. Today is 2026-06-10."""
    with services.sessions.begin() as s:
        a = Unit(name="青山湖镇", kind="town")
        b = Unit(name="湖东街道", kind="town")
        d = Unit(name="应急管理局", kind="department", industries=["危险化学品"])
        s.add_all([a, b, d])
        s.flush()
        ents = {
            "chem": Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=a.id, department_id=d.id, risk_tier="high"),
            "wood": Enterprise(name="湖畔家具厂", industry="工贸", town_id=a.id, risk_tier="other"),
            "far": Enterprise(name="东湖烟花仓库", industry="烟花爆竹", town_id=b.id, risk_tier="high"),
        }
        s.add_all(ents.values())
        s.flush()
        H = lambda e, **kw: Hazard(enterprise_id=ents[e].id, **{"level": "一般", "source": "企业自查", "status": "待整改", **kw})
        s.add_all([
            # 青山湖镇: one major this month (counts), one major last month (does not), one major draft (does not).
            H("chem", level="重大", found_at=utc(2026, 6, 3), number="YH-202606-0001", description="储罐区可燃气体报警器失效",
              deadline="2026-06-05"),
            H("wood", level="重大", found_at=utc(2026, 5, 20), number="YH-202605-0001", description="粉尘除尘系统未接地",
              deadline="2026-06-01", status="整改中"),
            H("wood", level="重大", found_at=utc(2026, 6, 4), status="草稿"),
            # 23:30 on May 31 in Shanghai is May 31: not this month even though it is... 15:30 UTC May 31.
            H("chem", level="重大", found_at=datetime(2026, 5, 31, 15, 30, tzinfo=timezone.utc), number="YH-202605-0002",
              description="动火作业未审批", deadline="2026-07-01"),
            # 16:30 UTC May 31 is 00:30 on June 1 in Shanghai: this month.
            H("chem", level="一般", found_at=datetime(2026, 5, 31, 16, 30, tzinfo=timezone.utc), number="YH-202606-0002",
              description="消防通道堆放杂物", deadline="2026-06-08", status="已销号"),
            # 湖东街道: overdue hazard the other town must never see.
            H("far", level="重大", found_at=utc(2026, 6, 2), number="YH-202606-0003", description="仓库超量储存烟花",
              deadline="2026-06-06", source="部门检查"),
        ])
        s.add(SelfCheckRun(enterprise_id=ents["wood"].id, period="2026-Q2", status="submitted", form_ids=["campaign"]))
        people = [Person(channel="sim", external_id="clerk_a", role="staff", unit_id=a.id),
                  Person(channel="sim", external_id="clerk_b", role="staff", unit_id=b.id),
                  Person(channel="sim", external_id="dept", role="staff", unit_id=d.id),
                  Person(channel="sim", external_id="admin", role="admin"),
                  Person(channel="sim", external_id="boss", role="enterprise_head", enterprise_id=ents["chem"].id)]
        s.add_all(people)
    return Engine(services)


def test_quota_counts_this_month_in_shanghai_time(world):
    reply = ask(world, "clerk_a", "本月还差几条")
    assert "青山湖镇指标完成情况" in reply
    assert "· 发现重大事故隐患（2026年6月）：1/1，已完成" in reply
    assert "· 上报典型案例（2026年6月）：0/1，还差 1" in reply
    assert "· 向市报送典型执法案例（2026年第二季度）：0/1，还差 1" in reply
    assert "还差 2 项未完成，最近截止 06月30日（剩 20 天）" in reply


def test_recorded_work_counts(world):
    assert "已登记典型案例" in ask(world, "clerk_a", "登记典型案例 青山化工违规动火作业被立案处罚")
    assert "请在「登记典型案例」后面写上" in ask(world, "clerk_a", "登记典型案例")
    reply = ask(world, "clerk_a", "本月还差几条")
    assert "上报典型案例（2026年6月）：1/1，已完成" in reply and "还差 1 项未完成" in reply


def test_department_counts_only_its_own_inspections(world):
    reply = ask(world, "dept", "本月还差几条")
    assert "排查重大隐患（部门检查）（2026年6月）：0/1，还差 1" in reply
    assert "小微企业安全检查" in reply


def test_overdue_oldest_first_and_scoped(world):
    reply = ask(world, "clerk_a", "逾期隐患")
    assert "共 2 条" in reply
    first, second = reply.index("YH-202605-0001"), reply.index("YH-202606-0001")
    assert first < second and "逾期 9 天" in reply and "逾期 5 天" in reply
    assert "东湖烟花" not in reply and "YH-202606-0003" not in reply
    other = ask(world, "clerk_b", "有哪些隐患逾期了")
    assert "YH-202606-0003" in other and "青山化工" not in other


def test_overdue_in_the_words_staff_use_lists_the_overdue_hazards(world):
    listed = ask(world, "clerk_a", "逾期隐患")
    for words in ("过期没整改的", "超期未整改的", "逾期的隐患"):
        reply = ask(world, "clerk_a", words)
        # The list itself, not the first question of a hazard form.
        assert reply == listed, words


def test_guessing_another_units_name_shows_only_your_own(world):
    reply = ask(world, "clerk_a", "湖东街道逾期隐患")
    assert "只能查询本单位（青山湖镇）" in reply and "东湖烟花" not in reply
    quota = ask(world, "clerk_a", "湖东街道还差几条")
    assert "青山湖镇指标完成情况" in quota and "湖东街道指标" not in quota


def test_admin_may_name_any_unit(world):
    assert "湖东街道指标完成情况" in ask(world, "admin", "湖东街道还差几条")
    overview = ask(world, "admin", "本月还差几条")
    assert "青山湖镇：还差" in overview and "湖东街道：还差" in overview


def test_unchecked_high_risk_first(world):
    reply = ask(world, "clerk_a", "未自查企业")
    assert "共 1 条" in reply and "青山化工有限公司（青山湖镇，高危·月度）" in reply and "湖畔家具厂" not in reply
    dept = ask(world, "dept", "未自查企业")
    assert "青山化工" in dept and "东湖烟花" not in dept  # only the enterprises assigned to the department


def test_enterprise_users_are_refused_politely(world):
    for question in ("本月还差几条", "逾期隐患", "未自查企业", "本月统计"):
        reply = ask(world, "boss", question)
        assert "不是企业主要负责人可以办理的事项" in reply and "YH-" not in reply


def test_stats_by_level_and_source(world):
    reply = ask(world, "clerk_a", "本月统计")
    assert "本月：发现隐患 2 条（重大 1，一般 1）" in reply
    assert "已整改 1（重大 0），未整改 1（重大 1）" in reply
    assert "累计：发现隐患 4 条（重大 3，一般 1）" in reply


def test_long_lists_are_paged(world, services):
    with services.sessions.begin() as s:
        town = s.query(Unit).filter_by(name="青山湖镇").one()
        for i in range(20):
            e = Enterprise(name=f"小作坊{i:02d}", industry="工贸", town_id=town.id, risk_tier="other")
            s.add(e)
    first = ask(world, "clerk_a", "未自查企业")
    assert "共 21 条，第 1/3 页" in first and "回复「下一页」" in first
    second = ask(world, "clerk_a", "下一页")
    assert "第 2/3 页" in second and "9. " in second
    third = ask(world, "clerk_a", "下一页")
    assert "第 3/3 页" in third and "下一页" not in third
    assert "没有可以翻页的列表" in ask(world, "clerk_a", "下一页")


def test_cli_record_counts_toward_the_quota(world, services, tmp_path, capsys):
    from bot.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{services.config.database.url}"\n[server]\ninstance_dir = "{tmp_path}"\n'
                   f'[selfcheck]\nchecklists_dir = "{services.config.selfcheck.checklists_dir}"\n[selfcheck.banks]\n')
    assert main(["--config", str(cfg), "record", "--unit", "青山湖", "--kind", "typical_cases", "--date", "2026-06-09",
                 "--note", "违规动火案"]) == 0
    assert "已登记：青山湖镇" in capsys.readouterr().out
    assert main(["--config", str(cfg), "record", "--unit", "不存在", "--kind", "typical_cases", "--note", "x"]) == 1
    assert main(["--config", str(cfg), "record", "--unit", "青山湖镇", "--kind", "typical_cases", "--date", "6/9",
                 "--note", "x"]) == 1
    assert "上报典型案例（2026年6月）：1/1，已完成" in ask(world, "clerk_a", "本月还差几条")


def test_open_state_literal_matches_the_ledger_and_the_index():
    from storage.ledger import OPEN_STATES
    from storage.models import Hazard
    from storage.queries import IS_OPEN

    literal = {v.strip(" '") for v in str(IS_OPEN).split("(", 1)[1].rstrip(")").split(",")}
    assert literal == set(OPEN_STATES)
    index = next(i for i in Hazard.__table__.indexes if i.name == "ix_hazards_town_id_open")
    assert str(index.dialect_options["postgresql"]["where"]) == str(IS_OPEN).replace("hazards.", "")


def test_moving_an_enterprise_moves_its_hazards_between_units(world, services):
    with services.sessions.begin() as s:
        chem = s.query(Enterprise).filter_by(name="青山化工有限公司").one()
        chem.town_id = s.query(Unit).filter_by(name="湖东街道").one().id
    assert "青山化工" in ask(world, "clerk_b", "逾期隐患")
    assert "青山化工" not in ask(world, "clerk_a", "逾期隐患")


def test_export_hazards_in_the_official_layout(world, services, tmp_path, capsys):
    import json

    from openpyxl import load_workbook

    from bot.cli import main
    from bot.exports import HAZARD_COLUMNS

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{services.config.database.url}"\n[server]\ninstance_dir = "{tmp_path}"\n'
                   f'[selfcheck]\nchecklists_dir = "{services.config.selfcheck.checklists_dir}"\n[selfcheck.banks]\n')
    out = tmp_path / "list.xlsx"
    assert main(["--config", str(cfg), "export", "hazards", "--format", "xlsx", "--level", "重大", "--unit", "青山湖镇",
                 "-o", str(out)]) == 0
    ws = load_workbook(out).active
    assert ws["A1"].value == "重大隐患（重点隐患）清单"  # the form's own title; the unit goes in 填报单位
    assert "填报单位（盖章）：青山湖镇" in ws["A2"].value and any("填报时间" in str(c.value) for c in ws[2])
    assert tuple(c.value for c in ws[3]) == HAZARD_COLUMNS
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    assert [r[2] for r in rows] == ["湖畔家具厂", "青山化工有限公司", "青山化工有限公司"]  # by date found; drafts left out
    assert rows[0][0] == 1 and rows[0][3] == "工贸" and rows[0][8].startswith("整改中")
    assert ws["E3"].value == "重大隐患（重点隐患）描述"
    assert ws.page_setup.orientation == "landscape"
    assert main(["--config", str(cfg), "export", "hazards", "--month", "2026-06"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(r["number"] for r in data) == ["YH-202606-0001", "YH-202606-0002", "YH-202606-0003"]
