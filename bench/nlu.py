"""NLU benchmark: intent accuracy (all and held-out), confusions, date table, start-up and latency.

Run: python bench/nlu.py   (exits 1 when a target is missed)
Held-out: every 5th utterance (1-based line numbers 5, 10, …) is never looked at while tuning the rules; its
accuracy is reported separately so over-fitting to the examples shows up as a gap.
"""
from __future__ import annotations

import csv
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlers.nlu import Recognizer, parse_date  # noqa: E402

UTTERANCES = ROOT / "tests" / "data" / "utterances.tsv"
DATES = ROOT / "tests" / "data" / "dates.tsv"
TODAY = date(2026, 6, 10)
HELD_OUT_EVERY = 5
ROUNDS = 5

TARGET_OVERALL = 0.95
TARGET_PER_INTENT = 0.90
TARGET_DATES = 0.98
TARGET_P99_US = 1000.0


@dataclass(frozen=True)
class Example:
    line: int  # 1-based data line, header excluded
    text: str
    intent: str

    @property
    def held_out(self) -> bool:
        return self.line % HELD_OUT_EVERY == 0


def load_utterances(path: Path = UTTERANCES) -> list[Example]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == ["text", "intent"], rows[0]
    return [Example(i, text, intent) for i, (text, intent) in enumerate(rows[1:], 1)]


def load_dates(path: Path = DATES) -> list[tuple[str, date, date | None]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == ["text", "today", "expected"], rows[0]
    return [(text, date.fromisoformat(today), None if expected == "None" else date.fromisoformat(expected))
            for text, today, expected in rows[1:]]


def evaluate(recognizer: Recognizer, examples: list[Example]) -> dict[str, object]:
    predicted = {ex.line: recognizer.recognize(ex.text, today=TODAY) for ex in examples}
    per_intent: dict[str, list[bool]] = defaultdict(list)
    confusion: Counter[tuple[str, str]] = Counter()
    errors: list[tuple[Example, str]] = []
    for ex in examples:
        got = predicted[ex.line].intent
        per_intent[ex.intent].append(got == ex.intent)
        if got != ex.intent:
            confusion[(ex.intent, got)] += 1
            errors.append((ex, got))
    correct = sum(predicted[ex.line].intent == ex.intent for ex in examples)
    held = [ex for ex in examples if ex.held_out]
    held_correct = sum(predicted[ex.line].intent == ex.intent for ex in held)
    ambiguous = sum(predicted[ex.line].ambiguous for ex in examples)
    return {
        "overall": correct / len(examples),
        "held_out": held_correct / len(held) if held else 1.0,
        "held_out_n": len(held),
        "per_intent": {intent: sum(v) / len(v) for intent, v in per_intent.items()},
        "per_intent_n": {intent: len(v) for intent, v in per_intent.items()},
        "confusion": confusion,
        "errors": errors,
        "ambiguous": ambiguous,
    }


def date_accuracy(rows: list[tuple[str, date, date | None]]) -> tuple[float, list[tuple[str, date, date | None, date | None]]]:
    wrong = []
    for text, today, expected in rows:
        got = parse_date(text, today)
        if got != expected:
            wrong.append((text, today, expected, got))
    return 1 - len(wrong) / len(rows), wrong


def latency_us(recognizer: Recognizer, texts: list[str], rounds: int = ROUNDS) -> tuple[float, float]:
    for text in texts:  # warm caches (regex, lru) once, as a running process would have
        recognizer.recognize(text, today=TODAY)
    samples: list[float] = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            recognizer.recognize(text, today=TODAY)
            samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> int:
    started = time.perf_counter()
    recognizer = Recognizer()
    startup = time.perf_counter() - started
    examples = load_utterances()
    result = evaluate(recognizer, examples)
    dates_acc, dates_wrong = date_accuracy(load_dates())
    p50, p99 = latency_us(recognizer, [ex.text for ex in examples])

    print(f"utterances: {len(examples)}  (held-out: {result['held_out_n']}, every {HELD_OUT_EVERY}th line)")
    print(f"accuracy overall: {result['overall']:.1%}   held-out: {result['held_out']:.1%}   "
          f"ambiguous answers: {result['ambiguous']}")
    print("per intent:")
    per_intent: dict[str, float] = result["per_intent"]  # type: ignore[assignment]
    counts: dict[str, int] = result["per_intent_n"]  # type: ignore[assignment]
    for intent in sorted(per_intent, key=lambda i: (per_intent[i], i)):
        print(f"  {intent:<18} {per_intent[intent]:6.1%}  (n={counts[intent]})")
    confusion: Counter[tuple[str, str]] = result["confusion"]  # type: ignore[assignment]
    if confusion:
        print("confusions (expected -> got: count):")
        for (expected, got), n in confusion.most_common():
            print(f"  {expected:<18} -> {got:<18} {n}")
    if "-v" in sys.argv:
        for ex, got in result["errors"]:  # type: ignore[union-attr]
            print(f"  ✗ line {ex.line}{' (held-out)' if ex.held_out else ''}: {ex.text!r} expected {ex.intent}, got {got}")
    print(f"dates: {dates_acc:.1%} exact")
    for text, today, expected, got in dates_wrong:
        print(f"  ✗ {text!r} today={today} expected={expected} got={got}")
    print(f"start-up: {startup:.3f} s (dictionary load {recognizer.startup_seconds:.3f} s)")
    print(f"latency per utterance: p50 {p50:.0f} µs, p99 {p99:.0f} µs ({ROUNDS} rounds × {len(examples)})")

    missed = []
    if result["overall"] < TARGET_OVERALL:  # type: ignore[operator]
        missed.append(f"overall accuracy < {TARGET_OVERALL:.0%}")
    worst = min(per_intent.values())
    if worst < TARGET_PER_INTENT:
        missed.append(f"an intent below {TARGET_PER_INTENT:.0%}")
    if dates_acc < TARGET_DATES:
        missed.append(f"dates below {TARGET_DATES:.0%}")
    if p99 >= TARGET_P99_US:
        missed.append(f"p99 ≥ {TARGET_P99_US:.0f} µs")
    if missed:
        print("MISSED: " + "; ".join(missed))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
