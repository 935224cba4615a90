"""The intents, and how a message's totals decide among them.

The totals come from the rule table (rules.py); the totals are compared, and when the two best are close the
result says so (ambiguous) so the bot asks instead of guessing. The sender's role changes the reading before
(roles.py), and text no rule places goes to a small character model (bayes.py).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

INTENTS = (
    "menu", "bind", "selfcheck_start", "selfcheck_status", "hazard_report", "hazard_progress", "hazard_verify",
    "tip_submit", "tip_query", "quota_query", "overdue_query", "unchecked_query", "stats_query",
    "report_generate", "dashboard_login", "reminder_ack", "greeting", "invite_create", "unbind", "dispatch_fill",
    "tip_inbox", "hazard_detail", "unknown",
)

MENU, BIND, SC_START, SC_STATUS = "menu", "bind", "selfcheck_start", "selfcheck_status"
REPORT, PROGRESS, VERIFY = "hazard_report", "hazard_progress", "hazard_verify"
TIP, TIP_QUERY, QUOTA, OVERDUE = "tip_submit", "tip_query", "quota_query", "overdue_query"
UNCHECKED, STATS, EXPORT, DASHBOARD, ACK, UNKNOWN = (
    "unchecked_query", "stats_query", "report_generate", "dashboard_login", "reminder_ack", "unknown")
GREETING, INVITE, UNBIND, DISPATCH, INBOX, DETAIL = (
    "greeting", "invite_create", "unbind", "dispatch_fill", "tip_inbox", "hazard_detail")

# What one rule's hit adds to each intent (negative: counts against it).
Weights = dict[str, float]

# Below this total no intent is believed: chit-chat and gibberish land here.
MIN_SCORE = 1.6
# The runner-up within this share of the winner makes the result ambiguous …
AMBIGUOUS_RATIO = 0.75
# … unless it is weak on its own.
AMBIGUOUS_FLOOR = 2.0
MAX_CANDIDATES = 4

@dataclass(frozen=True)
class Scored:
    intent: str
    confidence: float
    candidates: tuple[tuple[str, float], ...]
    ambiguous: bool


# Words that join two requests in one message ("上报隐患，顺便查一下逾期的"). Plain commas are not enough: a
# rambling description has many clauses about one thing.
CLAUSE_JOINERS = re.compile(r"[，,。.;；!！?？\s]*(?:顺便|另外|同时|并且|然后|以及|再帮我|再把|再看|再查)|[，,;；]\s*(?:还有|还要|再)")


def clauses(text: str) -> list[str]:
    return [part for part in CLAUSE_JOINERS.split(text) if part and part.strip()]


def requests_in(clause_tops: tuple[str, ...]) -> list[str]:
    """The distinct requests the clauses of a joined message make, in order; two or more: a mixed message."""
    return [i for i in dict.fromkeys(clause_tops) if i != UNKNOWN]


def decide(totals: dict[str, float], clause_tops: tuple[str, ...] = ()) -> Scored:
    """Ranks the totals; `clause_tops` are the winners of separately scored clauses of a joined request."""
    ranked = sorted(((i, s) for i, s in totals.items() if s > 0), key=lambda item: (-item[1], INTENTS.index(item[0])))
    if not ranked or ranked[0][1] < MIN_SCORE:
        strength = ranked[0][1] if ranked else 0.0
        confidence = 1.0 - _saturate(strength)
        weak = tuple((i, round(s / (s + MIN_SCORE), 3)) for i, s in ranked[:MAX_CANDIDATES - 1])
        return Scored(UNKNOWN, confidence, ((UNKNOWN, round(confidence, 3)),) + weak, False)
    top_intent, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    kept = [(i, s) for i, s in ranked if s >= 0.4 * top][:MAX_CANDIDATES]
    total = sum(s for _, s in kept)
    candidates = tuple((i, round(s / total, 3)) for i, s in kept)
    confidence = _saturate(top) * top / (top + second)
    ambiguous = second >= AMBIGUOUS_RATIO * top and second >= AMBIGUOUS_FLOOR
    mixed = requests_in(clause_tops)
    if len(mixed) >= 2 and top_intent in mixed:
        # Two requests in one message: both must be offered, whatever their weight in the whole text.
        ambiguous = True
        chosen = [(i, totals.get(i, 0.0)) for i in mixed[:MAX_CANDIDATES]]
        kept = sorted(chosen, key=lambda item: -item[1])
        total = sum(s for _, s in kept)
        candidates = tuple((i, round(s / total, 3)) for i, s in kept)
    return Scored(top_intent, confidence, candidates, ambiguous)


def _saturate(strength: float) -> float:
    # Maps an unbounded weight total onto 0..1: one strong keyword (~3) is about 0.7.
    return 1.0 - math.exp(-strength / 2.5)
