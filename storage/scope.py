"""Who is responsible for what: the one home of every scope and permission rule.

A town's staff answer for the enterprises in the town; a department's staff for the enterprises assigned to it
(the import assigns the department leading the enterprise's industry when the registry leaves it blank;
otherwise the town answers, 属地兜底); admins for everything. A tip is handled by the unit it is assigned to.
Every list, page and check asks the same Scope, in SQL (`hazards()`, `enterprises()`) or in Python (`covers`).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from .domain import ENTERPRISE_ROLES
from .models import Enterprise, Hazard, Person, Unit


@dataclass(frozen=True)
class Scope:
    """Which enterprises a person may see: a town's, a department's, all (admin), or none."""

    unit: Unit | None
    everything: bool = False

    @property
    def label(self) -> str:
        return "全部单位" if self.everything else (self.unit.name if self.unit else "")

    def hazards(self) -> ColumnElement[bool]:
        """The scope on the hazard's own copy of its enterprise's units."""
        if self.everything:
            return true()
        if self.unit is None:
            return false()
        column = Hazard.town_id if self.unit.kind == "town" else Hazard.department_id
        return column == self.unit.id

    def enterprises(self) -> ColumnElement[bool]:
        if self.everything:
            return true()
        if self.unit is None:
            return false()
        column = Enterprise.town_id if self.unit.kind == "town" else Enterprise.department_id
        return column == self.unit.id

    def covers(self, town_id: int | None, department_id: int | None) -> bool:
        """The same rule as hazards()/enterprises(), for one record's units."""
        if self.everything:
            return True
        if self.unit is None:
            return False
        return self.unit.id == (town_id if self.unit.kind == "town" else department_id)

    def handles(self, unit_id: int | None) -> bool:
        """Records assigned to a unit (tips): its own staff, or an admin."""
        return self.everything or (self.unit is not None and unit_id == self.unit.id)


def scope_of(person: Person) -> Scope:
    if person.role == "admin":
        return Scope(None, everything=True)
    if person.role == "staff" and person.unit is not None:
        return Scope(person.unit)
    return Scope(None)


def responsible_for_hazard(person: Person, hazard: Hazard) -> bool:
    """Staff of the hazard's town or supervising department, or an admin."""
    return person.role not in ENTERPRISE_ROLES and scope_of(person).covers(hazard.town_id, hazard.department_id)


def tip_unit(session: Session, enterprise: Enterprise | None, industry: str, default_unit: str) -> Unit | None:
    """Who handles a tip: the enterprise's supervising department, else its town; else the one department
    leading the industry; else the configured default unit."""
    if enterprise is not None:
        return enterprise.department or enterprise.town
    if industry:
        leads = [u for u in session.scalars(select(Unit).where(Unit.kind == "department"))
                 if industry in (u.industries or [])]
        if len(leads) == 1:
            return leads[0]
    if default_unit:
        return session.scalars(select(Unit).where(Unit.name == default_unit)).one_or_none()
    return None
