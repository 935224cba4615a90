"""Checks of forms beyond their own structure: citations of the 判定标准 (well-formed, in force), item ids
clashing across the banks one enterprise gets, and a whole folder's validation (`hazardbot checklists validate`)."""
from __future__ import annotations

import re
from pathlib import Path

from .definition import FormDef, Problem, parse_directory

# A well-formed citation of a 判定标准: 《title》（文号）第X条[第（Y）项], or 第（Y）项 alone for a standard
# numbered by items only (121号); a national standard as GB 35181—2017《…》6.1.
_NUM = "[一二三四五六七八九十百零]+"
_CITE_RULES = re.compile(rf"^《[^《》]+》（[^（）]*(?:〔\d{{4}}〕\d+号|令第\d+号)）"
                         rf"(?:第{_NUM}条(?:第（{_NUM}）项)?|第（{_NUM}）项)$")
_CITE_GB = re.compile(r"^GB(?:/T)? \d+(?:\.\d+)?[—-]\d{4}《[^《》]+》\d+(?:\.\d+)*$")
# Texts no longer in force: an item citing one asks the wrong question.
REPEALED = {
    "建质规〔2022〕2号": "已由《房屋市政工程生产安全重大事故隐患判定标准（2024版）》（建质规〔2024〕5号）废止",
    "安监总管四〔2017〕129号": "已由《工贸企业重大事故隐患判定标准》（应急管理部令第10号）代替",
}


def clause_problem(clause: str) -> str:
    """Why a situation's citation is not well-formed ("" when it is)."""
    for number, why in REPEALED.items():
        if number in clause:
            return f"clause cites {number}, which {why}"
    if _CITE_RULES.match(clause) or _CITE_GB.match(clause):
        return ""
    return (f"clause {clause!r} is not a well-formed citation: write 《标准名称》（文号）第X条第（Y）项 "
            "or GB 35181—2017《标准名称》6.1")


def citation_problems(form: FormDef) -> list[Problem]:
    """Each situation (and each notice that cites) must cite a text in force, in the agreed form."""
    name = form.path.name if form.path else form.id
    problems = []
    for item in form.items:
        if item.type == "situation" or (item.type == "notice" and item.clause):
            why = clause_problem(item.clause)
            if why:
                problems.append(Problem(name, item.id, why))
    return problems


def clash_problems(forms: dict[str, FormDef], combinations: list[list[str]]) -> list[Problem]:
    """An item id asked by two banks one enterprise gets would mix their answers in one questionnaire."""
    problems = []
    reported: set[tuple[str, str, str]] = set()
    for combination in combinations:
        owner: dict[str, str] = {}
        for bank in (b for b in combination if b in forms):
            for item in forms[bank].items:
                first = owner.setdefault(item.id, bank)
                if first != bank and (item.id, first, bank) not in reported:
                    reported.add((item.id, first, bank))
                    problems.append(Problem(f"{bank}.toml", item.id,
                                            f"item id also used by {first}, and {' + '.join(combination)} are asked together"))
    return problems


def validate_directory(directory: Path, combinations: list[list[str]] | None = None) -> list[Problem]:
    """Every problem of a folder of banks: structure, citations, and item ids repeated across the banks one
    enterprise gets (`combinations`: the bank lists the config gives; None: all banks together)."""
    forms, problems = parse_directory(directory)
    for form in forms.values():
        problems += citation_problems(form)
    problems += clash_problems(forms, combinations if combinations is not None else [sorted(forms)])
    return problems
