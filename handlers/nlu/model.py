"""The result types other code is written against: keep names and shapes stable."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .periods import Period

# The sender's role when it is not known or not part of the question (the own test set, old callers): the
# words alone decide. None is a person bound to nothing (a member of the public).
ANY_ROLE = "*"


@dataclass(frozen=True)
class Situation:
    """What the bot knows about the sender that changes what their words mean."""

    # They have hazards not yet closed (progress is likely). A callable is asked only when the answer
    # matters (an enterprise's words about a fix or an overdue), so most messages cost no query.
    open_hazards: bool | Callable[[], bool] = False
    draft: bool = False  # a form of theirs is paused (继续 / 接着 mean that form)
    tip_question: bool = False  # they are in the middle of a tip (a follow-up is likelier than a new one)

    def has_open_hazards(self) -> bool:
        return self.open_hazards() if callable(self.open_hazards) else self.open_hazards


@dataclass(frozen=True)
class NameMatch:
    name: str
    kind: str  # "enterprise" | "unit"
    score: float  # 0..100, rapidfuzz scale


@dataclass(frozen=True)
class Entities:
    dates: tuple[date, ...] = ()  # concrete days mentioned (deadlines)
    period: Period | None = None  # 本月/上个月/这个季度 ...
    industries: tuple[str, ...] = ()  # canonical names from DOMAIN.md
    level: str | None = None  # "重大" | "一般"
    hazard_numbers: tuple[str, ...] = ()  # normalised "YH-202611-0007"
    receipt_codes: tuple[str, ...] = ()  # normalised upper-case, dashed
    names: tuple[NameMatch, ...] = ()  # registry matches, best first

    def to_json(self) -> dict[str, Any]:
        period = self.period
        return {
            "dates": [d.isoformat() for d in self.dates],
            "period": None if period is None else {
                "start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label},
            "industries": list(self.industries),
            "level": self.level,
            "hazard_numbers": list(self.hazard_numbers),
            "receipt_codes": list(self.receipt_codes),
            "names": [{"name": n.name, "kind": n.kind, "score": round(n.score, 1)} for n in self.names],
        }


@dataclass(frozen=True)
class NluResult:
    text: str
    intent: str
    confidence: float  # 0..1
    candidates: tuple[tuple[str, float], ...]  # best first, incl. the chosen one
    ambiguous: bool
    entities: Entities

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text, "intent": self.intent, "confidence": round(self.confidence, 3),
            "entities": self.entities.to_json(),
        }
        # Candidates only matter when the bot has to ask; otherwise they are noise in logs.
        if self.ambiguous:
            data["ambiguous"] = True
            data["candidates"] = [[name, round(score, 3)] for name, score in self.candidates]
        return data
