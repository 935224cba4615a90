"""Entities (codes, industries, level, names), the CLI output and the tokenizer's isolation from jieba.dt."""
from __future__ import annotations

import io
import json
from datetime import date

import pytest

from handlers.nlu import NameIndex, Recognizer
from handlers.nlu.cli import run_cli
from handlers.nlu.entities import INDUSTRY_SYNONYMS
from handlers.nlu.normalize import normalize
from storage.domain import INDUSTRIES

TODAY = date(2026, 6, 10)


def ents(recognizer, text, **kw):
    return recognizer.recognize(text, today=TODAY, **kw).entities


@pytest.mark.parametrize("text", [
    "YH-202611-0007 整改完成", "yh-202611-0007已整改", "YH2026110007", "复查 ｙｈ－２０２６１１－０００７",
    "yh 202611 0007 核查", "编号yh-202611-7", "YH—202611—0007",
])
def test_hazard_numbers(recognizer, text):
    assert ents(recognizer, text).hazard_numbers == ("YH-202611-0007",)


def test_hazard_number_needs_a_real_month(recognizer):
    assert ents(recognizer, "YH-202613-0007").hazard_numbers == ()


@pytest.mark.parametrize("text", [
    "查询举报 7KQ2-M9XD-4TRA-P6WN-3CHJ", "7kq2-m9xd-4tra-p6wn-3chj", "查询码 7KQ2 M9XD 4TRA P6WN 3CHJ",
    "7KQ2M9XD4TRAP6WN3CHJ", "７ＫＱ２－Ｍ９ＸＤ－４ＴＲＡ－Ｐ６ＷＮ－３ＣＨＪ",
])
def test_receipt_codes(recognizer, text):
    result = recognizer.recognize(text, today=TODAY)
    assert result.entities.receipt_codes == ("7KQ2-M9XD-4TRA-P6WN-3CHJ",)
    assert result.intent == "tip_query"


def test_receipt_codes_need_four_groups_and_the_crockford_alphabet(recognizer):
    assert ents(recognizer, "ABCD-EFGH 7KQ2").receipt_codes == ()
    assert ents(recognizer, "7KQ2-M9XD-4TRA-P6WU").receipt_codes == ()  # U is not Crockford
    assert ents(recognizer, "7KQ2-M9XD-4TRA-P6WN").receipt_codes == ("7KQ2-M9XD-4TRA-P6WN",)
    # Crockford reads O as 0 and I/L as 1
    assert ents(recognizer, "7KQ2-M9XD-4TRA-P6WO").receipt_codes == ("7KQ2-M9XD-4TRA-P6W0",)
    assert ents(recognizer, "绑定 7KQ2M-9XD4T").receipt_codes == ()  # an invite code, not a receipt


@pytest.mark.parametrize("text, expected", [
    ("危化企业有几家没自查", ("危险化学品",)),
    ("建筑工地的塔吊", ("房屋市政工程",)),
    ("燃气和烟花爆竹行业的逾期隐患", ("城镇燃气", "烟花爆竹")),
    ("电梯困人", ("特种设备",)),
    ("学校食堂", ("校园",)),
    ("非煤矿山", ("非煤矿山",)),
])
def test_industries(recognizer, text, expected):
    assert ents(recognizer, text).industries == expected


def test_industry_names_are_the_canonical_ones():
    assert set(INDUSTRY_SYNONYMS) <= set(INDUSTRIES)


@pytest.mark.parametrize("text, level", [
    ("发现一个重大隐患", "重大"), ("重大事故隐患", "重大"), ("报一条一般隐患", "一般"), ("我一般晚上值班", None),
])
def test_level(recognizer, text, level):
    assert ents(recognizer, text).level == level


def test_dates_and_period_in_a_sentence(recognizer):
    e = ents(recognizer, "上个月那条隐患，6月30号前整改完，三号车间的")
    assert e.dates == (date(2026, 6, 30),)
    assert e.period is not None and e.period.label == "2026年5月"


@pytest.fixture(scope="module")
def names() -> NameIndex:
    return NameIndex(
        enterprises=["江西省锦华化工有限公司", "宏发机械厂", "明月山温泉度假村有限公司", "赣州市安达物流有限公司"],
        units=["邻鄂镇", "青山湖区应急管理局"],
    )


def test_names_exact_short_and_typo(recognizer, names):
    assert ents(recognizer, "宏发机械厂整改好了", names=names).names[0].name == "宏发机械厂"
    short = ents(recognizer, "锦华化工的隐患整改了没", names=names).names
    assert short[0].name == "江西省锦华化工有限公司" and short[0].kind == "enterprise"
    typo = ents(recognizer, "锦化化工那边有个隐患", names=names).names  # 华 typed as 化
    assert typo and typo[0].name == "江西省锦华化工有限公司"
    unit = ents(recognizer, "邻鄂镇这个月还差几条", names=names).names
    assert unit[0].name == "邻鄂镇" and unit[0].kind == "unit"


def test_names_do_not_match_unrelated_text(names):
    assert names.match("好的") == []
    assert names.match("今天天气真好啊") == []
    assert names.match("") == []


def test_name_match_limit_and_order(names):
    found = names.match("安达物流和宏发机械厂", limit=1)
    assert len(found) == 1
    both = names.match("安达物流和宏发机械厂")
    assert {m.name for m in both} == {"赣州市安达物流有限公司", "宏发机械厂"}
    assert [m.score for m in both] == sorted((m.score for m in both), reverse=True)


def test_cli_output_shape(recognizer):
    out = io.StringIO()
    run_cli(["本月还差几条\n", "\n", "  \n", "查询举报 7KQ2-M9XD-4TRA-P6WN\n"], out, recognizer, TODAY)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert {"text", "intent", "confidence", "entities"} <= set(first)
    assert first["text"] == "本月还差几条" and first["intent"] == "quota_query"
    assert first["entities"]["period"]["label"] == "2026年6月"
    assert "本月" in lines[0]  # ensure_ascii=False
    assert json.loads(lines[1])["entities"]["receipt_codes"] == ["7KQ2-M9XD-4TRA-P6WN"]


def test_our_tokenizer_is_not_jiebas_global(recognizer):
    import jieba

    jieba.dt.check_initialized()
    for word in ("两单两卡", "挂牌督办", "隐患清单", "还差几条"):
        assert word not in jieba.dt.FREQ or jieba.dt.FREQ[word] == 0
        assert word in recognizer.tokens(f"看看{word}")
    assert recognizer._tokenizer is not jieba.dt


def test_recognizers_share_one_loaded_dictionary(recognizer):
    again = Recognizer()
    assert again._tokenizer is recognizer._tokenizer
    assert recognizer.startup_seconds > 0


def test_normalisation():
    assert normalize("ＹＨ－２０２６") == "yh-2026"
    assert normalize("這個月還差幾條") == "这个月还差几条"
    assert "收到" in normalize("👍")
    assert normalize("😂😂") == ""


def test_combustible_gas_detector_is_not_town_gas():
    from handlers.nlu.entities import industries
    from handlers.nlu.normalize import normalize

    assert "城镇燃气" not in industries(normalize("一号仓库可燃气体报警器损坏"))
    assert industries(normalize("餐馆燃气管道漏气")) == ["城镇燃气"]


@pytest.mark.parametrize("argv, intent, role", [
    ([], "tip_submit", "none"),  # no --role: a person bound to nothing
    (["--role", "none"], "tip_submit", "none"),
    (["--role", "enterprise_head"], "hazard_report", "enterprise_head"),
    (["--role", "staff"], "hazard_report", "staff"),
])
def test_hazardbot_nlu_reads_the_words_as_the_role_would_mean_them(monkeypatch, capsys, tmp_path, argv, intent,
                                                                     role):
    from bot.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("配电箱门坏了电线裸露在外面\n"))
    monkeypatch.chdir(tmp_path)  # no ./config.toml: the built-in defaults
    monkeypatch.delenv("HAZARDBOT_CONFIG", raising=False)
    assert main(["nlu", *argv]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (line["intent"], line["role"]) == (intent, role)
