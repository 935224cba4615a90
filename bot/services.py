"""Everything a request needs, built once by the app factory (or the CLI) from the config."""
from __future__ import annotations

import logging
from pathlib import Path
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import WalCheckpointer, make_engine, make_session_factory

from storage.config import Config, ConfigError
from .media import channel_downloaders
from storage.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Services:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    secret: bytes
    limiter: RateLimiter
    tz: ZoneInfo
    nlu: object  # handlers.nlu.Recognizer
    forms: object  # handlers.forms.catalog.FormCatalog
    downloaders: dict[str, Callable[[str], bytes]]  # channel -> media_id -> bytes
    redis: object | None = None
    clock: Callable[[], datetime] = utc_now
    checkpointer: WalCheckpointer | None = None

    def now(self) -> datetime:
        """Now, in the campaign's time zone (what people see)."""
        return self.clock().astimezone(self.tz)

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()


def check_selfcheck_config(config: Config, forms: object) -> None:
    """Every bank the config names must exist: a typo would otherwise surface mid-conversation."""
    cfg = config.selfcheck
    for kind in (cfg.high_risk_period, cfg.other_period):
        if kind not in ("month", "quarter"):
            raise ConfigError(f"selfcheck period must be month or quarter, not {kind!r}")
    named = list(cfg.always) + [b for banks in cfg.banks.values() for b in banks]
    missing = sorted({b for b in named if b not in forms})  # type: ignore[operator]
    if missing:
        raise ConfigError(f"selfcheck names unknown checklist bank(s): {', '.join(missing)}")


def build_services(config: Config, *, clock: Callable[[], datetime] = utc_now, nlu: object | None = None) -> Services:
    """`nlu` lets several apps in one process (tests, benchmarks) share one loaded recognizer."""
    if nlu is None:
        from handlers.nlu import Recognizer  # loads jieba's dictionary: do it once, before any fork

        nlu = Recognizer()

    from handlers.forms.catalog import SHIPPED_CHECKLISTS, FormCatalog

    forms = FormCatalog(Path(config.selfcheck.checklists_dir) if config.selfcheck.checklists_dir else SHIPPED_CHECKLISTS)
    check_selfcheck_config(config, forms)
    engine = make_engine(config.database.url, echo=config.database.echo, background_checkpoints=True)
    checkpointer = None
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        checkpointer = WalCheckpointer(engine).start()
    redis_client = None
    limiter: RateLimiter
    if config.redis.url:
        import redis

        redis_client = redis.Redis.from_url(config.redis.url)
        limiter = RedisRateLimiter(redis_client)
    else:
        limiter = MemoryRateLimiter()
    return Services(
        config=config, engine=engine, sessions=make_session_factory(engine), secret=config.secret_key(),
        limiter=limiter, tz=ZoneInfo(config.campaign.timezone), nlu=nlu, forms=forms, downloaders=channel_downloaders(config, redis_client), redis=redis_client,
        clock=clock, checkpointer=checkpointer,
    )
