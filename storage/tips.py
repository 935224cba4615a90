"""Tips (举报): receipt codes, hashing, numbering and who handles a tip.

The receipt code is 20 Crockford base32 characters (100 bits from `secrets`), shown once in groups of four.
It is stored only as scrypt(code, deployment salt): slow to guess offline, yet deterministic, so a
look-up needs one scrypt and an index probe rather than a scan.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .invites import ALPHABET
from .models import Enterprise, Tip, Unit

RECEIPT_LENGTH = 20
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
# scrypt cost: ~30-60 ms per look-up on one core; lookups are rate limited per sender on top.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def new_receipt() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalize_receipt(text: str) -> str | None:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_CONFUSABLE)
    if len(cleaned) != RECEIPT_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def receipt_hash(secret: bytes, code: str) -> str | None:
    normalized = normalize_receipt(code)
    if normalized is None:
        return None
    salt = hmac.new(secret, b"tip-receipt-salt", hashlib.sha256).digest()
    return hashlib.scrypt(normalized.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32).hex()


def find_tip(session: Session, secret: bytes, code: str) -> Tip | None:
    digest = receipt_hash(secret, code)
    if digest is None:
        return None
    return session.scalars(select(Tip).where(Tip.receipt_hash == digest)).one_or_none()


def next_tip_number(session: Session, day: date) -> str:
    prefix = f"JB-{day:%Y%m}-"
    last = session.scalar(select(func.max(Tip.number)).where(Tip.number.like(prefix + "%")))
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def responsible_unit(session: Session, enterprise: Enterprise | None, industry: str, default_unit: str) -> Unit | None:
    """The enterprise's supervising department, else its town; else the one department leading the
    industry; else the configured default unit."""
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
