"""The hazard lexicon: places, objects and violations that make a sentence a dangerous situation.

A person who writes "消防通道被货堵住了" is reporting a hazard (or, as a stranger, tipping one off) without any
report word; what says so is a place or object together with what is wrong with it. The terms live in
hazard_lexicon.txt (gathered from the checklist banks and the standards they quote) and are matched with one
regular expression, longest first, so "安全出口" is one place and not "出口" plus noise.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

LEXICON_FILE = "hazard_lexicon.txt"
SECTIONS = ("place", "object", "violation")
_MISSING = re.compile(r"(没有|没|无|未|缺)(配|装|安装|设置|配备|放)?$")


@dataclass(frozen=True)
class Hits:
    things: int  # distinct places and objects named
    violations: int  # distinct things-wrong named

    @property
    def situation(self) -> float:
        """How strongly the sentence describes a dangerous situation: a thing and what is wrong with it."""
        if self.violations and self.things:
            return 2.8
        if self.violations:
            return 1.2
        if self.things >= 2:  # two domain things and nothing else said: a description, weakly
            return 1.7
        return 0.5 if self.things else 0.0


class Lexicon:
    def __init__(self, terms: dict[str, str]) -> None:
        self.terms = terms  # term -> section
        ordered = sorted(terms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered)))

    @classmethod
    def load(cls) -> Lexicon:
        text = resources.files(__package__).joinpath(LEXICON_FILE).read_text(encoding="utf-8")
        return cls(parse(text))

    def hits(self, text: str) -> Hits:
        things: set[str] = set()
        violations: set[str] = set()
        for m in self._pattern.finditer(text):
            term = m.group(0)
            if self.terms[term] == "violation":
                violations.add(term)
                continue
            things.add(term)
            # "没有灭火器", "没装烟感": a thing said to be missing is what is wrong.
            if _MISSING.search(text, max(0, m.start() - 4), m.start()):
                violations.add("没有" + term)
        return Hits(len(things), len(violations))


def parse(text: str) -> dict[str, str]:
    terms: dict[str, str] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            if section not in SECTIONS:
                raise ValueError(f"unknown lexicon section {section!r}")
            continue
        if not section:
            raise ValueError(f"lexicon term {line!r} before any section")
        # A term listed twice keeps its first section: a violation word that is also a thing (电焊) counts once.
        terms.setdefault(line, section)
    return terms
