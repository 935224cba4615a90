"""Everything a message or a job needs, built once per process by the app factory (or the CLI) from the config."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from handlers.forms.catalog import SHIPPED_CHECKLISTS, FormCatalog
from handlers.nlu import Recognizer
from storage.config import Config, ConfigError
from storage.db import WalCheckpointer, make_engine, make_session_factory
from storage.ephemeral import Ephemeral, MemoryEphemeral, RedisEphemeral
from storage.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from storage.replay import MemoryReplayGuard, RedisReplayGuard, ReplayGuard

from .channels.registry import ChannelRegistry, Download

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Satisfies handlers.base.Services (what a conversation may use) and scheduler.runner.JobServices."""

    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    secret: bytes
    limiter: RateLimiter
    tz: ZoneInfo
    nlu: Recognizer
    forms: FormCatalog
    channels: ChannelRegistry
    # What must never reach a file (anonymous tips' drafts, their dedup records and late replies).
    private: Ephemeral = field(default_factory=MemoryEphemeral)
    # Signed webhook requests seen, against replays: shared by every worker through Redis; in memory for the
    # one process that runs without it (bot.wsgi refuses several workers without Redis).
    replay: ReplayGuard = field(default_factory=MemoryReplayGuard)
    redis: Any | None = None  # a redis.Redis client when configured
    clock: Callable[[], datetime] = utc_now
    checkpointer: WalCheckpointer | None = None
    downloaders: dict[str, Download] = field(init=False)

    def __post_init__(self) -> None:
        self.downloaders = self.channels.downloaders()

    def now(self) -> datetime:
        """Now, in the campaign's time zone (what people see)."""
        return self.clock().astimezone(self.tz)

    def forget_private_traces(self) -> None:
        """After an anonymous tip's turn: SQLite's WAL keeps every page written (or deleted) until a checkpoint
        copies it back, so truncate it soon (PostgreSQL's WAL is the server's own; nothing private is written
        there in the first place)."""
        if self.checkpointer is not None:
            self.checkpointer.truncate_soon()

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()


def check_selfcheck_config(config: Config, forms: FormCatalog) -> None:
    """Every bank the config names must exist: a typo would otherwise surface mid-conversation."""
    cfg = config.selfcheck
    for kind in (cfg.high_risk_period, cfg.other_period):
        if kind not in ("month", "quarter"):
            raise ConfigError(f"selfcheck period must be month or quarter, not {kind!r}")
    named = list(cfg.always) + [b for banks in cfg.banks.values() for b in banks]
    missing = sorted({b for b in named if b not in forms})
    if missing:
        raise ConfigError(f"selfcheck names unknown checklist bank(s): {', '.join(missing)}")


def build_services(config: Config, *, clock: Callable[[], datetime] = utc_now,
                   nlu: Recognizer | None = None) -> Services:
    """`nlu` lets several apps in one process (tests, benchmarks) share one loaded recognizer."""
    # Loads jieba's dictionary: do it once per process, before serving.
    nlu = nlu or Recognizer(festivals={name: [date.fromisoformat(d) for d in days]
                                       for name, days in config.scheduler.festivals.items()})
    forms = FormCatalog(Path(config.selfcheck.checklists_dir) if config.selfcheck.checklists_dir else SHIPPED_CHECKLISTS)
    check_selfcheck_config(config, forms)
    engine = make_engine(config.database.url, echo=config.database.echo, background_checkpoints=True,
                         connect_timeout=config.database.connect_timeout)
    checkpointer = None
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        checkpointer = WalCheckpointer(engine).start()
    redis_client = None
    limiter: RateLimiter
    private: Ephemeral
    replay: ReplayGuard
    if config.redis.url:
        import redis

        redis_client = redis.Redis.from_url(config.redis.url)
        limiter = RedisRateLimiter(redis_client, prefix=f"{config.redis.prefix}rl:")
        private = RedisEphemeral(redis_client, prefix=f"{config.redis.prefix}eph:")
        replay = RedisReplayGuard(redis_client, prefix=config.redis.prefix)
    else:
        limiter = MemoryRateLimiter()
        private = MemoryEphemeral()
        replay = MemoryReplayGuard()
    return Services(
        config=config, engine=engine, sessions=make_session_factory(engine), secret=config.secret_key(),
        limiter=limiter, tz=ZoneInfo(config.campaign.timezone), nlu=nlu, forms=forms,
        channels=ChannelRegistry(config, redis_client), private=private, replay=replay, redis=redis_client, clock=clock,
        checkpointer=checkpointer,
    )
