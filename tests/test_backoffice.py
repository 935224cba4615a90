"""The back office: signing in from chat, sessions, the headers, and scope on every page and download."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from backoffice_world import LOGIN, Chat, build_world, login_path, sign_in
from conftest import make_config
from storage.models import Hazard, HazardEvent, LoginToken, Outbox, Tip, WebSession


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path, campaign={"start_date": "2026-05-01"},
                       server={"public_url": "https://aq.example.gov.cn"})


@pytest.fixture
def world(services):
    return build_world(services)


@pytest.fixture
def chat(services, world):
    return Chat(services)


def dump(services) -> str:
    with services.engine.connect() as conn:
        tables = [r[0] for r in conn.execute(text("select name from sqlite_master where type='table'"))]
        return "\n".join(str(tuple(row)) for t in tables for row in conn.execute(text(f'select * from "{t}"')))


# -- signing in ----------------------------------------------------------------------------------

def test_staff_and_admins_get_a_one_time_link_others_none(chat, client, services):
    reply = chat.text("clerk_a", "登录后台")
    assert "https://aq.example.gov.cn/dashboard/login/" in reply and "15 分钟" in reply
    assert LOGIN.search(chat.text("admin", "给我后台登录地址"))
    for user in ("boss", "stranger"):
        answer = chat.text(user, "登录后台")
        assert "/dashboard/login/" not in answer
    assert "不是企业主要负责人可以办理的事项" in chat.text("boss", "登录后台")
    assert "绑定" in chat.text("stranger", "登录后台")


def test_a_link_signs_in_once_and_only_its_hash_is_kept(chat, client, services):
    path = login_path(chat, "clerk_a")
    token = path.rsplit("/", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and "进入后台" in page.get_data(as_text=True)  # a GET uses nothing up
    resp = client.post(path)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/dashboard")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # plain http here
    assert client.get("/dashboard").status_code == 200
    again = client.__class__(client.application).post(path)
    assert again.status_code == 403 and "已经用过" in again.get_data(as_text=True)
    session_id = cookie.split(";")[0].split("=", 1)[1]
    everything = dump(services)
    assert token not in everything and session_id not in everything
    # The dedup record of the reply holds a redacted copy, not the link.
    assert "dashboard/login" not in everything and "processed" in " ".join(
        r[0] for r in services.engine.connect().execute(text("select name from sqlite_master")))


def test_cookies_are_secure_under_https(chat, client):
    path = login_path(chat, "clerk_a")
    resp = client.post(path, headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in resp.headers["Set-Cookie"]
    resp = client.__class__(client.application).post(login_path(chat, "clerk_a"), base_url="https://localhost")
    assert "Secure" in resp.headers["Set-Cookie"]


def test_links_expire_after_15_minutes_and_sessions_after_8_idle_hours(chat, client, clock, services):
    path = login_path(chat, "clerk_a")
    clock.now += timedelta(minutes=16)
    resp = client.post(path)
    assert resp.status_code == 403 and "过期" in resp.get_data(as_text=True)
    sign_in(client, chat, "clerk_a")
    clock.now += timedelta(hours=7, minutes=50)
    assert client.get("/dashboard").status_code == 200  # a request keeps it alive …
    clock.now += timedelta(hours=7, minutes=50)
    assert client.get("/dashboard/hazards").status_code == 200
    clock.now += timedelta(hours=8, minutes=1)  # … and 8 idle hours end it
    resp = client.get("/dashboard")
    assert resp.status_code == 401 and "登录后台" in resp.get_data(as_text=True)


def test_logout_ends_the_session_and_forms_need_their_token(chat, client, services):
    sign_in(client, chat, "clerk_a")
    assert client.post("/dashboard/logout").status_code == 403  # no form token: refused
    page = client.get("/dashboard").get_data(as_text=True)
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/dashboard/logout", data={"csrf": token}).status_code == 200
    assert client.get("/dashboard").status_code == 401
    with services.sessions() as s:
        assert s.scalars(select(WebSession)).one().ended_at is not None


def test_a_person_who_is_no_longer_staff_is_signed_out(chat, client, services):
    from storage.models import Person

    sign_in(client, chat, "clerk_a")
    with services.sessions.begin() as s:
        s.scalars(select(Person).where(Person.external_id == "clerk_a")).one().role = "enterprise_head"
    assert client.get("/dashboard").status_code == 401


def test_every_page_and_download_sends_the_protective_headers(chat, client, world):
    sign_in(client, chat, "clerk_a")
    for path in ("/dashboard", "/dashboard/hazards", "/dashboard/hazards/YH-202606-0001", "/dashboard/enterprises",
                 "/dashboard/tips", "/dashboard/dispatch", "/dashboard/major", "/dashboard/boards",
                 "/dashboard/hazards.xlsx", "/dashboard/dispatch.xlsx", "/dashboard/major.xlsx",
                 "/dashboard/hazards/YH-202606-0001/photos/h/0", "/dashboard/hazards/YH-202606-0003"):
        resp = client.get(path)
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        assert resp.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in resp.headers[
            "Content-Security-Policy"], path
        assert "script-src" not in resp.headers["Content-Security-Policy"]  # default-src 'none': no script at all
        assert resp.headers["Cache-Control"] == "no-store", path
        assert resp.headers["Referrer-Policy"] == "no-referrer", path
    css = client.get("/dashboard/static/app.css")
    assert css.status_code == 200 and css.headers["X-Content-Type-Options"] == "nosniff"
    signed_out = client.__class__(client.application).get("/dashboard/login/whatever")
    assert signed_out.headers["Referrer-Policy"] == "no-referrer"  # the token in the URL goes nowhere


def test_pages_load_nothing_from_elsewhere(chat, client, world):
    sign_in(client, chat, "clerk_a")
    for path in ("/dashboard", "/dashboard/hazards", "/dashboard/dispatch", "/dashboard/hazards/YH-202606-0001"):
        html = client.get(path).get_data(as_text=True)
        assert "<script" not in html and "http://" not in html and "https://" not in html, path
        assert "style=" not in html  # the CSP allows no inline style


# -- scope: a changed URL shows nothing of another unit ----------------------------------------------

def test_a_town_sees_only_its_own_records_on_every_page(chat, client, world, services):
    """湖东街道's hazard YH-202606-0003, its tip JB-202606-0002 and its enterprise stay invisible to 青山湖镇's staff,
    whatever the URL says."""
    sign_in(client, chat, "clerk_a")
    far = world["enterprises"][2]
    other_town = world["towns"][1]
    assert client.get("/dashboard/hazards/YH-202606-0003").status_code == 404
    assert client.get("/dashboard/hazards/YH-202606-0003/photos/h/0").status_code == 404
    assert client.get("/dashboard/tips/JB-202606-0002").status_code == 404
    assert client.get(f"/dashboard/tips/JB-202606-0002/photos/1").status_code == 404
    assert client.get(f"/dashboard/boards?enterprise={far}").status_code == 404
    assert client.get(f"/dashboard/boards?town={other_town}").status_code == 404
    listing = client.get("/dashboard/hazards?enterprise=东湖").get_data(as_text=True)
    assert "YH-202606-0003" not in listing and "没有符合条件的隐患" in listing
    assert "东湖烟花仓库" not in client.get("/dashboard/enterprises").get_data(as_text=True)
    assert "JB-202606-0002" not in client.get("/dashboard/tips").get_data(as_text=True)
    assert "仓库超量储存烟花" not in client.get("/dashboard/major").get_data(as_text=True)
    # ?unit= is for admins: staff asking for another unit get their own
    assert "湖东街道" not in client.get(f"/dashboard?unit={other_town}").get_data(as_text=True).split("<main>")[1]
    dispatch = client.get(f"/dashboard/dispatch?unit={other_town}").get_data(as_text=True)
    assert "青山湖镇 · 2026年6月" in dispatch
    for path in (f"/dashboard/hazards.xlsx", "/dashboard/major.xlsx"):
        ws = load_workbook(io.BytesIO(client.get(path).data)).active
        cells = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
        assert "东湖烟花仓库" not in cells and "青山化工有限公司" in cells, path
    token = client.get("/dashboard").get_data(as_text=True).split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/dashboard/hazards/YH-202606-0003/verify",
                       data={"csrf": token, "action": "现场核查销号", "note": "看过了"}).status_code == 404
    assert client.post("/dashboard/tips/JB-202606-0002", data={"csrf": token, "action": "核查中"}).status_code == 404
    with services.sessions() as s:
        assert s.scalars(select(Hazard.status).where(Hazard.number == "YH-202606-0003")).one() == "待整改"
        assert s.scalars(select(Tip.status).where(Tip.number == "JB-202606-0002")).one() == "已受理"


def test_a_department_sees_the_enterprises_assigned_to_it(chat, client, world):
    sign_in(client, chat, "dept")
    assert client.get("/dashboard/hazards/YH-202606-0001").status_code == 200  # 青山化工 is the department's
    assert client.get("/dashboard/hazards/YH-202606-0002").status_code == 404  # 湖畔家具厂 has no department
    assert "JB-202606-0001" in client.get("/dashboard/tips").get_data(as_text=True)


def test_an_admin_sees_everything(chat, client, world):
    sign_in(client, chat, "admin")
    assert client.get("/dashboard/hazards/YH-202606-0003").status_code == 200
    assert client.get("/dashboard/tips/JB-202606-0002").status_code == 200
    listing = client.get("/dashboard/hazards").get_data(as_text=True)
    assert all(n in listing for n in ("YH-202606-0001", "YH-202606-0002", "YH-202606-0003"))


# -- what the pages do ----------------------------------------------------------------------------

def csrf(client) -> str:
    return client.get("/dashboard").get_data(as_text=True).split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_the_ledger_filters_pages_and_downloads_the_filtered_view(chat, client, world):
    sign_in(client, chat, "admin")
    page = client.get("/dashboard/hazards?level=重大&status=open").get_data(as_text=True)
    assert "YH-202606-0001" in page and "YH-202606-0003" in page and "YH-202606-0002" not in page
    overdue = client.get("/dashboard/hazards?overdue=1").get_data(as_text=True)
    assert "YH-202606-0002" in overdue and "YH-202606-0001" not in overdue  # deadline 06-05 < today 06-10
    missing = client.get("/dashboard/hazards?missing_five=1").get_data(as_text=True)
    assert "YH-202606-0002" in missing and "YH-202606-0003" not in missing  # no 应急预案
    assert "YH-202606-0001" in client.get("/dashboard/hazards?enterprise=青山").get_data(as_text=True)
    ignored = client.get("/dashboard/hazards?level=<script>&month=2026-13").get_data(as_text=True)
    assert "YH-202606-0002" in ignored  # values that are not choices are dropped, not echoed
    ws = load_workbook(io.BytesIO(client.get("/dashboard/hazards.xlsx?level=重大&detailed=1").data)).active
    header = [c.value for c in ws[3]]
    numbers = [r[1] for r in ws.iter_rows(min_row=4, values_only=True)]
    assert sorted(numbers) == ["YH-202606-0001", "YH-202606-0003"]
    assert header[1] == "隐患编号" and header[5] == "隐患等级" and "资金（万元）" in header


def test_verifying_from_the_page_uses_the_ledger_rule_and_keeps_history(chat, client, world, services):
    sign_in(client, chat, "clerk_a")
    token = csrf(client)
    page = client.get("/dashboard/hazards/YH-202606-0001").get_data(as_text=True)
    for evidence in ("更换报警器并联网", "1.5 万元", "储罐区泄漏应急预案", "报警器已更换并联网测试", "/photos/"):
        assert evidence in page
    refused = client.post("/dashboard/hazards/YH-202606-0001/verify", data={"csrf": token, "action": "退回"})
    assert refused.status_code == 400 and "退回需要写明原因" in refused.get_data(as_text=True)
    done = client.post("/dashboard/hazards/YH-202606-0001/verify", data={"csrf": token, "action": "销号", "note": ""})
    assert done.status_code == 302
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已核查销号" in shown and "已销号" in shown
    # On site: 湖畔家具厂's hazard was never claimed; closing it needs a note, which the history keeps.
    refused = client.post("/dashboard/hazards/YH-202606-0002/verify", data={"csrf": token, "action": "现场核查销号"})
    assert refused.status_code == 400
    client.post("/dashboard/hazards/YH-202606-0002/verify",
                data={"csrf": token, "action": "现场核查销号", "note": "现场查看排风已加装运行"})
    with services.sessions() as s:
        one = s.scalars(select(Hazard).where(Hazard.number == "YH-202606-0001")).one()
        two = s.scalars(select(Hazard).where(Hazard.number == "YH-202606-0002")).one()
        assert one.status == "已销号" and one.closed_at is not None
        assert two.status == "已销号"
        events = s.scalars(select(HazardEvent).where(HazardEvent.hazard_id == two.id)).all()
        assert [(e.action, e.from_status, e.to_status, e.note) for e in events] == [
            ("现场核查销号", "整改中", "已销号", "现场查看排风已加装运行")]
        # 双报告: the department hears that the major hazard was rectified (the town's clerk closed it)
        told = s.scalars(select(Outbox.recipient).where(Outbox.text.contains("整改完成"))).all()
        assert told == ["dept"]


def test_sending_back_from_the_page_tells_the_enterprise(chat, client, world, services):
    sign_in(client, chat, "clerk_a")
    client.post("/dashboard/hazards/YH-202606-0001/verify",
                data={"csrf": csrf(client), "action": "退回", "note": "照片看不清报警器型号"})
    with services.sessions() as s:
        assert s.scalars(select(Hazard.status).where(Hazard.number == "YH-202606-0001")).one() == "整改中"
        notice = s.scalars(select(Outbox).where(Outbox.recipient == "boss")).one()
        assert "照片看不清报警器型号" in notice.text


def test_reminding_unchecked_enterprises_queues_once_a_day(chat, client, world, services, clock):
    sign_in(client, chat, "clerk_a")
    page = client.get("/dashboard/enterprises?unchecked=1").get_data(as_text=True)
    assert "青山化工有限公司" in page and "湖畔家具厂" in page and "未绑定" in page  # 湖畔 has nobody bound
    resp = client.post("/dashboard/enterprises/remind", data={"csrf": csrf(client)})
    shown = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已向 1 人发送自查提醒" in shown
    client.post("/dashboard/enterprises/remind", data={"csrf": csrf(client)})
    with services.sessions() as s:
        rows = s.scalars(select(Outbox).where(Outbox.rule == "selfcheck_due")).all()
        assert [r.recipient for r in rows] == ["boss"] and "开始自查" in rows[0].text
    clock.now += timedelta(days=1)
    sign_in(client, chat, "clerk_a")
    client.post("/dashboard/enterprises/remind", data={"csrf": csrf(client)})
    with services.sessions() as s:
        assert len(s.scalars(select(Outbox).where(Outbox.rule == "selfcheck_due")).all()) == 2


def test_tips_are_handled_from_the_page_without_any_sender_data(chat, client, world, services):
    sign_in(client, chat, "dept")
    token = csrf(client)
    page = client.get("/dashboard/tips/JB-202606-0001").get_data(as_text=True)
    assert "青山化工夜间违规动火" in page and "举报人信息：无" in page
    client.post("/dashboard/tips/JB-202606-0001", data={"csrf": token, "action": "提问", "note": "大概几点？"})
    page = client.get("/dashboard/tips/JB-202606-0001").get_data(as_text=True)
    assert "企业会看到" in page and "经现场核查" in page  # a neutral description offered to edit
    copied = client.post("/dashboard/tips/JB-202606-0001", data={
        "csrf": token, "action": "属实", "major": "1", "note": "夜查发现动火未审批",
        "description": "青山化工夜间违规动火", "deadline": "2026-06-30"})
    assert copied.status_code == 400 and "举报原文相同" in copied.get_data(as_text=True)
    client.post("/dashboard/tips/JB-202606-0001", data={"csrf": token, "action": "属实", "major": "1",
                                                        "note": "夜查发现动火未审批",
                                                        "description": "夜间动火作业未办理动火审批手续",
                                                        "deadline": "2026-06-30"})
    with services.sessions() as s:
        tip = s.scalars(select(Tip).where(Tip.number == "JB-202606-0001")).one()
        assert tip.status == "查证属实" and tip.major and tip.hazard_id is not None
        hz = s.get(Hazard, tip.hazard_id)
        assert hz.source == "举报" and hz.level == "重大"
        assert (hz.description, hz.deadline) == ("夜间动火作业未办理动火审批手续", "2026-06-30")
    refused = client.post("/dashboard/tips/JB-202606-0001", data={"csrf": token, "action": "奖励", "reward": "x"})
    assert refused.status_code == 400
    client.post("/dashboard/tips/JB-202606-0001", data={"csrf": token, "action": "奖励", "reward": "3000"})
    sign_in(client, chat, "clerk_b")
    token = csrf(client)
    resp = client.post("/dashboard/tips/JB-202606-0002", data={"csrf": token, "action": "转办",
                                                                "to_unit": str(world["dept"]), "note": "涉及危化"})
    assert resp.status_code == 302
    assert client.get("/dashboard/tips/JB-202606-0002").status_code == 404  # handed over: no longer ours
    with services.sessions() as s:
        assert s.scalars(select(Tip.reward_yuan).where(Tip.number == "JB-202606-0001")).one() == 3000
        assert s.scalars(select(Tip.unit_id).where(Tip.number == "JB-202606-0002")).one() == world["dept"]


def test_the_overview_links_its_counts_to_their_lists(chat, client, world):
    sign_in(client, chat, "clerk_a")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "<svg" in page and "发现重大事故隐患" in page
    assert "/dashboard/hazards?overdue=1" in page and "/dashboard/enterprises?unchecked=1" in page


def test_boards_print_each_enterprise_of_a_town(chat, client, world):
    sign_in(client, chat, "clerk_a")
    page = client.get(f"/dashboard/boards?town={world['towns'][0]}").get_data(as_text=True)
    assert page.count('class="board"') == 2 and "李镇长" in page and "13800000003" in page


def test_housekeeping_removes_spent_links_and_sessions(chat, client, services, clock):
    from storage.housekeeping import housekeeping

    sign_in(client, chat, "clerk_a")
    login_path(chat, "clerk_a")  # a second link, never used
    clock.now += timedelta(hours=9)
    with services.sessions.begin() as s:
        swept = housekeeping(s, clock.now, 180)
        assert swept.logins == 3
        assert s.scalars(select(LoginToken)).all() == [] and s.scalars(select(WebSession)).all() == []
