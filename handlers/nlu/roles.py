"""What the same words mean from different senders.

The scorer reads the words; this module reads who sent them. A dangerous situation described by an enterprise
is a report, by a stranger a tip, by staff an inspection finding (which staff record as a hazard report);
"整改到位" from staff is a verification, from the enterprise a progress report. Each role folds the intents it
cannot mean into the ones it does, so the evidence is kept and only its reading changes.
"""
from __future__ import annotations

from .intents import (
    BIND,
    DETAIL,
    DISPATCH,
    INBOX,
    INVITE,
    OVERDUE,
    PROGRESS,
    REPORT,
    SC_START,
    SC_STATUS,
    TIP,
    TIP_QUERY,
    UNCHECKED,
    VERIFY,
)
from .model import ANY_ROLE, Situation

ENTERPRISE = frozenset({"enterprise_head", "safety_officer"})
STAFF = frozenset({"staff", "admin"})

# source intent -> the intent it means for this kind of sender
# An unbound person asking to unbind keeps that reading: the answer is that nothing is bound, not a binding.
_VISITOR_FOLD = {REPORT: TIP, PROGRESS: TIP_QUERY, VERIFY: TIP_QUERY, INBOX: TIP_QUERY, DETAIL: TIP_QUERY,
                 INVITE: BIND, SC_START: BIND, SC_STATUS: BIND}
_ENTERPRISE_FOLD = {VERIFY: PROGRESS, INBOX: TIP_QUERY, DISPATCH: SC_START}
# … and the follow-up of such a report is a question about one of its own hazards (我在这报的…有人管吗).
_ENTERPRISE_OWN_SITE_FOLD = {**_ENTERPRISE_FOLD, TIP: REPORT, TIP_QUERY: DETAIL}
_STAFF_FOLD = {PROGRESS: VERIFY, TIP_QUERY: INBOX, SC_START: UNCHECKED, BIND: INVITE}
# The model's guesses for staff: as the rules' fold, but its bind stays bind — it reads the role, and knows staff
# binding their own account from staff inviting others, where the rules' bind is folded by whom the words name
# (apply) — and a described hazard is an inspection finding.
_STAFF_MODEL_FOLD = {**{k: v for k, v in _STAFF_FOLD.items() if k != BIND}, TIP: REPORT}
# Staff-only questions an enterprise may still ask about its own hazards.
_ENTERPRISE_OWN = {OVERDUE: PROGRESS}


def _enterprise_fold(not_own: bool) -> dict[str, str]:
    """A danger an enterprise's head or safety officer describes without asking to stay unknown, and without
    naming another's site (`not_own`), is at their own: a report, not a tip."""
    return _ENTERPRISE_FOLD if not_own else _ENTERPRISE_OWN_SITE_FOLD


def fold(intent: str, role: str | None, *, not_own: bool = False) -> str:
    """One of the model's intents as this sender means it: the rules' folding, except staff's (_STAFF_MODEL_FOLD)."""
    if role == ANY_ROLE:
        return intent
    if role is None:
        return _VISITOR_FOLD.get(intent, intent)
    if role in ENTERPRISE:
        return _enterprise_fold(not_own).get(intent, intent)
    if role in STAFF:
        return _STAFF_MODEL_FOLD.get(intent, intent)
    return intent


def apply(totals: dict[str, float], role: str | None, situation: Situation | None, *,
          anonymous: bool, hazard_words: bool, identity: bool = False, question: bool = False,
          for_others: bool = True, elsewhere: bool = False) -> dict[str, float]:
    """The totals as this sender means them. `anonymous`: the text asks for anonymity or names 举报;
    `hazard_words`: it describes a dangerous situation; `identity`: it speaks of who the sender is (我是…,
    企业, 身份, 邀请码); `question`: it ends as a question; `for_others`: it names someone else who is to be
    bound (an enterprise, a colleague), so staff speaking of binding mean an invitation; `elsewhere`: it names
    another's site (隔壁, 对面那家)."""
    if role == ANY_ROLE:
        return totals
    out = dict(totals)
    if role is None:
        # A stranger who speaks of who they are wants to be bound; one who asks about 举报 follows one up.
        if identity and not hazard_words and not anonymous:
            out[BIND] = out.get(BIND, 0.0) + 2.5
        if anonymous and question and not hazard_words:
            out[TIP_QUERY] = out.get(TIP_QUERY, 0.0) + 1.5
    if role is None:
        fold = _VISITOR_FOLD
    elif role in ENTERPRISE:
        fold = _enterprise_fold(anonymous or elsewhere)
    elif role in STAFF:
        fold = dict(_STAFF_FOLD)
        if not for_others:
            # 绑定一下 / 输入邀请码 with nobody else named: the staff member binds their own account.
            del fold[BIND]
        if not anonymous:
            # Staff describing a hazard found it on an inspection; staff speaking of 举报 read the inbox.
            fold[TIP] = REPORT
        else:
            fold[TIP] = INBOX
    else:
        return totals
    for source, target in fold.items():
        if source in out:
            moved = out.pop(source)
            if moved > 0:
                out[target] = out.get(target, 0.0) + moved
    if situation is not None:
        if situation.draft and role in ENTERPRISE and SC_START in out:
            out[SC_START] += 0.8
        if situation.tip_question and TIP_QUERY in out:
            out[TIP_QUERY] += 1.0
        relevant = role in ENTERPRISE and (out.get(OVERDUE, 0.0) > 0 or (hazard_words and PROGRESS in out))
        if relevant and situation.has_open_hazards():
            # An enterprise with open hazards that speaks of a fix or a deadline means one of its own.
            for source, target in _ENTERPRISE_OWN.items():
                if out.get(source, 0.0) > 0:
                    out[target] = out.get(target, 0.0) + 0.5 * out[source]
            if hazard_words and PROGRESS in out:
                out[PROGRESS] += 0.4
    # Staff work named by anyone else (本月还差几条 from an enterprise) keeps its reading: the engine then
    # says who may do it.
    return out
