"""Invite codes and binding, through the WeChat protocol."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.invites import ALPHABET, CODE_LENGTH, normalize_code
from storage.models import InviteCode, Person


def test_enterprise_head_binds_with_one_message_and_sees_the_role_menu(wechat, registry, invite, services):
    code = invite("enterprise_head", enterprise=registry["enterprise"])
    reply = wechat.send_text("o_boss", f"绑定 {code}")
    assert "绑定成功" in reply.text and "青山化工有限公司" in reply.text and "企业主要负责人" in reply.text
    assert "1. 开始本期自查" in reply.text
    menu = wechat.send_text("o_boss", "菜单")
    assert "1. 开始本期自查" in menu.text and "青山化工有限公司" in menu.text
    with services.sessions() as s:
        person = s.scalars(select(Person).where(Person.external_id == "o_boss")).one()
        assert person.role == "enterprise_head" and person.enterprise_id == registry["enterprise"]
        assert person.unit_id == registry["town"]


def test_choosing_bind_then_sending_the_code_lowercase_without_dash(wechat, registry, invite):
    code = invite("staff", unit=registry["town"])
    first = wechat.send_text("o_clerk", "2")  # menu number of 绑定 for an unbound person
    assert "邀请码" in first.text
    done = wechat.send_text("o_clerk", code.replace("-", "").lower())
    assert "绑定成功" in done.text and "青山湖镇" in done.text
    assert "1. 本月还差几条" in done.text


def test_code_is_single_use(wechat, registry, invite):
    code = invite("enterprise_head", enterprise=registry["enterprise"])
    assert "绑定成功" in wechat.send_text("o_a", f"绑定 {code}").text
    second = wechat.send_text("o_b", f"绑定 {code}")
    assert "已被使用" in second.text and "绑定成功" not in second.text


def test_expired_code_is_refused(wechat, registry, invite, clock):
    code = invite("enterprise_head", enterprise=registry["enterprise"], ttl_days=7)
    clock.now += timedelta(days=7, seconds=1)
    assert "已过期" in wechat.send_text("o_late", f"绑定 {code}").text


def test_wrong_codes_are_rate_limited_even_for_the_right_code(wechat, registry, invite, clock):
    good = invite("enterprise_head", enterprise=registry["enterprise"])
    for _ in range(5):
        assert "无效" in wechat.send_text("o_guess", "绑定 AAAAA-BBBBB").text
    blocked = wechat.send_text("o_guess", f"绑定 {good}")
    assert "次数过多" in blocked.text and "绑定成功" not in blocked.text
    # Another person is not affected.
    assert "绑定成功" in wechat.send_text("o_other", f"绑定 {good}").text


def test_codes_are_random_with_at_least_40_bits_and_stored_only_hashed(invite, registry, services):
    codes = {invite("staff", unit=registry["town"]) for _ in range(50)}
    assert len(codes) == 50
    bits = CODE_LENGTH * (len(ALPHABET).bit_length() - 1)
    assert bits >= 40
    with services.sessions() as s:
        hashes = s.scalars(select(InviteCode.code_hash)).all()
    for code in codes:
        assert normalize_code(code) not in " ".join(hashes) and code not in " ".join(hashes)


def test_bad_format_gets_a_one_line_hint_and_cancel_leaves_the_flow(wechat):
    assert "邀请码" in wechat.send_text("o_x", "绑定").text
    bad = wechat.send_text("o_x", "我不知道")
    assert "格式不对" in bad.text
    out = wechat.send_text("o_x", "取消")
    assert "已取消" in out.text
    # Out of the flow: a code-looking text is no longer taken as a code.
    assert "绑定" not in wechat.send_text("o_x", "AAAAA-BBBBB").text.split("\n")[0]


def test_binding_survives_a_restart_in_the_middle_of_the_flow(config, clock, recognizer, registry, invite, services):
    from bot.app import create_app
    from bot.services import build_services
    from wechat_peer import WeChatPeer

    code = invite("enterprise_head", enterprise=registry["enterprise"])
    first = create_app(services=build_services(config, clock=clock, nlu=recognizer))
    assert "邀请码" in WeChatPeer(first.test_client()).send_text("o_r", "绑定").text
    first.extensions["hazardbot"].services.close()
    # A new process: nothing carried over in memory.
    second = create_app(services=build_services(config, clock=clock, nlu=recognizer))
    assert "绑定成功" in WeChatPeer(second.test_client()).send_text("o_r", code).text
    second.extensions["hazardbot"].services.close()
