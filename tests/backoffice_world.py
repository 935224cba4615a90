"""A small county for the back-office tests: two towns, a department, enterprises, hazards with history and a
photo, tips, and staff of each unit, an admin and an enterprise head, all bound on the simulator channel."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from typing import Any

from PIL import Image

from bot.engine import Engine
from handlers.messages import IMAGE, TEXT, Incoming
from storage.media import store_clean
from storage.models import Enterprise, Hazard, HazardEvent, Person, Tip, TipPhoto, Unit

LOGIN = re.compile(r"(?:https?://[^/\s]+)?(/dashboard/login/[A-Za-z0-9_\-]+)")


def utc(y: int, m: int, d: int, h: int = 2) -> datetime:
    return datetime(y, m, d, h, tzinfo=timezone.utc)


def jpeg(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, format="JPEG")
    return buf.getvalue()


class Chat:
    """Messages into the engine as the simulator sends them."""

    def __init__(self, services: Any) -> None:
        self.engine = Engine(services)
        self.n = 0

    def say(self, user: str, text: str = "", *, image: str = "") -> list[str]:
        self.n += 1
        if image:
            return self.engine.handle(Incoming(channel="sim", user_id=user, msg_key=f"m{self.n}", kind=IMAGE,
                                               created_at=datetime.now(timezone.utc), media_id=image))
        return self.engine.handle(Incoming(channel="sim", user_id=user, msg_key=f"m{self.n}", kind=TEXT,
                                           created_at=datetime.now(timezone.utc), text=text))

    def text(self, user: str, text: str) -> str:
        return "\n".join(self.say(user, text))


def build_world(services: Any) -> dict[str, Any]:
    instance = services.config.instance_path
    photo = store_clean(instance, "hazards", jpeg())
    with services.sessions.begin() as s:
        a = Unit(name="青山湖镇", kind="town")
        b = Unit(name="湖东街道", kind="town")
        d = Unit(name="应急管理局", kind="department", industries=["危险化学品"])
        s.add_all([a, b, d])
        s.flush()
        chem = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=a.id, department_id=d.id,
                          risk_tier="high", head_name="张三", head_phone="13800000001", liaison_leader="李镇长",
                          liaison_leader_phone="13800000002", cadre="王干部", cadre_phone="13800000003")
        wood = Enterprise(name="湖畔家具厂", industry="工贸", town_id=a.id, risk_tier="other", head_name="赵四")
        far = Enterprise(name="东湖烟花仓库", industry="烟花爆竹", town_id=b.id, risk_tier="high", head_name="钱五")
        s.add_all([chem, wood, far])
        s.flush()
        people = {
            "clerk_a": Person(channel="sim", external_id="clerk_a", role="staff", unit_id=a.id),
            "clerk_b": Person(channel="sim", external_id="clerk_b", role="staff", unit_id=b.id),
            "dept": Person(channel="sim", external_id="dept", role="staff", unit_id=d.id),
            "admin": Person(channel="sim", external_id="admin", role="admin"),
            "boss": Person(channel="sim", external_id="boss", role="enterprise_head", enterprise_id=chem.id),
            "far_boss": Person(channel="sim", external_id="far_boss", role="enterprise_head", enterprise_id=far.id),
        }
        s.add_all(people.values())
        s.flush()
        claimed = Hazard(number="YH-202606-0001", enterprise_id=chem.id, level="重大", source="企业自查",
                         status="已整改待核查", description="储罐区可燃气体报警器失效", responsible="张三",
                         measures="更换报警器并联网", funds_wan=1.5, deadline="2026-06-20", plan="储罐区泄漏应急预案",
                         equipment_stopped=True, found_at=utc(2026, 6, 2), found_by=people["boss"].id,
                         photos=[{"path": photo.path, "sha256": photo.sha256}])
        open_ = Hazard(number="YH-202606-0002", enterprise_id=wood.id, level="一般", source="部门检查", status="整改中",
                       description="喷漆房通风不良", responsible="赵四", measures="加装排风", funds_wan=0.3,
                       deadline="2026-06-05", plan="", found_at=utc(2026, 6, 1))
        other = Hazard(number="YH-202606-0003", enterprise_id=far.id, level="重大", source="部门检查", status="待整改",
                       description="仓库超量储存烟花", found_at=utc(2026, 6, 3), deadline="2026-06-30",
                       responsible="钱五", measures="清运超量部分", funds_wan=2, plan="仓库火灾预案")
        s.add_all([claimed, open_, other])
        s.flush()
        s.add_all([
            HazardEvent(hazard_id=claimed.id, at=utc(2026, 6, 2), person_id=people["boss"].id, action="登记",
                        from_status="草稿", to_status="待整改"),
            HazardEvent(hazard_id=claimed.id, at=utc(2026, 6, 8), person_id=people["boss"].id, action="申请销号",
                        from_status="待整改", to_status="已整改待核查", note="报警器已更换并联网测试",
                        photos=[{"path": photo.path, "sha256": photo.sha256}]),
        ])
        tip_a = Tip(number="JB-202606-0001", receipt_hash="x1", what="青山化工夜间违规动火", unit_id=d.id,
                    enterprise_id=chem.id, received_on="2026-06-05")
        tip_b = Tip(number="JB-202606-0002", receipt_hash="x2", what="东湖仓库门口堆放烟花", unit_id=b.id,
                    enterprise_id=far.id, received_on="2026-06-06")
        s.add_all([tip_a, tip_b])
        s.flush()
        s.add(TipPhoto(tip_id=tip_b.id, path=photo.path, sha256=photo.sha256))
        return {"towns": (a.id, b.id), "dept": d.id, "enterprises": (chem.id, wood.id, far.id),
                "tips": ("JB-202606-0001", "JB-202606-0002")}


def login_path(chat: Chat, user: str) -> str:
    reply = chat.text(user, "登录后台")
    m = LOGIN.search(reply)
    assert m, reply
    return m.group(1)


def sign_in(client: Any, chat: Chat, user: str) -> Any:
    """Sign a test client in the way a person does: the link from chat, then the button."""
    path = login_path(chat, user)
    assert client.get(path).status_code == 200
    resp = client.post(path)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client
