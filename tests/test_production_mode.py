"""Production mode for real: PostgreSQL and Redis, several processes sharing them.

Skipped only outside CI when the services are not running; in CI (.ci/run starts them) a missing
service is a failure.
"""
from __future__ import annotations

import multiprocessing as mp
from datetime import datetime, timezone

from sqlalchemy import create_engine, func, select, text

from storage.config import parse_config
from handlers.messages import TEXT, Incoming
from storage.db import migrate
from storage.models import InviteCode, Person, ProcessedMessage

def prod_config(tmp_path, pg_url, redis_url, redis_prefix):
    return parse_config({
        "database": {"url": pg_url}, "redis": {"url": redis_url, "prefix": redis_prefix},
        "security": {"secret_key": "prod-test-secret"},
        "server": {"instance_dir": str(tmp_path / "inst")},
    })


def test_init_is_idempotent_on_postgresql(pg_url):
    migrate(pg_url)
    migrate(pg_url)
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar_one()
        assert conn.execute(text("select count(*) from people")).scalar_one() == 0
    engine.dispose()


def _worker(config_data, barrier, queue, user, msg_key, text_):
    # A separate process: its own services, engine, connection pool and jieba.
    from storage.config import parse_config as parse
    from bot.engine import Engine
    from bot.services import build_services

    services = build_services(parse(config_data))
    engine = Engine(services)
    msg = Incoming(channel="wechat", user_id=user, msg_key=msg_key, kind=TEXT,
                   created_at=datetime.now(timezone.utc), text=text_)
    barrier.wait()
    queue.put(engine.handle(msg))
    services.close()


def test_a_retry_landing_on_two_processes_binds_once_and_answers_the_same(tmp_path, pg_url, redis_url, redis_prefix):
    from bot.services import build_services
    from storage.invites import create_invite
    from storage.models import Unit

    config = prod_config(tmp_path, pg_url, redis_url, redis_prefix)
    migrate(pg_url)
    services = build_services(config)
    with services.sessions.begin() as s:
        unit = Unit(name="青山湖镇", kind="town")
        s.add(unit)
        s.flush()
        code = create_invite(s, services.secret, role="staff", unit=unit, now=services.clock(), ttl_days=7).code
    data = {"database": {"url": pg_url}, "redis": {"url": redis_url, "prefix": redis_prefix},
            "security": {"secret_key": "prod-test-secret"}, "server": {"instance_dir": str(tmp_path / "inst")}}
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(data, barrier, queue, "o_twice", "msg-1", f"绑定 {code}"))
             for _ in range(3)]
    for p in procs:
        p.start()
    replies = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert len({tuple(r) for r in replies}) == 1 and "绑定成功" in replies[0][0]
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1
        assert s.scalar(select(func.count()).select_from(ProcessedMessage)) == 1
        assert s.scalars(select(InviteCode)).one().used_at is not None
    services.close()


def test_wrong_code_limit_is_shared_between_processes_through_redis(tmp_path, pg_url, redis_url, redis_prefix):
    from bot.engine import Engine
    from bot.services import build_services

    config = prod_config(tmp_path, pg_url, redis_url, redis_prefix)
    migrate(pg_url)
    a, b = build_services(config), build_services(config, nlu=None)
    engines = [Engine(a), Engine(b)]
    now = datetime.now(timezone.utc)
    for i in range(5):
        reply = engines[i % 2].handle(Incoming(channel="wechat", user_id="o_guess", msg_key=f"g{i}", kind=TEXT,
                                               created_at=now, text="绑定 AAAAA-BBBBB"))
        assert "无效" in reply[0]
    blocked = engines[1].handle(Incoming(channel="wechat", user_id="o_guess", msg_key="g9", kind=TEXT,
                                         created_at=now, text="绑定 CCCCC-DDDDD"))
    assert "次数过多" in blocked[0]
    import redis

    keys = [k.decode() for k in redis.Redis.from_url(redis_url).keys(redis_prefix + "*")]
    assert keys and not any("o_guess" in k for k in keys)  # counters are keyed hashes, not user ids
    a.close()
    b.close()


def test_two_processes_needing_a_token_at_once_fetch_it_once(redis_url, redis_prefix):
    """Access tokens: a second fetch would invalidate the first; the Redis lock lets only one refresh."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import threading

    import redis

    from bot.channels.clients import wechat_client
    from fake_wechat_api import FakeWeChatAPI

    with FakeWeChatAPI() as api:
        api.token_delay = 0.3
        config = parse_config({"wechat": {"token": "t", "app_id": "wxRACE", "app_secret": "s",
                                          "api_base_url": api.base_url},
                              "redis": {"url": redis_url, "prefix": redis_prefix}})
        # Separate clients and Redis connections stand for separate processes sharing one Redis.
        clients = [wechat_client(config, redis.Redis.from_url(redis_url)) for _ in range(4)]
        tokens = []
        threads = [threading.Thread(target=lambda c=c: tokens.append(c.access_token)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert api.token_fetches == 1
        assert tokens == ["TOKEN-1"] * 4


def test_a_conversation_keeps_its_state_and_the_senders_last_message_on_postgresql(tmp_path, pg_url, redis_url, redis_prefix):
    """The engine's prebuilt statements convert JSON and times on PostgreSQL as the ORM would."""
    from bot.engine import Engine
    from bot.services import build_services
    from storage.invites import create_invite
    from storage.models import Conversation, Unit

    migrate(pg_url)
    now = [datetime(2026, 6, 10, 2, 0, tzinfo=timezone.utc)]
    services = build_services(prod_config(tmp_path, pg_url, redis_url, redis_prefix), clock=lambda: now[0])
    with services.sessions.begin() as s:
        unit = Unit(name="青山湖镇", kind="town")
        s.add(unit)
        s.flush()
        code = create_invite(s, services.secret, role="staff", unit=unit, now=now[0], ttl_days=7).code
    engine = Engine(services)

    def send(key: str, text_: str) -> str:
        return "\n".join(engine.handle(Incoming(channel="wechat", user_id="o_pg", msg_key=key, kind=TEXT,
                                                created_at=now[0], text=text_)))

    assert "邀请码" in send("m1", "绑定")
    with services.sessions() as s:
        assert s.scalars(select(Conversation.flow)).one() == "bind"
    assert "绑定成功" in send("m2", code)
    assert "绑定成功" in send("m2", code)  # WeChat's retry: the stored reply, read back from JSON
    now[0] = now[0].replace(minute=5)
    assert "本月还差几条" in send("m3", "菜单")
    with services.sessions() as s:
        person = s.scalars(select(Person)).one()
        assert person.last_inbound_at == now[0]
    services.close()
