"""The shipped checklist banks: valid, citing, and composable as the default config combines them."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from storage.config import parse_config
from handlers.forms.catalog import FormCatalog
from handlers.forms.definition import validate_directory

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
