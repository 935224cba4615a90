"""A small naive Bayes over characters: the second opinion when the rules place nothing.

The rules know words; people also write words the rules lack ("灶台边上那几罐气"). Character unigrams and
bigrams of the labelled examples shipped with the package (examples.tsv, the project's own set) carry some of
that. It is consulted only when no rule is sure enough, and believed only when it is clearly sure, because a
question (the clarifying menu) beats a wrong guess. Trained at start-up in a few milliseconds; no downloads.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from importlib import resources

EXAMPLES_FILE = "examples.tsv"
ALPHA = 0.5  # additive smoothing


def features(text: str, role: str | None) -> list[str]:
    chars = [c for c in text if not c.isspace()]
    grams = chars + [a + b for a, b in zip(chars, chars[1:], strict=False)]
    return grams + ([f"@role:{role or 'none'}"] if role != "*" else [])


class Bayes:
    def __init__(self, examples: Iterable[tuple[str, str, str | None]]) -> None:
        counts: dict[str, Counter[str]] = {}
        docs: Counter[str] = Counter()
        for text, intent, role in examples:
            counts.setdefault(intent, Counter()).update(features(text, role))
            docs[intent] += 1
        vocabulary = {f for c in counts.values() for f in c}
        self._size = len(vocabulary) + 1
        total_docs = sum(docs.values())
        self._prior = {i: math.log(n / total_docs) for i, n in docs.items()}
        self._totals = {i: sum(c.values()) for i, c in counts.items()}
        self._log = {i: {f: math.log((n + ALPHA) / (self._totals[i] + ALPHA * self._size)) for f, n in c.items()}
                     for i, c in counts.items()}
        self._unseen = {i: math.log(ALPHA / (self._totals[i] + ALPHA * self._size)) for i in counts}

    @classmethod
    def load(cls) -> Bayes:
        text = resources.files(__package__).joinpath(EXAMPLES_FILE).read_text(encoding="utf-8")
        return cls(parse(text))

    def posterior(self, text: str, role: str | None) -> list[tuple[str, float]]:
        """Intents with their probabilities, best first."""
        feats = features(text, role)
        scores = {}
        for intent, prior in self._prior.items():
            table, unseen = self._log[intent], self._unseen[intent]
            scores[intent] = prior + sum(table.get(f, unseen) for f in feats)
        top = max(scores.values())
        exp = {i: math.exp(s - top) for i, s in scores.items()}
        norm = sum(exp.values())
        return sorted(((i, v / norm) for i, v in exp.items()), key=lambda item: -item[1])


def parse(text: str) -> list[tuple[str, str, str | None]]:
    rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    header = rows[0]
    role_col = header.index("role") if "role" in header else None
    out = []
    for row in rows[1:]:
        role: str | None = "*"
        if role_col is not None and role_col < len(row) and row[role_col].strip():
            role = None if row[role_col].strip() == "none" else row[role_col].strip()
        out.append((row[0], row[1], role))
    return out
