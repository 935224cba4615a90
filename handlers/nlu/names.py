"""Fuzzy lookup of enterprise and unit names from the registry, given at runtime.

People shorten names ("锦华化工" for "江西省锦华化工有限公司") and mistype them. rapidfuzz's token scorers treat
unspaced Chinese as one token, so we score with partial_ratio (the best-aligned substring of the message) against
the full name and its short forms.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from .model import NameMatch
from .normalize import normalize

_COMPANY_SUFFIX = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|分公司|总公司|公司|集团|工作室|合作社|经营部|门市部|商行|个体户)$"
)
# Leading administrative divisions: 江西省宜春市明月山 … Stripped one at a time so a short form keeps the rest.
_DIVISION_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,4}?(省|自治区|市|县|区|镇|乡|街道)")
_UNIT_SUFFIX = re.compile(r"(人民政府|办事处|街道办)$")
MIN_ALIAS = 2


def aliases(name: str, kind: str) -> list[str]:
    """The full name and short forms a person might type, longest first."""
    full = normalize(name)
    forms = [full]
    if kind == "enterprise":
        core = _COMPANY_SUFFIX.sub("", full)
        forms.append(core)
        stripped = core
        for _ in range(3):
            shorter = _DIVISION_PREFIX.sub("", stripped, count=1)
            if shorter == stripped or len(shorter) < MIN_ALIAS + 1:
                break
            stripped = shorter
            forms.append(stripped)
    else:
        core = _UNIT_SUFFIX.sub("", full)
        forms.append(core)
    unique: list[str] = []
    for form in forms:
        if len(form) >= MIN_ALIAS and form not in unique:
            unique.append(form)
    return unique


def _scorer(alias: str, text: str, **kwargs: object) -> float:
    # Inside a message the alias should appear (fuzzily) as a substring; a message shorter than the alias
    # is compared whole, so "好的" cannot match a long name that happens to contain 好的.
    cutoff = float(kwargs.get("score_cutoff") or 0)  # type: ignore[arg-type]
    if len(alias) <= len(text):
        return fuzz.partial_ratio(alias, text, score_cutoff=cutoff)
    return fuzz.ratio(alias, text, score_cutoff=cutoff)


class NameIndex:
    def __init__(self, enterprises: Iterable[str] = (), units: Iterable[str] = ()) -> None:
        self._aliases: list[str] = []
        self._owner: list[tuple[str, str]] = []
        for kind, names in (("enterprise", enterprises), ("unit", units)):
            for name in names:
                for alias in aliases(name, kind):
                    self._aliases.append(alias)
                    self._owner.append((name, kind))

    def __len__(self) -> int:
        return len(set(self._owner))

    def match(self, text: str, limit: int = 5, cutoff: float = 70) -> list[NameMatch]:
        query = normalize(text)
        if not query or not self._aliases:
            return []
        hits = process.extract(query, self._aliases, scorer=lambda q, a, **kw: _scorer(a, q, **kw),
                               processor=None, score_cutoff=cutoff, limit=None)
        best: dict[tuple[str, str], float] = {}
        for alias, score, index in hits:
            owner = self._owner[index]
            # A longer alias matched equally well is stronger evidence than a two-character short form.
            weighted = score + min(len(alias), 10) * 0.1
            if weighted > best.get(owner, -1.0):
                best[owner] = weighted
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0][0]))
        return [NameMatch(name, kind, min(round(score, 1), 100.0)) for (name, kind), score in ranked[:limit]]
