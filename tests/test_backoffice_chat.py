"""Chat catches up with the back office: a hazard by its number, an enterprise's hazards by its name, the evidence
before 核查, photos kept when they arrive, and links that say when they open only on the server."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice_world import Chat, build_world, jpeg, sign_in
from conftest import free_port, make_config
from storage.models import Hazard, HazardEvent


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path, campaign={"start_date": "2026-05-01"},
                       server={"public_url": "https://aq.example.gov.cn"})


@pytest.fixture
def chat(services):
    build_world(services)
    return Chat(services)


def test_a_hazard_by_its_number(chat):
    for text in ("YH-202606-0001", "详情 yh2026060001", "查看 YH-202606-0001"):
        reply = chat.text("clerk_a", text)
        assert "更换报警器并联网" in reply and "1.5 万元" in reply and "储罐区泄漏应急预案" in reply, text
        assert "最近进展（06-08）：报警器已更换并联网测试" in reply and "照片：2 张" in reply
        assert "https://aq.example.gov.cn/dashboard/hazards/YH-202606-0001" in reply
    assert "没有找到您可以查看的隐患" in chat.text("clerk_b", "YH-202606-0001")  # another town's
    own = chat.text("boss", "YH-202606-0001")
    assert "更换报警器并联网" in own and "/dashboard/" not in own  # the enterprise sees its own, without the page
    assert "没有找到" in chat.text("far_boss", "YH-202606-0001")
    # A number inside a sentence is still the recogniser's (整改进展 etc.), not a detail request.
    assert "更换报警器并联网" not in chat.text("boss", "YH-202606-0001 已经整改完成了")


def test_verifying_in_chat_shows_the_evidence_first(chat):
    reply = chat.text("clerk_a", "核查 YH-202606-0001")
    assert reply.index("更换报警器并联网") < reply.index("1. 核查通过，销号")
    assert "报警器已更换并联网测试" in reply and "照片：2 张" in reply


def test_staff_find_an_enterprises_hazards_by_name(chat):
    reply = chat.text("clerk_a", "青山化工的隐患")
    assert "青山化工有限公司：共 1 条隐患" in reply and "YH-202606-0001" in reply
    assert "湖畔家具厂" in chat.text("clerk_a", "湖畔家具厂有哪些隐患")
    assert "没有名称含「东湖烟花」" in chat.text("clerk_a", "东湖烟花的隐患")  # another town's enterprise
    assert "逾期" in chat.text("clerk_a", "逾期隐患")  # still the overdue list


def test_links_say_when_they_open_only_on_the_server(tmp_path, recognizer, clock):
    from bot.services import build_services
    from storage.db import migrate

    cfg = make_config(tmp_path)
    migrate(cfg.database.url)
    services = build_services(cfg, clock=clock, nlu=recognizer)
    try:
        build_world(services)
        chat = Chat(services)
        for text in ("登录后台", "生成调度表", "YH-202606-0001"):
            reply = chat.text("clerk_a", text)
            assert "http://127.0.0.1:8080/" in reply and "只能在服务器本机上打开" in reply, text
    finally:
        services.close()


def test_serve_warns_when_public_url_is_empty(tmp_path, capsys, monkeypatch):
    import waitress.server

    from bot.cli import main

    class Server:
        def run(self) -> None:
            return None

        def close(self) -> None:
            return None

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "s.db"}"\n[server]\ninstance_dir = "{tmp_path}"\n'
                   '[scheduler]\nembedded = false\n')
    monkeypatch.setattr(waitress.server, "create_server", lambda *a, **kw: Server())
    assert main(["--config", str(cfg), "serve", "--port", str(free_port())]) == 0  # 8080 may be in use
    err = capsys.readouterr().err
    assert "server.public_url" in err and "只能在本机打开" in err


def test_a_progress_photo_is_kept_when_it_arrives(chat, services):
    services.downloaders["sim"] = lambda media_id: jpeg((10, 120, 10))
    with services.sessions.begin() as s:  # back to 整改中 so the enterprise can add progress
        s.scalars(select(Hazard).where(Hazard.number == "YH-202606-0001")).one().status = "整改中"
    chat.text("boss", "整改进展 YH-202606-0001")
    chat.text("boss", "1")
    chat.say("boss", image="MEDIA-77")
    assert "已记录" in chat.text("boss", "报警器线路已重新敷设")
    with services.sessions() as s:
        event = s.scalars(select(HazardEvent).where(HazardEvent.action == "整改进展")).one()
    assert event.photos[0]["path"].startswith("media/hazards/") and "media_id" not in event.photos[0]


def test_a_photo_held_as_a_media_id_is_fetched_when_first_shown(chat, services, client):
    with services.sessions.begin() as s:
        hz = s.scalars(select(Hazard).where(Hazard.number == "YH-202606-0002")).one()
        hz.photos = [{"media_id": "OLD-1", "channel": "sim"}]
    sign_in(client, chat, "clerk_a")
    assert client.get("/dashboard/hazards/YH-202606-0002/photos/h/0").status_code == 404  # no way to fetch it yet
    fetched = []
    services.downloaders["sim"] = lambda media_id: fetched.append(media_id) or jpeg()
    resp = client.get("/dashboard/hazards/YH-202606-0002/photos/h/0")
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg" and fetched == ["OLD-1"]
    client.get("/dashboard/hazards/YH-202606-0002/photos/h/0")
    assert fetched == ["OLD-1"]  # kept: the second view reads our own copy
    with services.sessions() as s:
        ref = s.scalars(select(Hazard.photos).where(Hazard.number == "YH-202606-0002")).one()[0]
    assert ref["path"].startswith("media/") and "media_id" not in ref
