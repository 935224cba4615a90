"""`hazardbot import units|enterprises` from CSV and XLSX."""
from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select

from bot.cli import main
from bot.importer import credit_code_valid
from storage.models import Enterprise, Unit

UNITS = [
    ["单位名称", "类型", "负责行业领域", "负责人", "负责人电话"],
    ["青山湖镇", "乡镇", "", "李镇长", "13900000001"],
    ["湖东街道", "街道", "", "", ""],
    ["应急管理局", "部门", "危险化学品、烟花爆竹", "王局", "0791-86000000"],
    ["住建局", "部门", "房屋市政工程,自建房", "", ""],
]


def valid_code(prefix17: str) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(chars.index(c) * w for c, w in zip(prefix17, weights))
    return prefix17 + chars[(31 - total % 31) % 31]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["企业基本信息表"])  # a title row above the header is common; it is not a header
    ws.append([])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def run(config_path: Path, *args: str) -> int:
    return main(["--config", str(config_path), *args])


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite3"}"\n[server]\ninstance_dir = "{tmp_path / "inst"}"\n')
    return path


def test_credit_code_check_digit():
    code = valid_code("91360111MA3ABCDE1")
    assert credit_code_valid(code)
    assert not credit_code_valid(code[:-1] + ("0" if code[-1] != "0" else "1"))
    assert not credit_code_valid("123")


def test_units_then_enterprises_from_xlsx_with_bad_rows_reported(tmp_path, capsys):
    cfg = config_file(tmp_path)
    assert run(cfg, "import", "units", str(write_csv(tmp_path / "units.csv", UNITS))) == 0
    code = valid_code("91360111MA3ABCDE1")
    rows = [
        ["企业名称", "统一社会信用代码", "所属行业领域", "乡镇", "监管部门", "风险等级", "主要负责人", "主要负责人电话",
         "挂点领导", "挂点领导电话", "责任干部", "责任干部电话", "从业人数", "备注"],
        ["青山化工有限公司", code, "危化", "青山湖镇", "", "", "张三", "13800000000", "李四", "13800000001", "王五", "", 120, "x"],
        ["湖畔家具厂", "", "工贸", "湖东街道", "", "其他", "赵六", "", "", "", "", "", 18.0, ""],
        ["", "", "工贸", "青山湖镇", "", "", "", "", "", "", "", "", "", ""],
        ["坏代码公司", "91360111MA3ABCDE19", "工贸", "青山湖镇", "", "", "", "", "", "", "", "", "", ""],
        ["外乡企业", "", "工贸", "不存在镇", "", "", "", "", "", "", "", "", "", ""],
        ["怪行业公司", "", "养鸡", "青山湖镇", "", "", "", "", "", "", "", "", "", ""],
        ["坏电话公司", "", "工贸", "青山湖镇", "", "", "", "12345", "", "", "", "", "", ""],
        ["工地项目部", "", "建筑施工", "青山湖镇", "住建局", "高危", "", "", "", "", "", "", "三十", ""],
    ]
    path = write_xlsx(tmp_path / "ent.xlsx", rows)
    assert run(cfg, "import", "enterprises", str(path)) == 1
    out = capsys.readouterr()
    # Rows are numbered as the spreadsheet shows them: title (1), blank (2), header (3), data from 4.
    assert "第 6 行：企业名称为空" in out.err
    assert "第 7 行：统一社会信用代码" in out.err
    assert "第 8 行：乡镇「不存在镇」不在单位表中" in out.err
    assert "第 9 行：所属行业领域「养鸡」不认识" in out.err
    assert "第 10 行：主要负责人电话「12345」" in out.err
    assert "第 11 行：从业人数「三十」" in out.err
    assert "未识别的列（已忽略）：备注" in out.err
    assert "新增 2" in out.out and "出错 6" in out.out

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    with Session(create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")) as s:
        chem = s.scalars(select(Enterprise).where(Enterprise.name == "青山化工有限公司")).one()
        assert chem.industry == "危险化学品" and chem.risk_tier == "high" and chem.employees == 120
        assert chem.department.name == "应急管理局"  # derived from the industry the department leads
        furniture = s.scalars(select(Enterprise).where(Enterprise.name == "湖畔家具厂")).one()
        assert furniture.town.name == "湖东街道" and furniture.department is None and furniture.employees == 18
        assert sorted(s.scalars(select(Unit.name))) == sorted(r[0] for r in UNITS[1:])


def test_reimport_updates_instead_of_duplicating(tmp_path, capsys):
    cfg = config_file(tmp_path)
    run(cfg, "import", "units", str(write_csv(tmp_path / "u.csv", UNITS)))
    code = valid_code("91360111MA3ABCDE1")
    header = ["企业名称", "统一社会信用代码", "所属行业领域", "乡镇", "主要负责人电话"]
    first = write_csv(tmp_path / "e1.csv", [header, ["青山化工", code, "危险化学品", "青山湖镇", "13800000000"],
                                           ["无代码厂", "", "工贸", "青山湖镇", ""]])
    assert run(cfg, "import", "enterprises", str(first)) == 0
    # Renamed (same code), new phone; the code-less one matched by name + town; GBK as Excel saves it.
    second = write_csv(tmp_path / "e2.csv", [header, ["青山化工有限公司", code, "危险化学品", "青山湖镇", "13900000000"],
                                            ["无代码厂", "", "工贸", "青山湖镇", ""]], encoding="gb18030")
    assert run(cfg, "import", "enterprises", str(second)) == 0
    assert "新增 0，更新 1，未变 1" in capsys.readouterr().out
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    with Session(create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")) as s:
        rows = s.scalars(select(Enterprise)).all()
        assert len(rows) == 2
        assert {r.name: r.head_phone for r in rows} == {"青山化工有限公司": "13900000000", "无代码厂": ""}


def test_whole_file_errors_are_clear(tmp_path, capsys):
    cfg = config_file(tmp_path)
    assert run(cfg, "import", "units", str(tmp_path / "missing.csv")) == 1
    assert "文件不存在" in capsys.readouterr().err
    bad = write_csv(tmp_path / "nocol.csv", [["名称"], ["青山湖镇"]])
    assert run(cfg, "import", "units", str(bad)) == 1
    assert "缺少必需的列：类型" in capsys.readouterr().err
    other = tmp_path / "x.json"
    other.write_text("{}")
    assert run(cfg, "import", "units", str(other)) == 1
    assert "不支持的文件类型" in capsys.readouterr().err


def test_duplicate_rows_in_one_file(tmp_path, capsys):
    cfg = config_file(tmp_path)
    rows = UNITS + [["青山湖镇", "乡镇", "", "", ""], ["新区", "省", "", "", ""]]
    assert run(cfg, "import", "units", str(write_csv(tmp_path / "u.csv", rows))) == 1
    err = capsys.readouterr().err
    assert "第 6 行：与第 2 行的单位重名" in err and "第 7 行：类型「省」无效" in err


def test_sector_column_with_synonyms_kept_when_a_later_file_lacks_it(tmp_path, capsys):
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    cfg = config_file(tmp_path)
    run(cfg, "import", "units", str(write_csv(tmp_path / "u.csv", UNITS)))
    header = ["企业名称", "所属行业领域", "乡镇", "细分行业"]
    first = write_xlsx(tmp_path / "e1.xlsx", [header, ["青山机械", "工贸", "青山湖镇", "机加工、粉尘"],
                                              ["青山加气站", "燃气", "青山湖镇", "LNG加气站"],
                                              ["湖东工地", "建筑施工", "青山湖镇", ""],
                                              ["某某厂", "工贸", "青山湖镇", "机械；造火箭"]])
    assert run(cfg, "import", "enterprises", str(first)) == 1
    said = capsys.readouterr()
    out = said.out + said.err
    assert "第 7 行" in out and "造火箭" in out  # the unknown word named, the row left out
    # A later file without the column changes nothing about sectors.
    second = write_csv(tmp_path / "e2.csv", [["企业名称", "所属行业领域", "乡镇"], ["青山机械", "工贸", "青山湖镇"]])
    assert run(cfg, "import", "enterprises", str(second)) == 0
    with Session(create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")) as s:
        assert {e.name: e.sector for e in s.scalars(select(Enterprise))} == {
            "青山机械": "机械、粉尘涉爆", "青山加气站": "加气站", "湖东工地": ""}
