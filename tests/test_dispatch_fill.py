"""The 调度表 filled in all the way: 填报调度表 in chat, the county and department layouts, and Excel files a clerk
can print and add up (checked against the database)."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from backoffice_world import Chat, build_world
from conftest import make_config
from storage.dispatch import table_for
from storage.models import DispatchEntry, Hazard, Unit
from storage.scope import Scope


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path, campaign={"start_date": "2026-05-01"})


@pytest.fixture
def world(services):
    return build_world(services)


def test_filling_in_by_chat_asks_only_what_is_missing_with_last_months_value(services, world):
    chat = Chat(services)
    with services.sessions.begin() as s:  # last month's figures, and one figure already entered this month
        for key, value in (("help.key_areas", 2), ("enf.penalties", 3), ("gov.media_column", 1)):
            s.add(DispatchEntry(unit_id=world["towns"][0], month="2026-05", key=key, value=value))
        s.add(DispatchEntry(unit_id=world["towns"][0], month="2026-06", key="enf.talks", value=1))
    first = chat.text("clerk_a", "填报调度表")
    assert "共 16 项未填" in first and "（1/16）帮扶指导重点县（个次）" in first and "上月填的是 2" in first
    assert "（2/16）" in chat.text("clerk_a", "同上")
    assert "请填写数字" in chat.text("clerk_a", "很多")  # one line, and the same question again
    assert "行政处罚（次，万元）：次数" in chat.text("clerk_a", "4")  # 帮扶指导重点企业
    assert "帮扶指导重点企业（家次）" in chat.text("clerk_a", "返回")  # back one question
    answers = {"行政处罚（次，万元）：次数": "同上", "行政处罚（次，万元）：金额（万元）": "1.5万元"}
    reply = chat.text("clerk_a", "5")
    for _ in range(20):
        if "请核对" in reply:
            break
        label = next((k for k in answers if k in reply), None)
        reply = chat.text("clerk_a", answers[label] if label else ("1" if "1. 是" in reply else "0"))
    assert "请核对" in reply and "1. 帮扶指导重点县（个次）：2" in reply and "行政处罚（次，万元）：金额（万元）：1.5" in reply
    assert "修改（回复「修改 序号」）" in reply
    edited = chat.text("clerk_a", "修改 2")
    assert "帮扶指导重点企业（家次）" in edited
    assert "请核对" in chat.text("clerk_a", "6")
    saved = chat.text("clerk_a", "1")
    assert "已保存 16 项" in saved and "已全部填好" in saved
    with services.sessions() as s:
        june = dict(s.execute(select(DispatchEntry.key, DispatchEntry.value)
                              .where(DispatchEntry.month == "2026-06")).all())
    assert june["help.key_areas"] == 2 and june["help.key_enterprises"] == 6 and june["enf.penalty_wan"] == 1.5
    assert june["enf.penalties"] == 3 and june["enf.talks"] == 1
    assert "都已填好" in chat.text("clerk_a", "填报调度表")
    with services.sessions() as s:
        table = table_for(s, services.config, Scope(s.get(Unit, world["towns"][0])), today=services.now().date())
        assert table.missing == 0


def test_cancelling_saves_nothing_and_enterprise_heads_cannot_fill_it(services, world):
    chat = Chat(services)
    chat.text("clerk_a", "填报调度表")
    chat.text("clerk_a", "3")
    assert "已取消" in chat.text("clerk_a", "取消")
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(DispatchEntry)) == 0
    assert "不是企业主要负责人可以办理的事项" in chat.text("boss", "填报调度表")


def test_the_county_layout_reports_last_month_with_enterprise_counts(tmp_path, recognizer, clock):
    from bot.services import build_services
    from storage.db import migrate

    cfg = make_config(tmp_path, campaign={"start_date": "2026-05-01", "layout": "county", "region": "全市"},
                      scheduler={"report_day": 23})
    migrate(cfg.database.url)
    services = build_services(cfg, clock=clock, nlu=recognizer)
    try:
        world = build_world(services)
        with services.sessions() as s:
            town = Scope(s.get(Unit, world["towns"][0]))
            table = table_for(s, cfg, town, today=services.now().date())
            assert table.layout.name == "county" and table.month.key == "2026-05"  # "上报前一个月"
            cells = {c.label: c for _, c in table.cells}
            assert cells["辖区企业/建设项目数量（家）"].value == "2"
            assert "企业自查发现重大事故隐患中已完成整治的（个）" in cells
            from storage.dispatch import form_notes

            assert any("每月23日上报前一个月的情况信息" in n and "从5月份开始上报" in n for n in form_notes(cfg, table))
            dept = table_for(s, cfg, Scope(s.get(Unit, world["dept"])), today=services.now().date())
            assert dept.layout.name == "department"
            labels = [c.label for _, c in dept.cells]
            assert labels[0] == "行业领域企业/建设项目数量（家）" and "执法人员专题培训（人次）" in labels
    finally:
        services.close()


def test_export_dispatch_takes_a_layout(services, world, tmp_path, capsys):
    import json

    from bot.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{services.config.database.url}"\n[server]\ninstance_dir = "{tmp_path}"\n'
                   f'[selfcheck]\nchecklists_dir = "{services.config.selfcheck.checklists_dir}"\n[selfcheck.banks]\n')
    assert main(["--config", str(cfg), "export", "dispatch", "--unit", "应急管理局", "--layout", "department"]) == 0
    labels = [r["label"] for r in json.loads(capsys.readouterr().out)]
    assert labels[:2] == ["行业领域企业/建设项目数量（家）", "部门抽查检查的企业总数（家）"]


# -- Excel a clerk can print and add up ----------------------------------------------------------------

def export(services, tmp_path, *args: str):
    from bot.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{services.config.database.url}"\n[server]\ninstance_dir = "{tmp_path}"\n'
                   f'[campaign]\nstart_date = "2026-05-01"\n'
                   f'[selfcheck]\nchecklists_dir = "{services.config.selfcheck.checklists_dir}"\n[selfcheck.banks]\n')
    out = tmp_path / f"{'-'.join(args)}.xlsx"
    assert main(["--config", str(cfg), "export", *args, "--format", "xlsx", "-o", str(out)]) == 0
    return out


def test_the_hazard_list_has_numbers_levels_dates_and_amounts_that_add_up(services, world, tmp_path):
    from datetime import datetime

    ws = load_workbook(export(services, tmp_path, "hazards", "--detailed")).active
    header = [c.value for c in ws[3]]
    assert header[:6] == ["序号", "隐患编号", "乡镇/部门", "企业（项目）", "所属行业领域", "隐患等级"]
    second_row = " ".join(str(c.value) for c in ws[2] if c.value)
    assert ws["A1"].font.bold and "填报人" in second_row and "联系电话" in second_row
    rows = list(ws.iter_rows(min_row=4))
    col = {name: header.index(name) for name in ("隐患编号", "整改期限", "资金（万元）", "隐患等级")}
    assert all(isinstance(r[0].value, int) for r in rows)
    assert all(isinstance(r[col["整改期限"]].value, datetime) for r in rows)  # dates, not text
    with services.sessions() as s:
        total = s.scalar(select(func.sum(Hazard.funds_wan)))
        numbers = sorted(s.scalars(select(Hazard.number)))
    assert sum(r[col["资金（万元）"]].value for r in rows) == pytest.approx(total)
    assert sorted(r[col["隐患编号"]].value for r in rows) == numbers
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows in ("3:3", "$3:$3")


def test_the_major_list_is_headed_as_the_form_and_its_rows_fit_their_text(services, world, tmp_path):
    with services.sessions.begin() as s:
        s.scalars(select(Hazard).where(Hazard.number == "YH-202606-0001")).one().description = "储罐区" * 40
    ws = load_workbook(export(services, tmp_path, "hazards", "--level", "重大")).active
    assert ws["A1"].value == "重大隐患（重点隐患）清单" and ws["A1"].font.bold
    assert [c.value for c in ws[3]][4] == "重大隐患（重点隐患）描述"
    second_row = " ".join(str(c.value) for c in ws[2] if c.value)
    assert "填报人" in second_row and "联系电话" in second_row and "填报时间" in second_row
    long_row = next(r[0].row for r in ws.iter_rows(min_row=4) if "储罐区储罐区" in str(r[4].value))
    assert ws.row_dimensions[long_row].height >= 15 * 6  # 120 characters in a 36-wide column: six lines or more


def test_the_dispatch_file_holds_numbers_and_totals_match_the_records(services, world, tmp_path):
    with services.sessions.begin() as s:
        s.add(DispatchEntry(unit_id=world["towns"][0], month="2026-06", key="enf.penalty_wan", value=2.25))
        s.add(DispatchEntry(unit_id=world["towns"][0], month="2026-06", key="gov.media_column", value=1))
    ws = load_workbook(export(services, tmp_path, "dispatch", "--unit", "青山湖镇", "--date", "2026-06-10")).active
    found = {}
    for row in ws.iter_rows(min_row=3):
        for start in (1, 5):
            if isinstance(row[start].value, int) and isinstance(row[start + 1].value, str):
                found[row[start + 1].value.rstrip("*")] = (row[start + 2].value, row[start + 3].value)
    with services.sessions() as s:
        majors = s.scalar(select(func.count()).select_from(Hazard).where(
            Hazard.level == "重大", Hazard.source == "企业自查", Hazard.town_id == world["towns"][0]))
    assert found["企业自查发现的重大事故隐患（个）"][0] == majors and isinstance(majors, int)
    assert found["行政处罚（次，万元）"] == (None, 2.25)
    assert found["是否在主流媒体设置安全生产专题栏目"][0] == "是"
    assert ws.cell(3, 1).value == "总体情况" and ws["A1"].font.bold


def test_the_selfcheck_export_is_set_up_for_printing(services, world, tmp_path):
    ws = load_workbook(export(services, tmp_path, "selfchecks")).active
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows in ("2:2", "$2:$2")
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws["A1"].font.bold


@pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                    reason="LibreOffice is not installed")
def test_each_file_prints_on_the_expected_number_of_pages(services, world, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    files = {export(services, tmp_path, "dispatch", "--unit", "青山湖镇", "--date", "2026-06-10"): (1, 3),
             export(services, tmp_path, "hazards", "--level", "重大"): (1, 1),
             export(services, tmp_path, "hazards", "--detailed"): (1, 1)}
    for path, (low, high) in files.items():
        subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                       check=True, capture_output=True, timeout=180)
        pdf = path.with_suffix(".pdf").read_bytes()
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert low <= pages <= high, (path.name, pages)
