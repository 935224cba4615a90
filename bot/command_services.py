"""What the operator's commands (invite, import, export, record, broadcast, outbox) need, and no more.

The app's Services (bot.services) loads the recogniser's dictionary, the channels' API clients and every
handler; a command that only writes an invite code or reads the records needs a database, the deployment's
key and the campaign's time zone. Built from storage/ alone, such a command starts in a fraction of a second
(bench/startup.py); the checklist catalog, which only the self-check export reads, is loaded on first use.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.config import Config
from storage.db import make_engine, make_session_factory


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CommandServices:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    secret: bytes
    tz: ZoneInfo
    clock: Callable[[], datetime] = field(default=_utc_now)

    def now(self) -> datetime:
        return self.clock().astimezone(self.tz)

    @cached_property
    def forms(self) -> Any:
        from handlers.forms.catalog import SHIPPED_CHECKLISTS, FormCatalog

        folder = self.config.selfcheck.checklists_dir
        return FormCatalog(Path(folder) if folder else SHIPPED_CHECKLISTS)

    def close(self) -> None:
        self.engine.dispose()


def build_command_services(config: Config) -> CommandServices:
    engine = make_engine(config.database.url, echo=config.database.echo)
    return CommandServices(config, engine, make_session_factory(engine), config.secret_key(),
                           ZoneInfo(config.campaign.timezone))
