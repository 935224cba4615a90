"""Finding an enterprise or unit by what a person typed: exact name, else a unique part of it."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Enterprise, Unit


class LookupError_(LookupError):
    pass


def find_enterprise(session: Session, text: str) -> Enterprise:
    return _find(session, Enterprise, text, "企业")


def find_unit(session: Session, text: str) -> Unit:
    return _find(session, Unit, text, "单位")


def _find(session: Session, model: type[Enterprise] | type[Unit], text: str, label: str) -> Any:
    text = text.strip()
    exact: list[Any] = list(session.scalars(select(model).where(model.name == text)).all())
    if len(exact) == 1:
        return exact[0]
    like: list[Any] = list(session.scalars(select(model).where(model.name.contains(text, autoescape=True)).limit(6)))
    if len(like) == 1:
        return like[0]
    if not like:
        raise LookupError_(f"没有找到名称包含「{text}」的{label}")
    names = "、".join(x.name for x in like[:5])
    raise LookupError_(f"「{text}」对应多个{label}：{names}{' 等' if len(like) > 5 else ''}，请写全称")
