"""The shipped checklist banks: valid, citing, and composable as the default config combines them."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from handlers.forms.catalog import FormCatalog
from handlers.forms.checks import validate_directory
from storage.config import parse_config

SHIPPED = Path(__file__).resolve().parents[2] / "handlers" / "checklists"


def test_shipped_banks_have_no_problems():
    assert validate_directory(SHIPPED) == []


@pytest.mark.parametrize("bank,minimum", [("campaign", 15), ("gongmao", 15), ("weihua", 20), ("fire", 4),
                                          ("construction", 4), ("gas", 1)])
def test_every_check_item_cites_its_clause(bank, minimum):
    form = FormCatalog().form(bank)
    checks = [i for i in form.items if i.hazard_when]
    assert len(checks) >= minimum
    for item in checks:
        assert item.level in ("重大", "一般") and item.clause, item.id
    assert form.note  # what was covered and what was left out
    if bank != "campaign":
        assert all(i.level == "重大" for i in checks)  # these banks ARE the major-hazard standards


def test_the_default_mapping_composes_without_id_clashes():
    catalog = FormCatalog()
    config = parse_config({})
    for industry, banks in config.selfcheck.banks.items():
        composed = catalog.compose(config.selfcheck.always + banks)
        assert len({i.id for i in composed.items}) == len(composed.items), industry


def test_spot_checks_of_the_texts():
    catalog = FormCatalog()
    assert "先通风、再检测、后作业" in catalog.form("gongmao").item("g13_2").text
    assert catalog.form("weihua").item("w20").clause.endswith("第（二十）项")
    assert catalog.form("campaign").item("c_lead_check").clause == "宜明办字〔2023〕23号 二、（一）1."


def test_validate_command_reports_each_problem_with_file_and_item(tmp_path, capsys):
    (tmp_path / "bad.toml").write_text(
        '[form]\nid = "x"\nversion = "1"\ntitle = "t"\nkind = "selfcheck"\n\n'
        '[[items]]\nid = "a"\ntype = "yes_no"\ntext = "q"\nhazard_when = ["maybe"]\nrequred = true\n')
    assert main(["checklists", "validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "bad.toml: a: unknown key requred" in out
    assert "bad.toml: a: hazard_when value 'maybe' is not an option of this item" in out
    assert "bad.toml: a: hazard_when needs a level" in out
    assert main(["checklists", "validate"]) == 0


SITUATION = '''
[[items]]
id = "{id}"
type = "situation"
text = "是否有这种情况？"
level = "重大"
clause = "{clause}"
clause_text = "原文"
'''


def _bank(folder: Path, name: str, *items: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.toml").write_text(
        f'[form]\nid = "{name}"\nversion = "1"\ntitle = "t"\nkind = "selfcheck"\n' + "".join(items), encoding="utf-8")


def test_validate_checks_citations_repealed_texts_and_ids_across_the_banks_an_enterprise_gets(tmp_path, capsys):
    good = "《工贸企业重大事故隐患判定标准》（应急管理部令第10号）第五条第（三）项"
    _bank(tmp_path, "a", SITUATION.format(id="a1", clause=good),
          SITUATION.format(id="a2", clause="工贸标准第五条"),
          SITUATION.format(id="a3", clause="《房屋市政工程生产安全重大事故隐患判定标准》（建质规〔2022〕2号）第四条"),
          SITUATION.format(id="a4", clause="GB 35181—2017《重大火灾隐患判定方法》6.10"),
          SITUATION.format(id="shared", clause=good))
    _bank(tmp_path, "b", SITUATION.format(id="shared", clause=good))
    _bank(tmp_path, "c", SITUATION.format(id="c1", clause=good) + 'hazard_when = ["exists"]\n',
          '\n[[items]]\nid = "c2"\ntype = "situation"\ntext = "q"\nlevel = "重大"\nclause = "x"\n')
    cfg = tmp_path.parent / f"{tmp_path.name}-hb.toml"
    cfg.write_text('[security]\nsecret_key = "s"\n[selfcheck]\nalways = []\n[selfcheck.banks]\n'
                   '"工贸" = ["a", "b"]\n"消防" = ["b", "c"]\n', encoding="utf-8")
    assert main(["--config", str(cfg), "checklists", "validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    problems = sorted({line.split(":")[0] + ":" + line.split(":")[1] for line in out.splitlines()})
    # a2 is not a citation, a3 cites the repealed 2022 text; "shared" clashes only where a and b go together;
    # c1 may not choose its own hazard answer, c2 lacks the published text (and its structure stops the file).
    assert problems == ["a.toml: a2", "a.toml: a3", "b.toml: shared", "c.toml: c1", "c.toml: c2"]


def test_a_misspelt_scope_value_is_caught_instead_of_hiding_a_section(tmp_path):
    scope = ('\n[[items]]\nid = "x_scope"\ntype = "multi"\nprefill = "sector"\ntext = "涉及哪些？"\n'
             'options = [{ value = "dust", label = "粉尘涉爆" }]\n')
    item = SITUATION.format(id="x1", clause="《工贸企业重大事故隐患判定标准》（应急管理部令第10号）第十一条第（一）项")
    _bank(tmp_path, "x", scope, item + "relevant = \"selected(${x_scope}, 'dusty')\"\n")
    assert [p.reason for p in validate_directory(tmp_path)] == ["relevant tests 'dusty', which is not an option of x_scope"]


def test_a_campaign_question_restating_a_national_one_is_asked_once():
    catalog = FormCatalog()
    for industry, national in (("工贸", "g3_2"), ("危险化学品", "w2"), ("烟花爆竹", "fw2"), ("房屋市政工程", "c4_3")):
        ids = {item.id for item in catalog.compose(parse_config({}).selfcheck.banks_for(industry)).items}
        assert national in ids and "c_special_cert" not in ids, industry
    gongmao = {item.id for item in catalog.compose(parse_config({}).selfcheck.banks_for("工贸")).items}
    assert "g3_1" in gongmao and "c_outsource_managed" not in gongmao
    # A bank that does not ask it keeps the campaign's question.
    gas = {item.id for item in catalog.compose(parse_config({}).selfcheck.banks_for("城镇燃气")).items}
    assert {"c_special_cert", "c_outsource_managed"} <= gas
