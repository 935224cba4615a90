"""Anonymous tips through the WeChat protocol, and the proof that nothing ties a tip to its sender."""
from __future__ import annotations

import json
import logging
import re

import pytest
from PIL import Image
from sqlalchemy import select, text

from bot.app import create_app
from bot.services import build_services
from conftest import make_config
from fake_wechat_api import FakeWeChatAPI, jpeg_with_gps
from storage.db import migrate
from storage.models import Base, Enterprise, Person, Tip, TipPhoto, Unit
from storage.tips import RECEIPT_LENGTH, new_receipt, receipt_hash
from wechat_peer import WeChatPeer

WHISTLER = "o_whistle_7f3a9c"
CODE = re.compile(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b")


@pytest.fixture
def api():
    with FakeWeChatAPI() as fake:
        yield fake


@pytest.fixture
def tip_app(tmp_path, clock, recognizer, api):
    config = make_config(tmp_path, wechat={"api_base_url": api.base_url}, tips={"default_unit": "应急管理局"})
    migrate(config.database.url)
    app = create_app(services=build_services(config, clock=clock, nlu=recognizer))
    services = app.extensions["hazardbot"].services
    with services.sessions.begin() as s:
        town = Unit(name="青山湖镇", kind="town")
        other = Unit(name="湖东街道", kind="town")
        dept = Unit(name="应急管理局", kind="department", industries=["危险化学品"])
        s.add_all([town, other, dept])
        s.flush()
        s.add(Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id, department_id=dept.id))
        s.add_all([Person(channel="wechat", external_id="o_dept_clerk", role="staff", unit_id=dept.id),
                   Person(channel="wechat", external_id="o_far_clerk", role="staff", unit_id=other.id)])
    yield app
    services.close()


def submit(peer, api, photo=True) -> tuple[str, str]:
    intro = peer.send_text(WHISTLER, "我要匿名举报").text
    assert "不记录您是谁" in intro and "（1/5）" in intro
    assert "（2/5）" in peer.send_text(WHISTLER, "锅炉房压力表坏了还在烧，老板不让停").text
    loc = peer.send(WHISTLER, {"MsgType": "location", "Location_X": "28.6868", "Location_Y": "115.8672",
                               "Scale": "15", "Label": "青山湖镇工业园", "MsgId": "5001"})
    assert "（3/5）" in loc.text
    assert "（4/5）" in peer.send_text(WHISTLER, "青山化工").text
    assert "（5/5）" in peer.send_text(WHISTLER, "1").text
    if photo:
        api.media["MEDIA-1"] = jpeg_with_gps()
        assert "第 1 张" in peer.send(WHISTLER, {"MsgType": "image", "PicUrl": "http://x/1.jpg", "MediaId": "MEDIA-1",
                                                 "MsgId": "5002"}).text
    summary = peer.send_text(WHISTLER, "完成").text
    assert "请核对" in summary
    done = peer.send_text(WHISTLER, "1", msg_id=777001).text
    code = CODE.search(done).group(1)
    number = re.search(r"JB-\d{6}-\d{4}", done).group(0)
    assert "只显示这一次" in done and "我们不知道您是谁" in done
    return code, number


def dump_everything(services) -> str:
    """Every row of every table, JSON columns decoded, so Chinese text is searchable as text."""
    out = []
    with services.engine.connect() as conn:
        tables = Base.metadata.sorted_tables
        assert {t.name for t in tables} | {"alembic_version"} == set(
            conn.execute(text("select name from sqlite_master where type='table'")).scalars()), "a table escaped the dump"
        for table in tables:
            for row in conn.execute(table.select()):
                out.append(f"{table.name}: {tuple(row)}")
    return "\n".join(out)


def test_tip_leaves_no_trace_of_its_sender(tip_app, api, caplog):
    caplog.set_level(logging.DEBUG)
    peer = WeChatPeer(tip_app.test_client())
    code, number = submit(peer, api)
    services = tip_app.extensions["hazardbot"].services
    dump = dump_everything(services)
    assert number in dump  # the tip is there…
    assert WHISTLER not in dump  # …but nothing names who sent it: not linked, not even present
    assert code not in dump and code.replace("-", "") not in dump  # the code exists only as a slow hash
    assert "MEDIA-1" not in dump  # no traceable media id
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert WHISTLER not in logs and code not in logs and "锅炉房" not in logs
    with services.sessions() as s:
        tip = s.scalars(select(Tip)).one()
        assert tip.unit.name == "应急管理局" and tip.enterprise.name == "青山化工有限公司"
        assert tip.where_text == "青山湖镇工业园" and tip.received_on == "2026-06-10"
        photo = s.scalars(select(TipPhoto)).one()
    stored = services.config.instance_path / photo.path
    with Image.open(stored) as img:
        assert len(img.getexif()) == 0
    raw = stored.read_bytes()
    assert b"WHISTLE-PHONE" not in raw and b"HUAWEI" not in raw and b"Exif" not in raw


def test_retry_of_the_submission_does_not_store_the_code(tip_app, api):
    peer = WeChatPeer(tip_app.test_client())
    code, _ = submit(peer, api, photo=False)
    # The same callback again, as WeChat retries it: answered from memory with the same code…
    again = peer.send_text(WHISTLER, "1", msg_id=777001).text
    assert code in again
    # …while a second process (no memory of it) finds only the redacted record — in the private store: the
    # database keeps no record of a tip's messages at all.
    services = tip_app.extensions["hazardbot"].services
    with services.engine.connect() as conn:
        assert conn.execute(text("select count(*) from processed_messages")).scalar() == 0
    from storage.dedup import message_key

    kept = services.private.get("dedup:" + message_key(services.secret, "wechat", WHISTLER, "777001"))
    assert code not in " ".join(kept) and "不再重复显示" in " ".join(kept)


def test_follow_up_both_ways_and_reward(tip_app, api):
    peer = WeChatPeer(tip_app.test_client())
    code, number = submit(peer, api, photo=False)
    status = peer.send_text(WHISTLER, f"查询举报 {code.lower()}").text
    assert f"举报 {number}" in status and "已受理" in status
    clerk = lambda t: peer.send_text("o_dept_clerk", t).text
    assert number in clerk("待处理举报")
    assert "已留言" in clerk(f"提问 {number} 锅炉房在厂区哪个位置？")
    seen = peer.send_text(WHISTLER, f"查询举报 {code}").text
    assert "工作人员" in seen and "锅炉房在厂区哪个位置" in seen
    assert "已转给" in peer.send_text(WHISTLER, f"补充举报 {code} 在厂区东北角，白天锅炉开着").text
    detail = clerk(f"举报详情 {number}")
    assert "举报人" in detail and "东北角" in detail and WHISTLER not in detail
    assert "核查中" in clerk(f"处理举报 {number} 核查中")
    clerk(f"处理举报 {number} 属实 重大 压力表失效仍运行")
    clerk("锅炉压力表失效，设备带病运行")  # the hazard in the clerk's words: the enterprise reads this
    clerk("6月30日")
    verified = clerk("1")
    assert "查证属实" in verified and "隐患台账 YH-202606-0001" in verified
    reward = peer.send_text(WHISTLER, f"查询举报 {code}").text
    assert "查证属实" in reward and "凭查询码" in reward
    assert "已登记奖励 3000 元" in clerk(f"处理举报 {number} 奖励 3000")
    assert "3000 元" in peer.send_text(WHISTLER, f"查询举报 {code}").text


def test_other_units_staff_see_nothing(tip_app, api):
    peer = WeChatPeer(tip_app.test_client())
    _, number = submit(peer, api, photo=False)
    far = lambda t: peer.send_text("o_far_clerk", t).text
    assert "没有待处理的举报" in far("待处理举报")
    assert "没有找到您单位负责的举报" in far(f"举报详情 {number}")
    assert "没有找到您单位负责的举报" in far(f"处理举报 {number} 不属实 无此事")


def test_wrong_codes_look_like_not_found_and_are_rate_limited(tip_app, api):
    peer = WeChatPeer(tip_app.test_client())
    submit(peer, api, photo=False)
    answers = {peer.send_text("o_guesser", f"查询举报 {new_receipt()}").text for _ in range(10)}
    assert len(answers) == 1 and "没有找到" in answers.pop()
    assert "太频繁" in peer.send_text("o_guesser", f"查询举报 {new_receipt()}").text


def test_receipt_codes_have_at_least_80_bits_and_a_slow_salted_hash():
    import math

    codes = {new_receipt() for _ in range(2000)}
    assert len(codes) == 2000
    assert RECEIPT_LENGTH * math.log2(32) >= 80
    assert all(re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", c) for c in codes)
    code = next(iter(codes))
    digest = receipt_hash(b"k1", code)
    assert digest == receipt_hash(b"k1", code.lower().replace("-", " ")) and len(digest) == 64
    assert digest != receipt_hash(b"k2", code)  # salted per deployment
    import hashlib

    assert digest != hashlib.sha256(code.encode()).hexdigest()


def test_cancel_forgets_the_draft(tip_app, api):
    peer = WeChatPeer(tip_app.test_client())
    peer.send_text(WHISTLER, "我要举报")
    peer.send_text(WHISTLER, "仓库里堆了很多烟花")
    peer.send_text(WHISTLER, "取消")
    assert "没有提交" in peer.send_text(WHISTLER, "1").text
    dump = dump_everything(tip_app.extensions["hazardbot"].services)
    assert "烟花" not in dump and WHISTLER not in dump


def test_export_tips_has_no_sender_column(tip_app, api, tmp_path, capsys):
    from bot.cli import main

    peer = WeChatPeer(tip_app.test_client())
    _, number = submit(peer, api, photo=False)
    services = tip_app.extensions["hazardbot"].services
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{services.config.database.url}"\n[server]\ninstance_dir = "{tmp_path}"\n'
                   f'[selfcheck]\nchecklists_dir = "{services.config.selfcheck.checklists_dir}"\n[selfcheck.banks]\n')
    assert main(["--config", str(cfg), "export", "tips", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["number"] == number and data[0]["unit"] == "应急管理局"
    assert set(data[0]) == {"number", "received_on", "status", "what", "where", "enterprise", "industry", "unit",
                            "decided_on", "outcome", "reward_yuan", "photos"}
    assert WHISTLER not in json.dumps(data)


def test_a_tip_described_in_its_first_message_is_not_asked_again(tip_app, api):
    peer = WeChatPeer(tip_app.test_client())
    first = peer.send_text(WHISTLER, "我要举报 锅炉房压力表坏了还在烧，老板不让停").text
    assert "（2/5）" in first and "锅炉房压力表坏了还在烧" in first  # echoed, and the next question asked
    peer.send(WHISTLER, {"MsgType": "location", "Location_X": "28.6868", "Location_Y": "115.8672",
                         "Scale": "15", "Label": "青山湖镇工业园", "MsgId": "5101"})
    for answer in ("青山化工", "1", "跳过"):
        peer.send_text(WHISTLER, answer)
    done = peer.send_text(WHISTLER, "1").text
    assert CODE.search(done), done
    services = tip_app.extensions["hazardbot"].services
    with services.sessions() as s:
        assert s.scalars(select(Tip.what)).one() == "锅炉房压力表坏了还在烧，老板不让停"
    # A bare request describes nothing: the description is asked as usual.
    assert "（1/5）" in peer.send_text("o_other_stranger", "我要举报").text
