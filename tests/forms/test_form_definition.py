"""Form definitions: every problem found at once, each with file, item id and reason; XLSForm conditions."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.forms.checks import validate_directory
from handlers.forms.definition import FormError, load_form, load_forms
from handlers.forms.expr import Expr, ExprError

HEAD = '[form]\nid = "{id}"\nversion = "1"\ntitle = "t"\nkind = "selfcheck"\n\n'


def write(tmp_path: Path, name: str, body: str, form_id: str = "f") -> Path:
    path = tmp_path / name
    path.write_text(HEAD.format(id=form_id) + body, encoding="utf-8")
    return path


def reasons(tmp_path: Path) -> list[str]:
    return [str(p) for p in validate_directory(tmp_path)]


def test_all_problems_are_reported_together(tmp_path):
    write(tmp_path, "a.toml", """
[[items]]
id = "q1"
type = "choice"
text = "x"

[[items]]
id = "q1"
type = "text"
text = "y"
options = ["a"]

[[items]]
id = "q3"
type = "number"
text = "z"
min = 5
max = 1
relevant = "${q9} = 'a'"

[[items]]
id = "q4"
type = "yes_no"
text = "w"
relevant = "${q5} = 'yes'"
hazard_when = ["yes"]
level = "特大"

[[items]]
id = "q5"
type = "telepathy"
text = "v"
""")
    found = reasons(tmp_path)
    assert "a.toml: q1: options must be a non-empty list" in found
    assert "a.toml: q1: type text takes no options" in found
    assert "a.toml: q1: duplicate item id" in found
    assert "a.toml: q3: min 5 is greater than max 1" in found
    assert "a.toml: q3: relevant refers to unknown item q9" in found
    assert "a.toml: q4: relevant refers to q5, which is not asked before this item" in found
    assert "a.toml: q4: level must be 重大 or 一般, not '特大'" in found
    assert "a.toml: q4: hazard_when needs the clause it cites" in found
    assert any(r.startswith("a.toml: q5: unknown type 'telepathy'") for r in found)


def test_invalid_toml_names_the_line_and_duplicate_form_ids_across_files(tmp_path):
    (tmp_path / "broken.toml").write_text('[form]\nid = "x\n')
    write(tmp_path, "one.toml", '[[items]]\nid = "a"\ntype = "text"\ntext = "t"\n', form_id="same")
    write(tmp_path, "two.toml", '[[items]]\nid = "a"\ntype = "text"\ntext = "t"\n', form_id="same")
    found = reasons(tmp_path)
    assert any(r.startswith("broken.toml: -: invalid TOML") and "line" in r for r in found)
    assert "two.toml: form: form id same is also used by one.toml" in found
    with pytest.raises(FormError):
        load_forms(tmp_path)


def test_unparsable_condition(tmp_path):
    write(tmp_path, "c.toml", '[[items]]\nid = "a"\ntype = "text"\ntext = "t"\n\n'
                              '[[items]]\nid = "b"\ntype = "text"\ntext = "u"\nrelevant = "${a} = = 3"\n')
    assert any(r.startswith("c.toml: b: relevant does not parse") for r in reasons(tmp_path))


def test_a_good_form_loads(tmp_path):
    form = load_form(write(tmp_path, "g.toml", '[[items]]\nid = "a"\ntype = "yes_no"\ntext = "t"\nallow_na = false\n'))
    assert [o.label for o in form.item("a").options] == ["是", "否"]


@pytest.mark.parametrize("src,answers,current,expected", [
    ("${a} = 'yes'", {"a": "yes"}, None, True),
    ("${a} = 'yes'", {}, None, False),
    ("${a} = ''", {}, None, True),
    ("${a} != 'yes'", {}, None, True),
    ("${n} > 3", {"n": 5}, None, True),
    ("${n} > 3", {}, None, False),  # unanswered: every ordering comparison is false
    ("selected(${m}, 'x')", {"m": ["x", "y"]}, None, True),
    ("selected(${m}, 'x')", {"m": None}, None, False),
    ("not(${a} = 'no') and (${n} >= 2 or ${n} < 0)", {"a": "yes", "n": 2}, None, True),
    (". >= 0 and . <= 10000", {}, 50, True),
    (". >= 0 and . <= 10000", {}, -1, False),
])
def test_expression_semantics(src, answers, current, expected):
    assert Expr(src).evaluate(answers, current=current) is expected


def test_references():
    assert Expr("selected(${m}, 'x') or ${a} = 1").references == frozenset({"m", "a"})


@given(st.text(max_size=60))
def test_the_parser_raises_only_its_own_error(src):
    try:
        Expr(src).evaluate({}, None)
    except ExprError:
        pass
