"""The monthly dispatch table (调度表) and hazard list, filled in from the records, in chat and on the command line."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from bot.engine import Engine
from handlers.messages import TEXT, Incoming
from conftest import make_config
from test_staff_queries import utc
from storage.dispatch_layouts import DISTRICT
from storage.models import Enterprise, Hazard, Person, Tip, Unit, WorkRecord

LINK = re.compile(r"https://aq\.example\.gov\.cn(/files/\S+)")


@pytest.fixture(params=["sqlite", "postgresql"])
def config(request, tmp_path):
    db_url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    return make_config(tmp_path, db_url, campaign={"start_date": "2026-05-01", "region": "全县"},
                       server={"public_url": "https://aq.example.gov.cn/"})


@pytest.fixture
def engine(services):
    """Two towns and a department; today is 2026-06-10, the campaign began 2026-05-01."""
    with services.sessions.begin() as s:
        a = Unit(name="青山湖镇", kind="town")
        b = Unit(name="湖东街道", kind="town")
        d = Unit(name="应急管理局", kind="department", industries=["危险化学品"])
        s.add_all([a, b, d])
        s.flush()
        chem = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=a.id, department_id=d.id, risk_tier="high")
        wood = Enterprise(name="湖畔家具厂", industry="工贸", town_id=a.id, risk_tier="other")
        far = Enterprise(name="东湖烟花仓库", industry="烟花爆竹", town_id=b.id, risk_tier="high")
        s.add_all([chem, wood, far])
        s.flush()

        def major(ent, source, status, found, **kw):
            return Hazard(enterprise_id=ent.id, level="重大", source=source, status=status, found_at=found,
                          description=f"{ent.name}{source}{status}", **kw)

        s.add_all([
            major(chem, "企业自查", "已销号", utc(2026, 5, 3), number="YH-1"),
            major(chem, "企业自查", "即查即改", utc(2026, 5, 9), number="YH-2"),
            major(wood, "企业自查", "整改中", utc(2026, 6, 2), number="YH-3"),
            major(wood, "企业自查", "已整改待核查", utc(2026, 6, 4), number="YH-4"),  # claimed, not verified
            major(chem, "部门检查", "待整改", utc(2026, 6, 1), number="YH-5", supervision_level="县级",
                  supervision_doc="县安委办〔2026〕3号"),
            major(wood, "举报", "已销号", utc(2026, 5, 20), number="YH-6", supervision_level="市级"),
            # Not counted: before the campaign, a draft, a 一般 hazard, another town, after today.
            major(chem, "企业自查", "已销号", utc(2026, 4, 20), number="YH-7"),
            major(chem, "企业自查", "草稿", utc(2026, 6, 3)),
            Hazard(enterprise_id=chem.id, level="一般", source="企业自查", status="已销号", found_at=utc(2026, 6, 3),
                   number="YH-8", description="一般"),
            major(far, "部门检查", "待整改", utc(2026, 6, 2), number="YH-9"),
        ])
        s.add_all([WorkRecord(unit_id=a.id, kind="leader_supervisions", day="2026-05-12", note="镇长督导"),
                   WorkRecord(unit_id=a.id, kind="leader_supervisions", day="2026-06-08", note="副镇长督导"),
                   WorkRecord(unit_id=a.id, kind="leader_supervisions", day="2026-04-28", note="行动之前"),
                   WorkRecord(unit_id=b.id, kind="leader_supervisions", day="2026-06-08", note="别的镇")])
        s.add_all([Tip(number="JB-1", receipt_hash="h1", what="x", unit_id=a.id, received_on="2026-05-10",
                       decided_on="2026-05-15", status="已奖励", reward_yuan=3000, major=True),
                   Tip(number="JB-2", receipt_hash="h2", what="y", unit_id=a.id, received_on="2026-06-01",
                       decided_on="2026-06-05", status="已奖励", reward_yuan=500, major=True),
                   Tip(number="JB-3", receipt_hash="h3", what="z", unit_id=b.id, received_on="2026-06-01",
                       decided_on="2026-06-05", status="已奖励", reward_yuan=9000, major=True)])
        s.add_all([Person(channel="sim", external_id="clerk_a", role="staff", unit_id=a.id),
                   Person(channel="sim", external_id="dept", role="staff", unit_id=d.id),
                   Person(channel="sim", external_id="admin", role="admin"),
                   Person(channel="sim", external_id="boss", role="enterprise_head", enterprise_id=chem.id)])
    return Engine(services)


def ask(engine: Engine, user: str, text: str) -> list[str]:
    ask.n += 1
    return engine.handle(Incoming(channel="sim", user_id=user, msg_key=f"d{ask.n}", kind=TEXT,
                                  created_at=datetime.now(timezone.utc), text=text))


ask.n = 0


def values(ws) -> dict[str, object]:
    """Indicator label -> its first value cell (value, fill colour), read from the sheet's two-per-row layout:
    序号, 指标, two value columns, twice."""
    out = {}
    for row in ws.iter_rows(min_row=3):
        for number_col in (1, 5):
            if isinstance(row[number_col].value, int) and isinstance(row[number_col + 1].value, str):
                value = row[number_col + 2]
                out[row[number_col + 1].value.rstrip("*")] = (value.value, value.fill.fgColor.rgb)
    return out


def test_a_town_gets_its_figures_in_chat_and_the_filled_form_from_the_link(engine, client):
    text, files = ask(engine, "clerk_a", "生成本月调度表")
    assert "青山湖镇 调度表（2026年6月）：2026年5月1日（专项整治开始）至2026年6月10日累计" in text
    # Self-check: YH-1, 2, 3, 4 (YH-7 predates the campaign); rectified: closed or fixed on the spot, not merely claimed.
    assert "1. 企业自查发现的重大事故隐患（个）：4" in text
    assert "2. 企业自查发现重大事故隐患中已完成整改的（个）：2" in text
    assert "3. 部门检查发现的重大事故隐患（个）：1" in text
    assert "4. 部门检查发现重大事故隐患中已完成整改的（个）：0" in text
    assert "5. 政府挂牌督办的重大事故隐患（个）：2" in text
    assert "6. 挂牌督办重大事故隐患中已完成整改的（个）：1" in text
    assert "3. 乡镇政府负责同志分别现场督导检查（次）：2" in text
    assert "5. 举报奖励（万元），其中匿名举报查实奖励（万元）：0.35，其中 0.35" in text
    assert "还有 16 项未填报" in text and "填报调度表" in text
    assert "24 小时内有效" in files
    dispatch, hazards = LINK.findall(files)

    resp = client.get(dispatch)
    assert resp.status_code == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert ws["A1"].value == "全县重大事故隐患专项排查整治进展情况调度表"
    assert ws["A2"].value == "单位：青山湖镇" and ws["F2"].value == "时间：2026年6月10日"
    cells = values(ws)
    assert len(cells) == sum(len(s.indicators) for s in DISTRICT.sections)
    assert cells["企业自查发现的重大事故隐患（个）"][0] == 4  # a number a clerk can add up
    assert cells["挂牌督办重大事故隐患中已完成整改的（个）"][0] == 1
    blank, colour = cells["行政处罚（次，万元）"]
    assert blank is None and colour.endswith("FFF2CC")  # left for staff, marked
    assert not cells["企业自查发现的重大事故隐患（个）"][1].endswith("FFF2CC")
    assert any("专项整治开展以来的累计数据" in str(c.value) for c in ws["A"])
    assert any("每月16日前报送县安委办" in str(c.value) for c in ws["A"])  # the report day, as the form writes it

    resp = client.get(hazards)
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert ws["A1"].value == "重大隐患（重点隐患）清单"
    listed = [row[4] for row in ws.iter_rows(min_row=4, values_only=True)]
    assert sorted(listed) == sorted(f"{e}{s}{st}" for e, s, st in [
        ("青山化工有限公司", "企业自查", "已销号"), ("青山化工有限公司", "企业自查", "即查即改"),
        ("湖畔家具厂", "企业自查", "整改中"), ("湖畔家具厂", "企业自查", "已整改待核查"),
        ("青山化工有限公司", "部门检查", "待整改"), ("湖畔家具厂", "举报", "已销号")])
    assert any("县级挂牌督办 县安委办〔2026〕3号" == row[6] for row in ws.iter_rows(min_row=4, values_only=True))


def test_a_department_reports_only_spot_checks_and_enforcement(engine, client):
    text, files = ask(engine, "dept", "调度表怎么报")
    assert "【对企业自查自改进行抽查检查情况】" in text and "还有 10 项未填报" in text
    ws = load_workbook(io.BytesIO(client.get(LINK.findall(files)[0]).data)).active
    sections = {row[0] for row in ws.iter_rows(min_row=3, values_only=True) if isinstance(row[1], int) and row[0]}
    assert sections == {"对企业自查自改进行抽查检查情况", "部门精准严格执法情况"}
    assert ws["A2"].value == "单位：应急管理局"


def test_an_admin_sees_every_unit(engine):
    text, _ = ask(engine, "admin", "导出调度表")
    assert "全部单位 调度表" in text
    assert "3. 部门检查发现的重大事故隐患（个）：2" in text  # 湖东街道's YH-9 too
    assert "0.35" not in text and "1.25，其中 1.25" in text


def test_enterprise_heads_cannot_generate_it(engine):
    reply = ask(engine, "boss", "生成调度表")[0]
    assert "不是企业主要负责人可以办理的事项" in reply and "/files/" not in reply


def test_links_are_signed_expire_and_follow_the_records(engine, client, clock):
    _, files = ask(engine, "clerk_a", "生成调度表")
    dispatch = LINK.findall(files)[0]
    forged = dispatch[:-3] + ("aaa" if not dispatch.endswith("aaa") else "bbb")
    assert client.get(forged).status_code == 404
    assert client.get("/files/not-a-token").status_code == 404
    # Built when opened: a hazard recorded after the link was sent (on the same day) is in the file.
    services = engine.services
    with services.sessions.begin() as s:
        wood = s.query(Enterprise).filter_by(name="湖畔家具厂").one()
        s.add(Hazard(enterprise_id=wood.id, level="重大", source="企业自查", status="待整改", found_at=utc(2026, 6, 10, 1),
                     number="YH-10", description="新发现"))
    ws = load_workbook(io.BytesIO(client.get(dispatch).data)).active
    assert values(ws)["企业自查发现的重大事故隐患（个）"][0] == 5
    # itsdangerous reads the wall clock: an old timestamp stands in for a day passing.
    import itsdangerous.timed

    real = itsdangerous.timed.TimestampSigner.get_timestamp
    itsdangerous.timed.TimestampSigner.get_timestamp = lambda self: int(real(self) - timedelta(hours=25).total_seconds())
    try:
        _, files = ask(engine, "clerk_a", "生成调度表")
    finally:
        itsdangerous.timed.TimestampSigner.get_timestamp = real
    resp = client.get(LINK.findall(files)[0])
    assert resp.status_code == 410 and "链接已过期" in resp.get_data(as_text=True)


def test_export_dispatch_from_the_command_line(engine, services, tmp_path, capsys):
    import json

    from bot.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{services.config.database.url}"\n[server]\ninstance_dir = "{tmp_path}"\n'
                   f'[campaign]\nstart_date = "2026-05-01"\n'
                   f'[selfcheck]\nchecklists_dir = "{services.config.selfcheck.checklists_dir}"\n[selfcheck.banks]\n')
    assert main(["--config", str(cfg), "export", "dispatch", "--unit", "青山湖", "--date", "2026-05-31"]) == 0
    records = json.loads(capsys.readouterr().out)
    rows = {r["label"]: r["value"] for r in records}
    assert rows["企业自查发现的重大事故隐患（个）"] == "2"  # YH-1 and YH-2 by May 31
    assert rows["举报奖励（万元），其中匿名举报查实奖励（万元）"] == "0.3，其中 0.3"
    assert rows["行政处罚（次，万元）"] == ""
    parts = {p["key"]: p for r in records for p in r["parts"]}
    assert parts["total.selfcheck_found"] == {"key": "total.selfcheck_found", "value": 2, "origin": "records"}
    out = tmp_path / "d.xlsx"
    assert main(["--config", str(cfg), "export", "dispatch", "--format", "xlsx", "-o", str(out)]) == 0
    ws = load_workbook(out).active
    assert ws["A1"].value == "全区重大事故隐患专项排查整治进展情况调度表" and ws["A2"].value == "单位：全部单位"
    assert main(["--config", str(cfg), "export", "dispatch", "--unit", "没有这个单位"]) == 1
    assert "没有" in capsys.readouterr().err
    assert main(["--config", str(cfg), "export", "dispatch", "--date", "6月1日"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_the_form_is_never_answered_as_not_yet_available(engine):
    for text in ("生成调度表", "导出隐患清单", "附件1怎么填"):
        assert "暂未开通" not in "\n".join(ask(engine, "clerk_a", text))
