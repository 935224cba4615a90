"""Every form the bot knows: the checklist banks and the flows' own forms, loaded and validated once."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .definition import FormDef, load_forms

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
        """Several banks asked as one questionnaire, in the given order."""
        key = tuple(form_ids)
        if key not in self._composed:
            parts = [self._forms[i] for i in form_ids]
            items = tuple(item for part in parts for item in part.items)
            ids = [item.id for item in items]
            dupes = {i for i in ids if ids.count(i) > 1}
            if dupes:
                raise ValueError(f"item ids {sorted(dupes)} appear in more than one of {form_ids}")
            self._composed[key] = replace(
                parts[0], id="+".join(form_ids), version="+".join(f"{p.id}@{p.version}" for p in parts),
                title="、".join(p.title for p in parts), kind="selfcheck", items=items, path=None,
                source="；".join(p.source for p in parts), note="")
        return self._composed[key]
