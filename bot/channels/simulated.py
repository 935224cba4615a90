"""Messages typed into the simulators (terminal and web), as the engine's Incoming values."""
from __future__ import annotations

import uuid
from datetime import datetime

from handlers.messages import IMAGE, LOCATION, TEXT, Incoming, Location

HELP = ("模拟器命令：/图片 发送一张图片；/位置 纬度 经度 [地点] 发送位置；/退出 结束。"
        "其他文字按微信消息发送。")


def parse_line(user: str, line: str, now: datetime, msg_key: str | None = None) -> Incoming:
    """One typed line: plain text, or a /command standing for a photo or a location."""
    key = msg_key or uuid.uuid4().hex
    stripped = line.strip()
    if stripped in ("/图片", "/photo"):
        return Incoming(channel="sim", user_id=user, msg_key=key, kind=IMAGE, created_at=now,
                        media_id=f"sim-media-{key[:12]}", raw_type="image")
    if stripped.startswith(("/位置", "/location")):
        parts = stripped.split(maxsplit=3)
        try:
            lat, lon = float(parts[1]), float(parts[2])
        except (IndexError, ValueError):
            raise ValueError("用法：/位置 纬度 经度 [地点名称]，例如 /位置 28.68 115.86 青山湖区") from None
        label = parts[3] if len(parts) > 3 else ""
        return Incoming(channel="sim", user_id=user, msg_key=key, kind=LOCATION, created_at=now,
                        location=Location(lat, lon, label), raw_type="location")
    return Incoming(channel="sim", user_id=user, msg_key=key, kind=TEXT, created_at=now, text=line,
                    raw_type="text")
