"""Template messages and 订阅通知 as WeChat shows them since 2023-05-04: no first line or remark, at most 20
characters a field, the whole text behind the message's link."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.app import create_app
from bot.channels.registry import ChannelRegistry
from bot.services import build_services
from conftest import Clock, make_config
from fake_wechat_api import FakeWeChatAPI
from scheduler.delivery import OutboxSender
from storage.config import ConfigError
from storage.db import migrate
from storage.models import Enterprise, Hazard, Outbox, Person, Unit
from storage.outbox import enqueue

TZ = timezone(timedelta(hours=8))
NOW = datetime(2026, 6, 24, 10, tzinfo=TZ)
LONG = ("【整改期限提醒】隐患 YH-202606-0001（二层仓库消防通道被成品货架堵塞，疏散指示标志损坏）"
        "的整改期限是 2026-06-27，还有 3 天。请按期完成整改，回复「整改进展」上报整改情况和照片。")


@pytest.fixture
def api():
    with FakeWeChatAPI() as fake:
        yield fake


def world(tmp_path, recognizer, api, templates, public_url="https://hb.example.gov.cn"):
    config = make_config(tmp_path, wechat={"api_base_url": api.base_url}, server={"public_url": public_url},
                         scheduler={"templates": templates})
    migrate(config.database.url)
    services = build_services(config, clock=Clock(NOW), nlu=recognizer)
    with services.sessions.begin() as s:
        town = Unit(name="青山湖镇", kind="town")
        s.add(town)
        s.flush()
        ent = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id)
        s.add(ent)
        s.flush()
        # Last wrote a week ago: outside the 48-hour customer-service window.
        s.add(Person(channel="wechat", external_id="o_boss", role="enterprise_head", enterprise_id=ent.id,
                     last_inbound_at=NOW - timedelta(days=7)))
        s.add(Hazard(enterprise_id=ent.id, number="YH-202606-0001", level="重大", source="企业自查",
                     status="待整改", description="通道堵塞", deadline="2026-06-27"))
        enqueue(s, channel="wechat", recipient="o_boss", text=LONG, now=NOW, rule="hazard_deadline")
        s.flush()
        s.query(Outbox).one().template = {"title": "整改期限提醒", "number": "YH-202606-0001",
                                          "deadline": "2026-06-27"}
    return config, services


def send(config, services):
    return OutboxSender(services.sessions, ChannelRegistry(config).senders(), config, lambda: NOW).deliver_pending()


def test_template_fields_fit_and_the_link_shows_the_whole_text(tmp_path, recognizer, api):
    config, services = world(tmp_path, recognizer, api, {"hazard_deadline": {
        "id": "TPL-D", "fields": {"thing1": "title", "character_string2": "number", "time3": "deadline",
                                  "thing4": "summary", "phrase5": "=待整改"}}})
    assert send(config, services).sent == 1
    [call] = [c for c in api.sent if c["path"].endswith("/message/template/send")]
    data = call["body"]["data"]
    assert set(data) == {"thing1", "character_string2", "time3", "thing4", "phrase5"}  # no first, no remark
    assert all(len(v["value"]) <= 20 for v in data.values())
    assert data["character_string2"]["value"] == "YH-202606-0001" and data["time3"]["value"] == "2026年6月27日"
    assert data["thing4"]["value"].endswith("…")  # the text did not fit: cut visibly, not silently by WeChat
    url = call["body"]["url"]
    assert url.startswith("https://hb.example.gov.cn/notice/")
    client = create_app(services=services).test_client()
    page = client.get(url.removeprefix("https://hb.example.gov.cn"))
    assert page.status_code == 200 and LONG in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store" and "frame-ancestors 'none'" in page.headers[
        "Content-Security-Policy"]
    assert client.get(url.removeprefix("https://hb.example.gov.cn")[:-3] + "abc").status_code == 404  # forged


def test_subscription_notice_goes_through_bizsend(tmp_path, recognizer, api):
    config, services = world(tmp_path, recognizer, api, {"hazard_deadline": {
        "id": "SUB-D", "kind": "subscribe", "fields": {"thing1": "title", "time2": "deadline"}}})
    assert send(config, services).sent == 1
    [call] = [c for c in api.sent if "/message/" in c["path"]]
    assert call["path"].endswith("/message/subscribe/bizsend") and call["body"]["template_id"] == "SUB-D"
    assert call["body"]["data"] == {"thing1": {"value": "整改期限提醒"}, "time2": {"value": "2026年6月27日"}}
    assert call["body"]["page"].startswith("https://hb.example.gov.cn/notice/")
    with services.sessions() as s:
        assert s.query(Outbox).one().last_error == "已改用订阅通知发送"


def test_no_link_without_public_url(tmp_path, recognizer, api):
    config, services = world(tmp_path, recognizer, api, {"hazard_deadline": "TPL-D"}, public_url="")
    assert send(config, services).sent == 1
    [call] = [c for c in api.sent if c["path"].endswith("/message/template/send")]
    assert "url" not in call["body"]  # a link to 127.0.0.1 is no use on a phone
    assert call["body"]["data"]["thing1"] == {"value": "整改期限提醒"}  # a bare id: title and the text's start
    assert len(call["body"]["data"]["thing2"]["value"]) == 20


def test_a_reply_row_is_never_shown_behind_a_link(tmp_path, recognizer, api):
    config, services = world(tmp_path, recognizer, api, {"hazard_deadline": "TPL-D"})
    with services.sessions.begin() as s:
        enqueue(s, channel="wechat", recipient="o_tipster", text="您的举报已受理，查询码 JB-…", now=NOW, reply=True)
        reply_id = s.query(Outbox).filter_by(reply=True).one().id
    from storage.links import notice_link
    url = notice_link(services.secret, config.server, reply_id)
    assert create_app(services=services).test_client().get(url.removeprefix(
        "https://hb.example.gov.cn")).status_code == 410


@pytest.mark.parametrize("templates, complaint", [
    ({"hazard_deadline": {"id": "T", "fields": {"thing1": "=请按期完成整改并上报整改情况和现场照片谢谢配合"}}},
     "微信只显示前 20 个字"),
    ({"hazard_deadline": {"id": "T", "fields": {"phrase1": "=尚未整改完成"}}}, "微信只显示前 5 个字"),
    ({"hazard_deadline": {"id": "T", "fields": {"thing1": "titel"}}}, "是不是「title」"),
    ({"hazard_deadline": {"id": "T", "fields": {"time1": "title"}}}, "time 类关键词只能填 deadline"),
    ({"hazard_deadline": {"id": "T", "kind": "bizsend"}}, "subscribe（订阅通知）"),
    ({"hazrd_deadline": "T"}, "是不是「hazard_deadline」"),
    ({"hazard_deadline": {"fields": {"thing1": "title"}}}, "缺少模板 id"),
    ({"hazard_deadline": {"id": "T", "fields": {"first": "title"}}}, "关键词应写成"),
])
def test_template_config_is_checked_at_load(tmp_path, templates, complaint):
    with pytest.raises(ConfigError, match=complaint):
        make_config(tmp_path, scheduler={"templates": templates})
