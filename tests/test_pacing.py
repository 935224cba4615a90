"""How fast pushes go out: many at once, within each account's bucket and each WeCom member's limits."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.channels.registry import ChannelRegistry
from conftest import make_config
from fake_wechat_api import FakeWeChatAPI
from scheduler.delivery import OutboxSender
from scheduler.pacing import Pacer, RecipientLimit, TokenBucket
from storage.config import ConfigError, parse_config
from storage.db import migrate
from storage.db import make_engine, make_session_factory
from storage.models import Outbox
from storage.outbox import enqueue
from storage.ratelimit import MemoryRateLimiter

import pytest


def test_the_token_bucket_lets_its_rate_through_and_waits_for_the_rest():
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    bucket = TokenBucket(per_minute=120, burst=2, clock=lambda: now[0], sleep=sleep)
    assert bucket.take() and bucket.take()  # the burst
    assert not slept
    assert bucket.take()  # then 2 a second: half a second's wait
    assert sum(slept) == pytest.approx(0.5)
    stopping = TokenBucket(per_minute=1, burst=1, clock=lambda: now[0], sleep=sleep)
    stopping.take()
    assert stopping.take(stopping=lambda: True) is False  # a stop does not wait a minute for a token


def test_a_wecom_member_gets_at_most_the_limit_a_minute_and_the_rest_waits_unsent(tmp_path):
    clock_now = datetime(2026, 6, 24, 2, 0, tzinfo=timezone.utc)
    with FakeWeChatAPI() as api:
        config = make_config(tmp_path, wechat={"api_base_url": api.base_url}, wecom={"api_base_url": api.base_url},
                             scheduler={"concurrency": 8})
        migrate(config.database.url)
        engine = make_engine(config.database.url)
        sessions = make_session_factory(engine)
        with sessions.begin() as s:
            for i in range(20):
                enqueue(s, channel="wecom", recipient="zhangsan", text=f"提醒 {i}", now=clock_now, rule="broadcast")
            for i in range(10):
                enqueue(s, channel="wecom", recipient=f"member{i}", text="提醒", now=clock_now, rule="broadcast")
        sender = OutboxSender(sessions, ChannelRegistry(config).senders(), config, lambda: clock_now, concurrency=8)
        result = sender.deliver_pending()
        to_zhangsan = [c for c in api.sent if c["body"].get("touser") == "zhangsan"]
        assert len(to_zhangsan) == 15  # config.scheduler.wecom_member_per_minute: half of WeCom's 30
        assert result.sent == 25 and result.deferred == 5
        with sessions() as s:
            waiting = s.scalars(select(Outbox).where(Outbox.status == "pending")).all()
            assert len(waiting) == 5
            # Not sent, so nothing is in doubt and no attempt is used up; it waits for the next window.
            assert all(r.attempts == 0 and r.recipient == "zhangsan" for r in waiting)
            assert all(r.not_before > clock_now for r in waiting)
        engine.dispose()


def test_recipient_counters_are_per_channel_and_member():
    pacer = Pacer(6000, {"wecom": RecipientLimit(2, 3)}, MemoryRateLimiter(), b"k")
    assert [pacer.recipient("wecom", "a") for _ in range(3)][:2] == [0, 0]
    assert pacer.recipient("wecom", "a") > 0
    assert pacer.recipient("wecom", "b") == 0
    assert all(pacer.recipient("wechat", "a") == 0 for _ in range(10))  # the OA refuses with an error code


def test_limits_above_wecoms_are_refused_at_start():
    with pytest.raises(ConfigError, match="直接丢弃"):
        parse_config({"scheduler": {"wecom_member_per_minute": 31}})
    with pytest.raises(ConfigError, match="至少为 1"):
        parse_config({"scheduler": {"concurrency": 0}})


def test_many_at_once_send_each_push_once(tmp_path):
    now = datetime(2026, 6, 24, 2, 0, tzinfo=timezone.utc)
    with FakeWeChatAPI() as api:
        api.latency = 0.05
        config = make_config(tmp_path, wechat={"api_base_url": api.base_url}, wecom={"api_base_url": api.base_url},
                             scheduler={"concurrency": 16})
        migrate(config.database.url)
        engine = make_engine(config.database.url)
        sessions = make_session_factory(engine)
        with sessions.begin() as s:
            for i in range(64):
                enqueue(s, channel="wecom", recipient=f"u{i}", text=f"提醒 {i}", now=now - timedelta(minutes=1),
                        rule="broadcast")
        result = OutboxSender(sessions, ChannelRegistry(config).senders(), config, lambda: now,
                              concurrency=16).deliver_pending()
        assert result.sent == 64
        assert api.max_in_flight > 1  # several sends were in WeChat's hands at once
        assert sorted(c["body"]["text"]["content"] for c in api.sent) == sorted(f"提醒 {i}" for i in range(64))
        engine.dispose()


def test_a_notice_to_several_people_is_queued_once_each_however_often_its_cause_repeats(services):
    from storage.outbox import enqueue_each

    now = services.now()
    people = [("wechat", "o_a", "notice:1:a"), ("wechat", "o_b", "notice:1:b"), ("wechat", "o_a", "notice:1:a")]
    with services.sessions.begin() as s:
        first = enqueue_each(s, people, text="【双报告·发现】", now=now)
    with services.sessions.begin() as s:
        again = enqueue_each(s, people + [("wechat", "o_c", "notice:1:c")], text="【双报告·发现】", now=now)
    with services.sessions() as s:
        queued = sorted(s.scalars(select(Outbox.recipient)).all())
    assert (first, again, queued) == (2, 1, ["o_a", "o_b", "o_c"])
