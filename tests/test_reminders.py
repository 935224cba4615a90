"""常态化提醒: what is due, queued exactly once, delivered within WeChat's rules over real HTTP."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.services import build_services
from conftest import Clock, make_config
from fake_wechat_api import FakeWeChatAPI
from bot.channels.registry import ChannelRegistry
from scheduler.delivery import OutboxSender
from scheduler.rules import report_day
from scheduler.sweep import run_sweep
from storage.db import migrate
from storage.models import Enterprise, Hazard, Outbox, Person, SelfCheckRun, Unit
from storage.templates import TemplateSpec

SH = timezone(timedelta(hours=8))


def at(y, m, d, h, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=SH).astimezone(timezone.utc)


@pytest.fixture
def api():
    with FakeWeChatAPI() as fake:
        yield fake


@pytest.fixture
def env(tmp_path, recognizer, api):
    clock = Clock(at(2026, 6, 24, 10))  # a Wednesday; June ends in 6 days
    config = make_config(tmp_path, wechat={"api_base_url": api.base_url},
                         wecom={"api_base_url": api.base_url},
                         scheduler={"templates": {"hazard_deadline": "TPL-DEADLINE", "selfcheck_due": "TPL-SC"}})
    migrate(config.database.url)
    services = build_services(config, clock=clock, nlu=recognizer)
    with services.sessions.begin() as s:
        town = Unit(name="青山湖镇", kind="town")
        s.add(town)
        s.flush()
        chem = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id, risk_tier="high")
        done = Enterprise(name="已自查企业", industry="工贸", town_id=town.id, risk_tier="high")
        s.add_all([chem, done])
        s.flush()
        s.add(SelfCheckRun(enterprise_id=done.id, period="2026-06", status="submitted", form_ids=["campaign"]))
        s.add_all([
            Person(channel="wechat", external_id="o_boss", role="enterprise_head", enterprise_id=chem.id,
                   last_inbound_at=clock.now - timedelta(hours=3)),
            Person(channel="wechat", external_id="o_done", role="enterprise_head", enterprise_id=done.id),
            Person(channel="wecom", external_id="clerk", role="staff", unit_id=town.id),
        ])
        s.add_all([
            Hazard(enterprise_id=chem.id, number="YH-202606-0001", level="重大", source="企业自查", status="待整改",
                   description="报警器失效", deadline="2026-06-27"),  # 3 days ahead
            Hazard(enterprise_id=chem.id, number="YH-202606-0002", level="一般", source="企业自查", status="整改中",
                   description="通道堆物", deadline="2026-06-21"),  # 3 days overdue: escalates
            Hazard(enterprise_id=chem.id, number="YH-202605-0003", level="一般", source="企业自查", status="已销号",
                   description="已整改", deadline="2026-06-27"),
        ])
    yield services, clock, config
    services.close()


def sweep(services, clock):
    with services.sessions.begin() as s:
        return run_sweep(s, services.config, clock.now)


def rows(services):
    with services.sessions() as s:
        return s.scalars(select(Outbox).order_by(Outbox.id)).all()


def test_due_reminders_for_whom_and_exactly_once(env):
    services, clock, _ = env
    first = sweep(services, clock)
    texts = {(r.recipient, r.rule): r.text for r in rows(services) if r.status == "pending"}
    assert ("o_boss", "selfcheck_due") not in texts  # 6 days left is not a reminder day
    # Yesterday (7 days left) was one, but the app was not running then: recorded as dropped, not sent now.
    dropped = [r for r in rows(services) if r.status == "dropped"]
    assert {(r.recipient, r.rule) for r in dropped} >= {("o_boss", "selfcheck_due")}
    assert not any(r.recipient == "o_done" and r.rule == "selfcheck_due" for r in rows(services))
    assert "YH-202606-0001" in texts[("o_boss", "hazard_deadline")] and "3 天后到期" in texts[("o_boss", "hazard_deadline")]
    assert "已逾期 3 天" in texts[("o_boss", "hazard_overdue")]
    assert "逾期 3 天未整改" in texts[("clerk", "overdue_escalation")]
    assert not any("YH-202605-0003" in t for t in texts.values())  # closed hazards are left alone
    again = sweep(services, clock)
    assert again.queued == 0 and again.already == first.queued + first.dropped
    # A second scheduler process by mistake: the same sweep from other services changes nothing.
    other = build_services(services.config, clock=clock, nlu=services.nlu)
    with other.sessions.begin() as s:
        assert run_sweep(s, other.config, clock.now).queued == 0
    other.close()
    assert len(rows(services)) == first.queued + first.dropped


def test_selfcheck_reminders_only_on_their_days(env):
    services, clock, _ = env
    sweep(services, clock)
    assert not [r for r in rows(services) if r.rule == "selfcheck_due" and r.status == "pending"]
    clock.now = at(2026, 6, 27, 10)  # 3 days left
    sweep(services, clock)
    sc = [r for r in rows(services) if r.rule == "selfcheck_due" and r.status == "pending"]
    assert [r.recipient for r in sc] == ["o_boss"] and "还有 3 天截止（06月30日）" in sc[0].text


def test_missed_sweep_runs_late_within_grace_and_drops_beyond(env):
    services, clock, _ = env
    clock.now = at(2026, 6, 24, 15)  # the app was down 08:00–15:00: 6 hours late, within 12
    assert sweep(services, clock).queued > 0
    assert all(r.status == "pending" for r in rows(services) if ":2026-06-24:" in r.dedup_key)
    # The next day, down until 23:30: 14.5 hours past 09:00 is beyond the grace: recorded, not sent at night.
    clock.now = at(2026, 6, 25, 23, 30)
    result = sweep(services, clock)
    assert result.dropped > 0 and result.queued == 0
    assert {r.status for r in rows(services) if ":2026-06-25:" in r.dedup_key} == {"dropped"}


def test_nothing_is_queued_before_the_send_hour(env):
    services, clock, _ = env
    clock.now = at(2026, 6, 24, 8, 30)
    sweep(services, clock)
    assert rows(services) and not any(":2026-06-24:" in r.dedup_key for r in rows(services))


def deliver(env, api):
    services, clock, config = env
    sender = OutboxSender(services.sessions, ChannelRegistry(config).senders(), config, clock)
    return sender.deliver_pending()


def test_delivery_kf_within_48h_template_outside_wecom_for_staff(env, api):
    services, clock, _ = env
    sweep(services, clock)
    result = deliver(env, api)
    assert result.failed == 0 and result.sent == len([r for r in rows(services) if r.status != "dropped"])
    paths = [c["path"] for c in api.sent]
    assert paths.count("/cgi-bin/message/custom/send") >= 2  # o_boss wrote 3 hours ago
    assert "/cgi-bin/message/send" in paths  # WeCom app message to the clerk
    assert api.token_fetches <= 2  # one token per client, reused


def test_outside_the_window_falls_back_to_the_template_or_fails_for_good(env, api):
    services, clock, _ = env
    with services.sessions.begin() as s:
        s.scalars(select(Person).where(Person.external_id == "o_boss")).one().last_inbound_at = None
    sweep(services, clock)
    deliver(env, api)
    by_rule = {r.rule: r for r in rows(services) if r.recipient == "o_boss" and r.status != "dropped"}
    assert by_rule["hazard_deadline"].status == "sent"
    assert any(c["path"].endswith("/message/template/send") and c["body"]["template_id"] == "TPL-DEADLINE"
               for c in api.sent)
    assert by_rule["hazard_overdue"].status == "failed"  # no template configured for this rule
    assert "没有配置模板消息（scheduler.templates.hazard_overdue）" in by_rule["hazard_overdue"].last_error


def test_api_errors_45015_45009_43004(env, api):
    services, clock, config = env
    config.scheduler.templates["hazard_overdue"] = TemplateSpec("TPL-OVERDUE")
    sweep(services, clock)
    mine = lambda: sorted((r.status, r.last_error[:5], r.attempts) for r in rows(services)
                          if r.recipient == "o_boss" and r.status != "dropped")
    # Two reminders to o_boss. 45015 (outside the window) → sent as a template at once;
    # 45009 (rate limited) → back to pending with a backoff.
    api.errors["/message/custom/send"] = [45015, 45009]
    deliver(env, api)
    assert mine() == [("pending", "45009", 1), ("sent", "已改用模板", 1)]
    deliver(env, api)
    assert mine() == [("pending", "45009", 1), ("sent", "已改用模板", 1)]  # not before its backoff
    # 43004 (unsubscribed) on the retry: failed for good, recorded for the admins.
    api.errors["/message/custom/send"] = [43004]
    clock.now += timedelta(minutes=1)
    deliver(env, api)
    assert mine() == [("failed", "43004", 2), ("sent", "已改用模板", 1)]


def test_45047_customer_service_quota_uses_the_template_or_waits(env, api):
    services, clock, config = env
    sweep(services, clock)
    mine = lambda: {r.rule: (r.status, r.last_error[:5]) for r in rows(services) if r.recipient == "o_boss"
                    and r.status != "dropped"}
    api.errors["/message/custom/send"] = [45047, 45047]
    deliver(env, api)
    # hazard_deadline has a template: sent that way; hazard_overdue has none: retried later with backoff.
    assert mine() == {"hazard_deadline": ("sent", "已改用模板"), "hazard_overdue": ("pending", "45047")}
    clock.now += timedelta(minutes=1)
    deliver(env, api)
    assert mine()["hazard_overdue"] == ("sent", "")


def test_quiet_hours_hold_reminders_but_not_replies(env, api):
    services, clock, _ = env
    sweep(services, clock)
    from storage.outbox import enqueue

    clock.now = at(2026, 6, 24, 23)
    with services.sessions.begin() as s:
        for r in s.scalars(select(Outbox)):
            r.not_before = clock.now - timedelta(minutes=1)
        enqueue(s, channel="wechat", recipient="o_boss", text="迟到的回复", now=clock.now)
    deliver(env, api)
    assert [c["body"].get("text", {}).get("content") for c in api.sent] == ["迟到的回复"]
    clock.now = at(2026, 6, 25, 8, 1)
    deliver(env, api)
    assert len(api.sent) == len([r for r in rows(services) if r.status != "dropped"])


def test_two_senders_never_send_the_same_row(env, api):
    services, clock, config = env
    sweep(services, clock)
    total = len([r for r in rows(services) if r.status != "dropped"])
    senders = [OutboxSender(services.sessions, ChannelRegistry(config).senders(), config, clock) for _ in range(4)]
    threads = [threading.Thread(target=s.deliver_pending) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(api.sent) == total
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "sent")) == total


def say(services, clock, channel, user, text):
    from bot.engine import Engine
    from handlers.messages import TEXT, Incoming

    return Engine(services).handle(Incoming(channel=channel, user_id=user, msg_key=f"{user}-{text}-{clock.now}",
                                            kind=TEXT, created_at=clock.now, text=text))[0]


def test_two_senders_each_telling_of_one_unsure_push_both_reach_a_wecom_admin(env, api):
    """Two schedulers that each find one push interrupted mid-send each tell the admins. WeCom drops a second
    message with the same words to the same member (its duplicate check): the notices must differ."""
    services, clock, config = env
    with services.sessions.begin() as s:
        s.add(Person(channel="wecom", external_id="admin_w", role="admin", last_inbound_at=clock.now))
        for n, lease_left in ((1, -1), (2, 1)):  # the second lease runs out a minute later
            s.add(Outbox(channel="wechat", recipient="o_boss", text=f"中断的提醒 {n}", rule="hazard_deadline",
                         status="sending", claimed_at=clock.now - timedelta(hours=1),
                         claimed_until=clock.now + timedelta(minutes=lease_left), not_before=clock.now,
                         created_at=clock.now))
    assert deliver(env, api).unsure == 1
    clock.now += timedelta(minutes=2)
    assert deliver(env, api).unsure == 1  # another sender finds the other one
    deliver(env, api)
    deliver(env, api)
    notices = [t for t in api.texts() if t.startswith("【推送异常】")]
    assert len(notices) == 2 and len(api.dropped_duplicates) == 0, (notices, api.dropped_duplicates)
    assert sum("1 条状态不明" in t for t in notices) == 2


def test_failed_pushes_reach_the_admins_who_list_and_resend_them_in_chat(env, api):
    services, clock, config = env
    with services.sessions.begin() as s:
        s.add(Person(channel="wechat", external_id="o_admin", role="admin", last_inbound_at=clock.now))
        s.scalars(select(Person).where(Person.external_id == "o_boss")).one().last_inbound_at = None
    sweep(services, clock)
    first = deliver(env, api)
    assert first.failed == 1  # 逾期提醒 to o_boss: outside 48 h and no template for the rule
    failed = next(r for r in rows(services) if r.status == "failed")
    deliver(env, api)
    notices = [t for t in api.texts() if t.startswith("【推送异常】")]
    assert len(notices) == 1 and "1 条发送失败" in notices[0]
    deliver(env, api)
    assert len([t for t in api.texts() if t.startswith("【推送异常】")]) == 1  # told once, not every run

    listing = say(services, clock, "wechat", "o_admin", "发送失败")
    assert f"#{failed.id}" in listing and "「逾期提醒」" in listing and "青山化工有限公司 企业主要负责人" in listing
    assert "没有配置模板消息" in listing
    assert "不是" in say(services, clock, "wecom", "clerk", "发送失败")  # staff are not admins
    assert "没有找到" in say(services, clock, "wechat", "o_admin", "重发 99999")

    config.scheduler.templates["hazard_overdue"] = TemplateSpec("TPL-OVERDUE")  # the admin fixed the template id
    assert "已重新排队" in say(services, clock, "wechat", "o_admin", f"重发 {failed.id}")
    deliver(env, api)
    with services.sessions() as s:
        assert s.get(Outbox, failed.id).status == "sent"
    assert any(c["body"].get("template_id") == "TPL-OVERDUE" for c in api.sent)
    assert "没有送达" not in say(services, clock, "wechat", "o_admin", "推送失败")


def test_a_late_reply_keeps_neither_text_nor_recipient_once_delivered(env, api):
    from storage.outbox import enqueue

    services, clock, _ = env
    with services.sessions.begin() as s:
        enqueue(s, channel="wechat", recipient="o_boss", text="查询码 ABCD-EFGH", now=clock.now, reply=True)
    deliver(env, api)
    assert "查询码 ABCD-EFGH" in api.texts()
    row = rows(services)[-1]
    assert (row.status, row.text, row.recipient) == ("sent", "", "")


def test_purge_deletes_old_settled_pushes_and_the_sweep_does_not_bring_them_back(env, api):
    from storage.outbox import enqueue, purge_settled as purge

    services, clock, config = env
    sweep(services, clock)
    deliver(env, api)
    old = {r.dedup_key for r in rows(services)}
    clock.now += timedelta(days=config.scheduler.outbox_keep_days + 1)
    with services.sessions.begin() as s:
        enqueue(s, channel="wechat", recipient="o_boss", text="还没发", now=clock.now - timedelta(days=400))
        removed = purge(s, clock.now, config.scheduler.outbox_keep_days)
    assert removed == len(old)
    assert [r.text for r in rows(services)] == ["还没发"]  # pending rows are never purged
    sweep(services, clock)
    assert not old & {r.dedup_key for r in rows(services)}


def test_an_unreachable_token_server_claims_nothing(env, api, monkeypatch):
    import bot.channels.clients

    services, clock, _ = env
    sweep(services, clock)
    monkeypatch.setattr(bot.channels.clients, "HTTP_TIMEOUT", 0.3)
    api.token_delay = 2.0
    result = deliver(env, api)
    assert (result.sent, result.failed) == (0, 0)
    assert {r.status for r in rows(services)} <= {"pending", "dropped"}
    api.token_delay = 0
    assert deliver(env, api).sent > 0


def test_each_campaign_stage_is_announced_to_every_enterprise_head_on_its_first_day(env):
    services, clock, _ = env
    clock.now = at(2026, 6, 1, 10)
    sweep(services, clock)
    phase = [r for r in rows(services) if r.rule == "campaign_phase"]
    assert sorted(r.recipient for r in phase) == ["o_boss", "o_done"]
    assert "「企业自查自改和部门帮扶」阶段" in phase[0].text and "开始自查" in phase[0].text
    clock.now = at(2026, 6, 2, 10)
    sweep(services, clock)
    assert len([r for r in rows(services) if r.rule == "campaign_phase"]) == 2


def test_bad_campaign_stage_dates_are_refused(tmp_path):
    from storage.config import ConfigError

    with pytest.raises(ConfigError, match="phases\\[0\\].start"):
        make_config(tmp_path, campaign={"phases": [{"name": "x", "start": "02-30", "text": "y"}]})


def test_broadcasts_scheduled_from_the_command_line(env, tmp_path, capsys):
    from bot.cli import main

    services, clock, config = env
    cfg = tmp_path / "cli.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n[security]\nsecret_key = "test-secret"\n'
                   f'[server]\ninstance_dir = "{tmp_path / "instance"}"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "broadcast", "--day", "2099-09-30", "--unit", "青山湖",
                 "国庆前请全面排查动火作业和有限空间"]) == 0
    assert "已安排 2099-09-30 9:00 向青山湖镇企业负责人发送" in capsys.readouterr().out
    assert main(["--config", str(cfg), "broadcast", "--day", "2099-09-30", "--unit", "不存在的镇", "内容内容"]) == 1
    assert main(["--config", str(cfg), "broadcast", "短"]) == 1
    assert main(["--config", str(cfg), "broadcast", "--list"]) == 0
    assert "2099-09-30 青山湖镇：国庆前请全面排查" in capsys.readouterr().out
    clock.now = datetime(2099, 9, 30, 2, 0, tzinfo=timezone.utc)
    sweep(services, clock)
    sent = {r.recipient for r in rows(services) if r.rule == "broadcast"}
    assert sent == {"o_boss", "o_done"}


def test_report_day_moves_past_weekends_and_holidays(config):
    assert report_day(config, 2026, 5).isoformat() == "2026-05-18"  # the 16th is a Saturday
    from storage.config import parse_config

    holiday = parse_config({"scheduler": {"holidays": ["2026-06-16"]}})
    assert report_day(holiday, 2026, 6).isoformat() == "2026-06-17"


def test_ack_and_opt_out(env, api):
    from bot.engine import Engine
    from handlers.messages import TEXT, Incoming

    services, clock, _ = env
    sweep(services, clock)
    deliver(env, api)
    engine = Engine(services)
    say = lambda t, k: engine.handle(Incoming(channel="wechat", user_id="o_boss", msg_key=k, kind=TEXT,
                                              created_at=clock.now, text=t))[0]
    assert "已确认收到" in say("收到", "a1")
    assert "不能退订" in say("退订提醒 整改期限提醒", "a2")
    clerk = lambda t, k: engine.handle(Incoming(channel="wecom", user_id="clerk", msg_key=k, kind=TEXT,
                                                created_at=clock.now, text=t))[0]
    assert "已退订「举报提醒」" in clerk("退订提醒 举报提醒", "a3")
    assert "已安排 2026-06-30" in clerk("发布提醒 2026-06-30 高温天气注意防暑和危化品储存", "a4")
    clock.now = at(2026, 6, 30, 10)
    sweep(services, clock)
    assert any(r.rule == "broadcast" and "高温天气" in r.text and r.recipient == "o_boss" for r in rows(services))


def test_a_whole_month_sends_each_reminder_once_on_its_days(env, api):
    """June walked day by day, sweeping and delivering at 10:00 and 15:00 (a restart in between changes nothing)."""
    services, clock, config = env
    with services.sessions.begin() as s:
        s.scalars(select(Person).where(Person.external_id == "o_boss")).one().last_inbound_at = at(2026, 5, 31, 9)
    config.scheduler.templates.update({r: TemplateSpec(f"TPL-{r}") for r in (
        "hazard_overdue", "overdue_escalation", "monthly_report", "new_tips", "listing_progress")})
    by_template = {spec.id: rule for rule, spec in config.scheduler.templates.items()}
    sent_days: dict[tuple[str, str], list[int]] = {}
    for day in range(1, 31):
        for hour in (10, 15):
            clock.now = at(2026, 6, day, hour)
            before = len(api.sent)
            sweep(services, clock)
            deliver(env, api)
            for call in api.sent[before:]:
                body = call["body"]
                who = body.get("touser", "")
                text = body.get("text", {}).get("content")
                if text is None:  # a template message: its id names the rule
                    rule = by_template[body["template_id"]]
                else:
                    rule = next((r.rule for r in rows(services) if r.text == text and r.recipient == who), "?")
                sent_days.setdefault((who, rule), []).append(day)
    assert sent_days[("o_boss", "selfcheck_due")] == [23, 27, 29, 30]  # 7, 3, 1 days before and the last day
    assert sent_days[("o_boss", "hazard_deadline")] == [18, 21, 24, 27]  # two hazards: 3 days before and on the day
    assert sent_days[("o_boss", "hazard_overdue")] == [22, 23, 24, 25, 26, 27, 28, 28, 29, 30]
    assert sent_days[("clerk", "overdue_escalation")] == [24, 30]
    assert sent_days[("clerk", "monthly_report")] == [13, 16]  # 3 days before the 16th, and on it
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "sent")) == len(api.sent)
