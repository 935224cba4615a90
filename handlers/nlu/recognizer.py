"""Recognizer: one message in, intent with candidates and entities out."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from . import entities as ent
from .dates import find_dates, find_period, numerals_to_digits
from .dictionary import load_tokenizer
from .intents import AMBIGUOUS_FLOOR, UNKNOWN, clauses, decide, keyword_vocabulary, score
from .model import Entities, NluResult
from .names import NameIndex
from .normalize import for_intent, normalize


class Recognizer:
    def __init__(self, extra_userdict: Path | None = None) -> None:
        words = keyword_vocabulary() + ent.vocabulary()
        self._tokenizer, self.startup_seconds = load_tokenizer(extra_userdict, words)

    def tokens(self, text: str) -> list[str]:
        # HMM off: unknown spans fall apart into characters, which our keyword table ignores anyway, and the
        # split is deterministic and faster.
        return [t for t in self._tokenizer.lcut(text, HMM=False) if t.strip()]

    def recognize(self, text: str, *, today: date, names: NameIndex | None = None) -> NluResult:
        normalized = normalize(text)
        if not normalized:
            return NluResult(text, UNKNOWN, 1.0, ((UNKNOWN, 1.0),), False, Entities())
        hazard_numbers = ent.hazard_numbers(normalized)
        receipts = ent.receipt_codes(normalized)
        # Codes are removed before the rest reads the text: a code's letters are neither pinyin nor dates.
        plain = ent.strip_codes(normalized) if hazard_numbers or receipts else normalized
        dated = numerals_to_digits(plain).replace(" ", "")
        entities = Entities(
            dates=tuple(find_dates(dated, today, prepared=True)),
            period=find_period(dated, today, prepared=True),
            industries=tuple(ent.industries(plain)),
            level=ent.level(plain),
            hazard_numbers=tuple(hazard_numbers),
            receipt_codes=tuple(receipts),
            names=tuple(names.match(plain)) if names is not None else (),
        )
        intent_text = for_intent(plain)
        totals = score(self.tokens(intent_text), intent_text,
                       has_receipt=bool(receipts), has_hazard_number=bool(hazard_numbers))
        decided = decide(totals, self._clause_tops(intent_text))
        return NluResult(text, decided.intent, decided.confidence, decided.candidates, decided.ambiguous, entities)

    def _clause_tops(self, intent_text: str) -> tuple[str, ...]:
        parts = clauses(intent_text)
        if len(parts) < 2:
            return ()
        tops: list[str] = []
        for part in parts:
            totals = score(self.tokens(part), part)
            if totals:
                best, value = max(totals.items(), key=lambda item: item[1])
                if value >= AMBIGUOUS_FLOOR:
                    tops.append(best)
        return tuple(tops)
