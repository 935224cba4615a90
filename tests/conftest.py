from __future__ import annotations

import os
import socket
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Conversation tests use a small bank of every item type; the shipped banks have tests of their own.
TEST_BANKS = Path(__file__).resolve().parent / "data" / "checklists"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests' own helpers (wechat_peer)

from bot.app import create_app  # noqa: E402
from storage.config import parse_config  # noqa: E402
from bot.services import Services, build_services  # noqa: E402
from storage.db import migrate  # noqa: E402
from wechat_peer import AES_KEY, WECHAT_APP_ID, WECHAT_TOKEN, WECOM_AES_KEY, WECOM_CORP_ID, WECOM_TOKEN, WeChatPeer, WeComPeer  # noqa: E402


class Clock:
    """A settable clock: tests walk through days without sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def recognizer() -> Any:
    from handlers.nlu import Recognizer

    return Recognizer()


def make_config(tmp_path: Path, db_url: str | None = None, **sections: dict[str, Any]) -> Any:
    data: dict[str, Any] = {
        "server": {"instance_dir": str(tmp_path / "instance"), "reply_timeout": 4.0},
        "database": {"url": db_url or f"sqlite:///{tmp_path / 'hb.sqlite3'}"},
        "security": {"secret_key": "test-secret"},
        "selfcheck": {"checklists_dir": str(TEST_BANKS), "banks": {}},
        "wechat": {"token": WECHAT_TOKEN, "app_id": WECHAT_APP_ID, "app_secret": "s", "encoding_aes_key": AES_KEY},
        "wecom": {"corp_id": WECOM_CORP_ID, "agent_id": "1000002", "secret": "s", "token": WECOM_TOKEN,
                  "encoding_aes_key": WECOM_AES_KEY},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return parse_config(data)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 6, 10, 2, 0, tzinfo=timezone.utc))  # 10:00 in Shanghai


@pytest.fixture
def config(tmp_path: Path) -> Any:
    return make_config(tmp_path)


@pytest.fixture
def services(config: Any, clock: Clock, recognizer: Any) -> Iterator[Services]:
    migrate(config.database.url)
    svc = build_services(config, clock=clock, nlu=recognizer)
    yield svc
    svc.close()


@pytest.fixture
def app(services: Services) -> Iterator[Any]:
    flask_app = create_app(services=services)
    yield flask_app
    flask_app.extensions["hazardbot"].responder.shutdown()
    flask_app.extensions["hazardbot"].pushes.stop()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


def _app_with(tmp_path: Path, clock: Clock, recognizer: Any, name: str, **sections: dict[str, Any]) -> Iterator[Any]:
    config = make_config(tmp_path / name, **sections)
    migrate(config.database.url)
    flask_app = create_app(services=build_services(config, clock=clock, nlu=recognizer))
    yield flask_app.test_client()
    flask_app.extensions["hazardbot"].responder.shutdown()
    flask_app.extensions["hazardbot"].services.close()


@pytest.fixture
def plain_client(tmp_path: Path, clock: Clock, recognizer: Any) -> Iterator[Any]:
    """/wechat in 明文 mode: no EncodingAESKey configured."""
    yield from _app_with(tmp_path, clock, recognizer, "plain", wechat={"encoding_aes_key": ""})


@pytest.fixture
def vector_client(tmp_path: Path, clock: Clock, recognizer: Any) -> Iterator[Any]:
    """For the published test vectors, signed in 2014: a signature window reaching back that far."""
    yield from _app_with(tmp_path, clock, recognizer, "vectors", server={"signature_window_seconds": 2_000_000_000})


@pytest.fixture
def wechat(client: Any) -> WeChatPeer:
    return WeChatPeer(client, mode="safe")


@pytest.fixture
def wecom(client: Any) -> WeComPeer:
    return WeComPeer(client)


@pytest.fixture
def registry(services: Services) -> dict[str, Any]:
    """A town, a department and two enterprises, as an import would leave them."""
    from storage.models import Enterprise, Unit

    with services.sessions.begin() as s:
        town = Unit(name="青山湖镇", kind="town")
        dept = Unit(name="应急管理局", kind="department", industries=["危险化学品", "烟花爆竹"])
        s.add_all([town, dept])
        s.flush()
        ent = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id, department_id=dept.id,
                         risk_tier="high", head_name="张三", head_phone="13800000000")
        ent2 = Enterprise(name="湖畔家具厂", industry="工贸", town_id=town.id, risk_tier="other")
        s.add_all([ent, ent2])
        s.flush()
        return {"town": town.id, "dept": dept.id, "enterprise": ent.id, "enterprise2": ent2.id}


@pytest.fixture
def invite(services: Services) -> Callable[..., str]:
    """Create an invite code the way `hazardbot invite` does and return it."""
    from storage.invites import create_invite
    from storage.models import Enterprise, Unit

    def _make(role: str, enterprise: int | None = None, unit: int | None = None, ttl_days: int = 7) -> str:
        with services.sessions.begin() as s:
            inv = create_invite(s, services.secret, role=role, now=services.clock(), ttl_days=ttl_days,
                                enterprise=s.get(Enterprise, enterprise) if enterprise else None,
                                unit=s.get(Unit, unit) if unit else None)
            return inv.code

    return _make


# Production-mode services. Skipped only outside CI when they are not running; in CI (.ci/run starts them)
# a missing service is a failure.
PG_ADMIN = os.environ.get("HAZARDBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("HAZARDBOT_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"production-mode service missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database of its own on the machine's PostgreSQL, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"hb_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        _unavailable(f"PostgreSQL not reachable: {exc}")
    yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# One key prefix per test run: two checkouts (or two sessions) testing against one Redis never see each
# other's keys, and nothing here flushes a database someone else may be using.
RUN_PREFIX = f"hbtest:{os.getpid()}:{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    try:
        client = redis.Redis.from_url(REDIS)
        client.ping()
    except Exception as exc:  # pragma: no cover
        _unavailable(f"Redis not reachable: {exc}")
    yield REDIS
    for key in client.scan_iter(match=RUN_PREFIX + "*", count=1000):
        client.delete(key)


@pytest.fixture
def redis_prefix(redis_url: str) -> str:
    """The key prefix of this test (config redis.prefix): unique per run and per test."""
    return f"{RUN_PREFIX}{uuid.uuid4().hex[:6]}:"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report on the test item, so a fixture can tell that its test failed (the browser tests
    keep a screenshot then)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def free_port() -> int:
    """A port nothing listens on now, for a test that starts a server (the default 8080 may be in use)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
