"""Finding the enterprise a person means by a name typed on a phone ("青山化", "青山化工厂"), within their scope."""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import select

from storage.models import Enterprise
from storage.scope import Scope

from .base import Context

SCORE_CUTOFF = 80
CLEAR_LEAD = 15  # the best match wins outright when it is this far ahead of the next


@dataclass(frozen=True)
class Found:
    chosen: tuple[int, str] | None  # (id, name) when one enterprise is meant
    similar: tuple[tuple[int, str], ...] = ()  # otherwise the close ones, best first (none: nothing close)


def find_enterprise(ctx: Context, scope: Scope, text: str) -> Found:
    rows = ctx.session.execute(select(Enterprise.id, Enterprise.name).where(scope.enterprises())).all()
    names = {name: eid for eid, name in rows}
    if text in names:
        return Found((names[text], text))
    hits = process.extract(text, list(names), scorer=fuzz.partial_ratio, score_cutoff=SCORE_CUTOFF, limit=5)
    if not hits:
        return Found(None)
    if len(hits) == 1 or hits[0][1] - hits[1][1] >= CLEAR_LEAD:
        return Found((names[hits[0][0]], hits[0][0]))
    return Found(None, tuple((names[h[0]], h[0]) for h in hits))
