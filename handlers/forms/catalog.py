"""Every form the bot knows: the checklist banks and the flows' own forms, loaded and validated once."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .definition import FormDef, Item, load_forms

SHIPPED_CHECKLISTS = Path(__file__).resolve().parent.parent / "checklists"
FLOW_FORMS = Path(__file__).resolve().parent / "defs"


class FormCatalog:
    """Forms by id. Built at start-up: a broken file stops the start rather than a conversation."""

    def __init__(self, checklists: Path = SHIPPED_CHECKLISTS, flow_forms: Path = FLOW_FORMS) -> None:
        self._forms: dict[str, FormDef] = dict(load_forms(checklists))
        for form_id, definition in load_forms(flow_forms).items():
            if form_id in self._forms:
                raise ValueError(f"form id {form_id} is used both by a checklist bank and a flow form")
            self._forms[form_id] = definition
        self._composed: dict[tuple[str, ...], FormDef] = {}

    def __contains__(self, form_id: str) -> bool:
        return form_id in self._forms

    def form(self, form_id: str) -> FormDef:
        return self._forms[form_id]

    def compose(self, form_ids: list[str]) -> FormDef:
        """Several banks asked as one questionnaire, in the given order. A bank this version no longer ships is
        left out (a draft begun with it then drops its answers, and the person is told the checklist changed)."""
        key = tuple(i for i in form_ids if i in self._forms)
        if not key:
            raise KeyError(f"none of the banks {form_ids} exists")
        if key not in self._composed:
            parts = [self._forms[i] for i in key]
            every = [item for part in parts for item in part.items]
            ids = [item.id for item in every]
            dupes = {i for i in ids if ids.count(i) > 1}
            if dupes:
                raise ValueError(f"item ids {sorted(dupes)} appear in more than one of {list(key)}")
            items = tuple(_without_restatements(every))
            self._composed[key] = replace(
                parts[0], id="+".join(key), version="+".join(f"{p.id}@{p.version}" for p in parts),
                title="、".join(p.title for p in parts), kind="selfcheck", items=items, path=None,
                source="；".join(p.source for p in parts), note="")
        return self._composed[key]


def _without_restatements(items: list[Item]) -> list[Item]:
    """Leave out an item whose situation another bank of the questionnaire asks unconditionally (asked_by): the
    national standard's wording and citation win over a campaign plan's restatement of it."""
    always = {item.id for item in items if item.relevant is None}
    dropped = {item.id for item in items if always.intersection(item.asked_by)}
    for item in items:
        if item.id not in dropped and item.relevant is not None and item.relevant.references & dropped:
            raise ValueError(f"{item.id} depends on {sorted(item.relevant.references & dropped)}, which another bank asks")
    return [item for item in items if item.id not in dropped]
