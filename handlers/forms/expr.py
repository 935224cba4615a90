"""XLSForm-style conditions for `relevant` and `constraint`, parsed without eval.

    ${id} = 'yes'   ${n} >= 3   selected(${m}, 'x')   not(${a} = 'no')   . <= 100   … and … or …

An unanswered or skipped item is None: it equals '' and every ordering comparison with it is false.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<ref>\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\})
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<num>\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*)
    | (?P<dot>\.)
    )""", re.VERBOSE)


class ExprError(ValueError):
    pass


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: Any


def _tokenize(src: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    src = src.rstrip()
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None or m.end() == pos:
            raise ExprError(f"unexpected character {src[pos:pos + 1]!r} at {pos + 1}")
        pos = m.end()
        if m.group("ref"):
            out.append(_Tok("ref", m.group("name")))
        elif m.group("str"):
            out.append(_Tok("str", m.group("str")[1:-1]))
        elif m.group("num"):
            out.append(_Tok("num", float(m.group("num"))))
        elif m.group("op"):
            out.append(_Tok("op", m.group("op")))
        elif m.group("punct"):
            out.append(_Tok(m.group("punct"), m.group("punct")))
        elif m.group("word"):
            out.append(_Tok("word", m.group("word")))
        elif m.group("dot"):
            out.append(_Tok("dot", "."))
    return out


Node = Callable[[dict[str, Any], Any], Any]


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _compare(op: str, a: Any, b: Any) -> bool:
    if op in ("=", "!="):
        a2 = "" if a is None else a
        b2 = "" if b is None else b
        na, nb = _num(a2), _num(b2)
        equal = (na == nb) if (na is not None and nb is not None) else (str(a2) == str(b2))
        return equal if op == "=" else not equal
    if a is None or b is None:
        return False
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return _order(op, na, nb)
    return _order(op, str(a), str(b))


def _order(op: str, x: Any, y: Any) -> bool:
    return bool({"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op])


def _contains(answer: Any, value: str) -> bool:
    return isinstance(answer, (list, tuple)) and value in answer


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.toks = tokens
        self.i = 0
        self.refs: set[str] = set()
        self.selections: set[tuple[str, str]] = set()

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str, value: Any = None) -> _Tok:
        tok = self.peek()
        if tok is None or tok.kind != kind or (value is not None and tok.value != value):
            want = value or kind
            raise ExprError(f"expected {want!r}, found {tok.value if tok else 'end of expression'!r}")
        self.i += 1
        return tok

    def word(self, w: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "word" and tok.value == w:
            self.i += 1
            return True
        return False

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise ExprError(f"unexpected {self.peek().value!r}")  # type: ignore[union-attr]
        return node

    def or_(self) -> Node:
        left = self.and_()
        while self.word("or"):
            right = self.and_()
            left = (lambda lhs, r: lambda a, c: bool(lhs(a, c)) or bool(r(a, c)))(left, right)
        return left

    def and_(self) -> Node:
        left = self.cmp()
        while self.word("and"):
            right = self.cmp()
            left = (lambda lhs, r: lambda a, c: bool(lhs(a, c)) and bool(r(a, c)))(left, right)
        return left

    def cmp(self) -> Node:
        left = self.value()
        tok = self.peek()
        if tok is not None and tok.kind == "op":
            self.i += 1
            right = self.value()
            return (lambda lhs, r, op: lambda a, c: _compare(op, lhs(a, c), r(a, c)))(left, right, tok.value)
        return left

    def value(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise ExprError("expression ends too early")
        self.i += 1
        if tok.kind == "ref":
            self.refs.add(tok.value)
            name: str = tok.value
            return lambda a, c: a.get(name)
        if tok.kind in ("str", "num"):
            literal = tok.value
            return lambda a, c: literal
        if tok.kind == "dot":
            return lambda a, c: c
        if tok.kind == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if tok.kind == "word":
            return self.function(tok.value)
        raise ExprError(f"unexpected {tok.value!r}")

    def function(self, name: str) -> Node:
        if name == "not":
            self.take("(")
            inner = self.or_()
            self.take(")")
            return lambda a, c: not inner(a, c)
        if name == "selected":
            self.take("(")
            ref = self.take("ref").value
            self.refs.add(ref)
            self.take(",")
            value = self.take("str").value
            self.take(")")
            self.selections.add((ref, value))
            return lambda a, c: _contains(a.get(ref), value)
        if name in ("true", "false"):
            self.take("(")
            self.take(")")
            truth = name == "true"
            return lambda a, c: truth
        raise ExprError(f"unknown function or word {name!r}")


class Expr:
    """A parsed condition. `references` lists the items it reads; `selections`, the (item, option value) pairs
    its selected() calls test, so a misspelt value can be caught at load instead of hiding a section."""

    def __init__(self, source: str) -> None:
        if not source.strip():
            raise ExprError("empty expression")
        parser = _Parser(_tokenize(source))
        self._node = parser.parse()
        self.source = source
        self.references = frozenset(parser.refs)
        self.selections = frozenset(parser.selections)

    def evaluate(self, answers: dict[str, Any], current: Any = None) -> bool:
        return bool(self._node(answers, current))

    def __repr__(self) -> str:
        return f"Expr({self.source!r})"
