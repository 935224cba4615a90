"""Form definitions as data (TOML, XLSForm-like), validated at load with every problem reported.

[form]: id, version, title, kind, source, note, context (names the flow supplies, each starting with "_").
[[items]]: id, type, text, required, options, relevant, constraint, constraint_message, hint, hazard_when,
level, clause, clause_text, min, max (for dates: days from today), max_photos, allow_na (yes_no, situation),
prefill (multi).

Two item types carry the 重大事故隐患判定标准 themselves:
- situation: one 判定情形 asked as a plain question whether it exists here. The options are fixed
  (1. 存在 / 2. 不存在 / 3. 本单位不涉及 where allow_na, the default) and 存在 is always the hazard answer, so a
  bank never mixes "是 means fine" with "是 means hazard". It needs level, clause (well-formed, see
  checks.clause_problem) and clause_text (the item's text as published), which 帮助 shows.
- notice: text shown on the way to the next question, with no answer expected (a catch-all clause that needs
  professional judgement, or a note on the section that follows).
- screen: one question over a section's situations (`covers`, the ids of situation items after it), each listed
  with its published text, as XLSForm's field-list shows a group on one screen: 2. 都不存在 settles them all,
  1. 存在 asks each of them in turn. The covered items take their relevance from the screen alone, so a long
  section of works (九种起重机械情形) costs one question where nothing is wrong, and nothing is lost where
  something is.
A multi item with prefill = "sector" is offered preselected from the enterprise's registered sector.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.domain import industry_words, sector_words

from .expr import Expr, ExprError

ITEM_TYPES = ("yes_no", "choice", "multi", "number", "text", "date", "photo", "location", "situation", "notice",
              "screen")
# The value of an answer the person could not give now: marked 待核实, never a hazard, listed on submission.
UNSURE = "unsure"
# What a notice holds once shown: it was read, nothing was answered.
SEEN = "seen"
FORM_KINDS = ("selfcheck", "hazard", "tip", "progress")
LEVELS = ("重大", "一般")
FORM_KEYS = {"id", "version", "title", "kind", "source", "note", "context", "allow_unsure"}
ITEM_KEYS = {"id", "type", "text", "required", "options", "relevant", "constraint", "constraint_message", "hint",
             "hazard_when", "level", "clause", "min", "max", "max_photos", "allow_na", "unit", "plausible_max",
             "synonyms_from", "clause_text", "prefill", "covers", "asked_by"}
# Where a multi item's preselection comes from: the enterprise's registered sector (Enterprise.sector).
PREFILL_SOURCES = ("sector",)
EXISTS, ABSENT = "exists", "absent"
# Sources of synonyms kept elsewhere, so a word people use means the same in chat and in the import.
SYNONYM_SOURCES = ("industries",)
OPTION_KEYS = {"value", "label", "synonyms"}


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    synonyms: tuple[str, ...] = ()


NA_WORDS = frozenset({"不涉及", "不适用", "无此项", "没有这个", "不涉及此项", "na", "本单位不涉及", "没有这项", "我们没有这个"})
YES_NO_OPTIONS = (
    Option("yes", "是", ("有", "对", "已", "已经", "已做", "是的", "有的", "做了", "✅", "👌", "👍", "y", "yes", "好", "符合",
                         "对的", "是滴", "嗯是的", "有的有的")),
    Option("no", "否", ("没有", "没", "未", "无", "不是", "没做", "还没", "不", "❌", "n", "no", "不符合", "没呢",
                        "还没有", "没有的", "没得")),
    Option("na", "不涉及", tuple(sorted(NA_WORDS - {"不涉及"}))),
)
# A situation item asks whether the situation exists: 是/有 therefore mean 存在, and no answer means anything else.
SITUATION_OPTIONS = (
    Option(EXISTS, "存在", ("有", "是", "是的", "有的", "存在的", "有这种情况", "有这个情况", "对", "确实有", "y", "yes")),
    Option(ABSENT, "不存在", ("没有", "没", "无", "否", "不是", "不存在的", "没有这种情况", "没这情况", "没得", "n", "no")),
    Option("na", "本单位不涉及", tuple(sorted(NA_WORDS - {"本单位不涉及"}))),
)
# Types answered by picking one of their options (by number, label or synonym).
SINGLE_CHOICE = ("yes_no", "choice", "situation", "screen")
# Types whose answer may be marked 待核实 and given later.
MAY_BE_UNSURE = ("yes_no", "choice", "situation", "number", "date")
# A screen's answers: 存在 opens its situations one by one; 都不存在 settles them all. The order follows a situation's.
SOME, NONE_OF = "some", "none"
SCREEN_OPTIONS = (
    Option(SOME, "存在其中一项或几项（逐项确认）", ("存在", "有", "是", "有的", "有一项", "有几项", "有一些", "y", "yes")),
    Option(NONE_OF, "以上情形都不存在", ("都不存在", "都没有", "都没", "不存在", "没有", "没", "无", "否", "n", "no")),
)
@dataclass(frozen=True)
class Item:
    id: str
    type: str
    text: str
    required: bool = True
    options: tuple[Option, ...] = ()
    relevant: Expr | None = None
    relevant_src: str = ""
    constraint: Expr | None = None
    constraint_src: str = ""
    constraint_message: str = ""
    hint: str = ""
    hazard_when: tuple[str, ...] = ()
    level: str | None = None
    clause: str = ""
    min: float | None = None
    max: float | None = None
    max_photos: int = 9
    unit: str = ""  # what a number is counted in (万元, 人): amounts in other units are converted to it
    plausible_max: float | None = None  # above this a number is confirmed before it is kept
    synonyms_from: str = ""  # options take their synonyms from this source (SYNONYM_SOURCES)
    clause_text: str = ""  # the cited item as published, shown with 帮助 and when the person is unsure
    prefill: str = ""  # a multi item offered preselected from this source (PREFILL_SOURCES)
    covers: tuple[str, ...] = ()  # a screen's situations, asked one by one only when it is answered 存在
    # Items of other banks that ask the same situation: composed with one of them, this item is left out, so a
    # campaign question restating a national one (特种作业人员持证) is not asked twice.
    asked_by: tuple[str, ...] = ()

    @property
    def asks(self) -> bool:
        """A question the person answers (a notice is only shown)."""
        return self.type != "notice"


@dataclass(frozen=True)
class FormDef:
    id: str
    version: str
    title: str
    kind: str
    source: str
    note: str
    items: tuple[Item, ...]
    path: Path | None
    context: tuple[str, ...] = ()
    # 不知道 may be marked 待核实 and come back later (self-checks): a hazard question left open is better
    # than a wrong answer.
    allow_unsure: bool = False

    def item(self, item_id: str) -> Item:
        return self.items[self.index(item_id)]

    def index(self, item_id: str) -> int:
        for i, item in enumerate(self.items):
            if item.id == item_id:
                return i
        raise KeyError(item_id)


@dataclass(frozen=True)
class Problem:
    file: str
    item_id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item_id}: {self.reason}"


class FormError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, item_id: str, reason: str) -> None:
        self.problems.append(Problem(self.file, item_id, reason))


def _options(raw: Any, item_id: str, out: _Collector) -> tuple[Option, ...]:
    if not isinstance(raw, list) or not raw:
        out.add(item_id, "options must be a non-empty list")
        return ()
    options: list[Option] = []
    for n, entry in enumerate(raw, 1):
        if isinstance(entry, str):
            options.append(Option(entry, entry))
            continue
        if not isinstance(entry, dict):
            out.add(item_id, f"option {n} must be a string or a table")
            continue
        unknown = sorted(set(entry) - OPTION_KEYS)
        if unknown:
            out.add(item_id, f"option {n} has unknown key(s) {', '.join(unknown)}")
        value, label = entry.get("value"), entry.get("label", entry.get("value"))
        synonyms = entry.get("synonyms", [])
        if not isinstance(value, str) or not value or not isinstance(label, str):
            out.add(item_id, f"option {n} needs a string value (and label)")
            continue
        if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
            out.add(item_id, f"option {n}: synonyms must be a list of strings")
            synonyms = []
        options.append(Option(value, label, tuple(synonyms)))
    values = [o.value for o in options]
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        out.add(item_id, f"duplicate option value(s) {', '.join(dupes)}")
    return tuple(options)


def _expr(src: Any, key: str, item_id: str, earlier: set[str], context: set[str], all_ids: set[str],
          out: _Collector, allow_dot: bool) -> Expr | None:
    if not isinstance(src, str):
        out.add(item_id, f"{key} must be a string")
        return None
    try:
        expr = Expr(src)
    except ExprError as exc:
        out.add(item_id, f"{key} does not parse: {exc}")
        return None
    for ref in sorted(expr.references):
        if ref in context:
            continue
        if ref not in all_ids:
            out.add(item_id, f"{key} refers to unknown item {ref}")
        elif ref not in earlier:
            out.add(item_id, f"{key} refers to {ref}, which is not asked before this item")
    if not allow_dot and _uses_dot(src):
        out.add(item_id, f"{key} cannot use '.' (only constraints refer to the item's own answer)")
    return expr


def _uses_dot(src: str) -> bool:
    """A bare "." outside quotes and decimal numbers."""
    stripped = re.sub(r"'[^']*'|\"[^\"]*\"|\d+\.\d+", "", src)
    return "." in stripped


def _item(raw: Any, n: int, earlier: set[str], context: set[str], all_ids: set[str], out: _Collector,
          screen_of: dict[str, str]) -> Item | None:
    if not isinstance(raw, dict):
        out.add(f"items[{n}]", "each [[items]] entry must be a table")
        return None
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id:
        out.add(f"items[{n}]", "missing id")
        return None
    for key in sorted(set(raw) - ITEM_KEYS):
        out.add(item_id, f"unknown key {key}")
    kind = raw.get("type")
    if kind not in ITEM_TYPES:
        out.add(item_id, f"unknown type {kind!r}; use one of {', '.join(ITEM_TYPES)}")
        return None
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        out.add(item_id, "missing text")
        text = ""
    options: tuple[Option, ...] = ()
    if kind in ("choice", "multi"):
        options = _options(raw.get("options"), item_id, out)
    elif "options" in raw:
        out.add(item_id, f"type {kind} takes no options")
    allow_na = raw.get("allow_na", True)
    if not isinstance(allow_na, bool):
        out.add(item_id, "allow_na must be true or false")
        allow_na = True
    if kind == "yes_no":
        options = YES_NO_OPTIONS if allow_na else YES_NO_OPTIONS[:2]
    elif kind == "situation":
        options = SITUATION_OPTIONS if allow_na else SITUATION_OPTIONS[:2]
    elif kind == "screen":
        options = SCREEN_OPTIONS
    elif "allow_na" in raw:
        out.add(item_id, "allow_na is only for yes_no and situation items")
    if kind == "situation" and "hazard_when" in raw:
        out.add(item_id, "a situation item takes no hazard_when: 存在 is always the hazard answer")
    if kind == "screen" and {"hazard_when", "level"} & set(raw):
        out.add(item_id, "a screen flags nothing itself: its situations do, when each is asked")
    hazard_when = [EXISTS] if kind == "situation" else raw.get("hazard_when", [])
    if not isinstance(hazard_when, list) or not all(isinstance(v, str) for v in hazard_when):
        out.add(item_id, "hazard_when must be a list of option values")
        hazard_when = []
    values = {o.value for o in options}
    for v in hazard_when:
        if v not in values:
            out.add(item_id, f"hazard_when value {v!r} is not an option of this item")
    level, clause = raw.get("level"), raw.get("clause", "")
    if hazard_when and level is None:
        out.add(item_id, "a situation needs a level (重大 or 一般)" if kind == "situation"
                else "hazard_when needs a level (重大 or 一般)")
    if level is not None and level not in LEVELS:
        out.add(item_id, f"level must be 重大 or 一般, not {level!r}")
    if hazard_when and not (isinstance(clause, str) and clause.strip()):
        out.add(item_id, "a situation needs the clause it cites" if kind == "situation"
                else "hazard_when needs the clause it cites")
    clause_text = raw.get("clause_text", "")
    if not isinstance(clause_text, str):
        out.add(item_id, "clause_text must be a string")
        clause_text = ""
    if kind == "situation" and not clause_text.strip():
        out.add(item_id, "a situation item needs clause_text, the cited item as published")
    if kind == "notice":
        for key in sorted({"hazard_when", "level", "required", "constraint"} & set(raw)):
            out.add(item_id, f"a notice expects no answer: {key} does not apply")
    prefill = raw.get("prefill", "")
    if prefill and (prefill not in PREFILL_SOURCES or kind != "multi"):
        out.add(item_id, f"prefill must be one of {', '.join(PREFILL_SOURCES)}, for multi items")
        prefill = ""
    lo, hi = raw.get("min"), raw.get("max")
    for key, v in (("min", lo), ("max", hi)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            out.add(item_id, f"{key} must be a number")
        elif v is not None and kind not in ("number", "date"):
            out.add(item_id, f"{key} is only for number and date items")
    if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo > hi:
        out.add(item_id, f"min {lo} is greater than max {hi}")
    relevant = constraint = None
    relevant_src = raw.get("relevant", "")
    screen = screen_of.get(item_id)
    if screen is not None:
        if "relevant" in raw:
            out.add(item_id, f"covered by screen {screen}: it is relevant when {screen} is answered 存在, "
                             "so it takes no relevant of its own")
        relevant_src = f"${{{screen}}} = '{SOME}'"
        relevant = _expr(relevant_src, "relevant", item_id, earlier, context, all_ids, out, allow_dot=False)
    elif "relevant" in raw:
        relevant = _expr(raw["relevant"], "relevant", item_id, earlier, context, all_ids, out, allow_dot=False)
    if "constraint" in raw:
        constraint = _expr(raw["constraint"], "constraint", item_id, earlier, context, all_ids, out, allow_dot=True)
    required = raw.get("required", kind != "notice")
    if not isinstance(required, bool):
        out.add(item_id, "required must be true or false")
        required = True
    max_photos = raw.get("max_photos", 9)
    if not isinstance(max_photos, int) or max_photos < 1:
        out.add(item_id, "max_photos must be a positive whole number")
        max_photos = 9
    unit = raw.get("unit", "")
    if not isinstance(unit, str) or (unit and kind != "number"):
        out.add(item_id, "unit is a string, for number items only")
        unit = ""
    plausible = raw.get("plausible_max")
    if plausible is not None and (isinstance(plausible, bool) or not isinstance(plausible, (int, float))
                                  or kind != "number"):
        out.add(item_id, "plausible_max is a number, for number items only")
        plausible = None
    source = raw.get("synonyms_from", "")
    if source and (source not in SYNONYM_SOURCES or kind not in ("choice", "multi")):
        out.add(item_id, f"synonyms_from must be one of {', '.join(SYNONYM_SOURCES)}, for choice items")
        source = ""
    if source == "industries":
        options = tuple(Option(o.value, o.label, o.synonyms + industry_words(o.value)) for o in options)
    return Item(
        id=item_id, type=kind, text=text, required=required, options=options,
        relevant=relevant, relevant_src=relevant_src, constraint=constraint,
        constraint_src=raw.get("constraint", ""), constraint_message=str(raw.get("constraint_message", "")),
        hint=str(raw.get("hint", "")), hazard_when=tuple(hazard_when), level=level,
        clause=clause if isinstance(clause, str) else "",
        min=float(lo) if isinstance(lo, (int, float)) and not isinstance(lo, bool) else None,
        max=float(hi) if isinstance(hi, (int, float)) and not isinstance(hi, bool) else None,
        max_photos=max_photos, unit=unit, plausible_max=float(plausible) if plausible is not None else None,
        synonyms_from=source, clause_text=clause_text, prefill=prefill if isinstance(prefill, str) else "",
        covers=_covers(raw, kind, item_id, out), asked_by=_asked_by(raw, item_id, out),
    )


def _asked_by(raw: dict[str, Any], item_id: str, out: _Collector) -> tuple[str, ...]:
    asked_by = raw.get("asked_by", [])
    if not isinstance(asked_by, list) or not all(isinstance(a, str) and a for a in asked_by):
        out.add(item_id, "asked_by must be a list of item ids of other banks")
        return ()
    return tuple(asked_by)


def _covers(raw: dict[str, Any], kind: str, item_id: str, out: _Collector) -> tuple[str, ...]:
    covers = raw.get("covers", [])
    if kind != "screen":
        if "covers" in raw:
            out.add(item_id, "covers is only for screen items")
        return ()
    if not isinstance(covers, list) or len(covers) < 2 or not all(isinstance(c, str) for c in covers):
        out.add(item_id, "a screen covers a list of at least two situation ids")
        return ()
    return tuple(covers)


def _screens(raw_items: list[Any], out: _Collector) -> dict[str, str]:
    """Which screen covers each situation; a situation covered twice, or a screen's cover that is not a situation
    after it, is a problem."""
    screen_of: dict[str, str] = {}
    position = {r["id"]: n for n, r in enumerate(raw_items) if isinstance(r, dict) and isinstance(r.get("id"), str)}
    for n, raw in enumerate(raw_items):
        if not (isinstance(raw, dict) and raw.get("type") == "screen" and isinstance(raw.get("covers"), list)):
            continue
        for ref in raw["covers"]:
            if not isinstance(ref, str):
                continue
            target = raw_items[position[ref]] if ref in position else None
            if target is None:
                out.add(raw["id"], f"covers unknown item {ref}")
            elif target.get("type") != "situation":
                out.add(raw["id"], f"covers {ref}, which is not a situation")
            elif position[ref] < n:
                out.add(raw["id"], f"covers {ref}, which is asked before the screen")
            elif ref in screen_of:
                out.add(raw["id"], f"covers {ref}, which {screen_of[ref]} already covers")
            else:
                screen_of[ref] = raw["id"]
    return screen_of


def _parse(path: Path) -> tuple[FormDef | None, list[Problem]]:
    out = _Collector(path.name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        out.add("-", f"invalid TOML: {exc}")  # the message names the line and column
        return None, out.problems
    except UnicodeDecodeError:
        out.add("-", "not UTF-8 text")
        return None, out.problems
    for key in sorted(set(data) - {"form", "items"}):
        out.add("-", f"unknown top-level key {key}")
    head = data.get("form")
    if not isinstance(head, dict):
        out.add("-", "missing [form] table")
        return None, out.problems
    for key in sorted(set(head) - FORM_KEYS):
        out.add("form", f"unknown key {key}")
    for key in ("id", "version", "title", "kind"):
        if not isinstance(head.get(key), str) or not head.get(key):
            out.add("form", f"missing {key}")
    if head.get("kind") not in FORM_KINDS:
        out.add("form", f"kind must be one of {', '.join(FORM_KINDS)}")
    context = head.get("context", [])
    if not isinstance(context, list) or not all(isinstance(c, str) and c.startswith("_") for c in context):
        out.add("form", "context must be a list of names starting with _")
        context = []
    raw_items = data.get("items", [])
    if not isinstance(raw_items, list) or not raw_items:
        out.add("form", "a form needs at least one [[items]] entry")
        raw_items = []
    all_ids: set[str] = {r["id"] for r in raw_items if isinstance(r, dict) and isinstance(r.get("id"), str)}
    items: list[Item] = []
    earlier: set[str] = set()
    seen: set[str] = set()
    screen_of = _screens(raw_items, out)
    for n, raw in enumerate(raw_items, 1):
        item = _item(raw, n, earlier, set(context), all_ids, out, screen_of)
        if item is None:
            continue
        if item.id in seen:
            out.add(item.id, "duplicate item id")
        seen.add(item.id)
        earlier.add(item.id)
        items.append(item)
    by_id = {item.id: item for item in items}
    for item in items:
        for ref, value in sorted(item.relevant.selections if item.relevant else ()):
            target = by_id.get(ref)
            if target is not None and value not in {o.value for o in target.options}:
                out.add(item.id, f"relevant tests {value!r}, which is not an option of {ref}")
    if out.problems:
        return None, out.problems
    allow_unsure = head.get("allow_unsure", head.get("kind") == "selfcheck")
    if not isinstance(allow_unsure, bool):
        out.add("form", "allow_unsure must be true or false")
        return None, out.problems
    return FormDef(id=head["id"], version=head["version"], title=head["title"], kind=head["kind"],
                   source=str(head.get("source", "")), note=str(head.get("note", "")), items=tuple(items),
                   path=path, context=tuple(context), allow_unsure=allow_unsure), []


def load_form(path: Path) -> FormDef:
    form, problems = _parse(path)
    if problems or form is None:
        raise FormError(problems)
    return form


def parse_directory(directory: Path) -> tuple[dict[str, FormDef], list[Problem]]:
    """Every form of a folder, with every problem found (one form id used twice is one)."""
    forms: dict[str, FormDef] = {}
    problems: list[Problem] = []
    files = sorted(directory.glob("*.toml"))
    if not files:
        problems.append(Problem(str(directory), "-", "no .toml form files here"))
    for path in files:
        form, found = _parse(path)
        problems += found
        if form is None:
            continue
        if form.id in forms:
            problems.append(Problem(path.name, "form", f"form id {form.id} is also used by {forms[form.id].path.name}"))  # type: ignore[union-attr]
            continue
        forms[form.id] = form
    return forms, problems


def load_forms(directory: Path) -> dict[str, FormDef]:
    forms, problems = parse_directory(directory)
    if problems:
        raise FormError(problems)
    return forms


def sector_prefill(form: FormDef, sector: str) -> dict[str, list[str]]:
    """For each prefill = "sector" item, the options the enterprise's registered sector names: by value,
    label or synonym, or a label that begins with the sector's word (冶金 for 冶金企业). Nothing is offered
    when no sector is registered; the person confirms or changes what is offered."""
    words = {w.lower() for w in sector_words(sector)}
    if not words:
        return {}
    offered: dict[str, list[str]] = {}
    for item in form.items:
        if item.prefill != "sector":
            continue
        offered[item.id] = [o.value for o in item.options
                            if {o.value.lower(), o.label.lower(), *(s.lower() for s in o.synonyms)} & words
                            or any(len(w) >= 2 and o.label.lower().startswith(w) for w in words)]
    return offered
