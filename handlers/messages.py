"""Values that cross layers: what came in from a channel."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Kinds the engine understands; every other WeChat type arrives as UNSUPPORTED.
TEXT, IMAGE, LOCATION, EVENT, UNSUPPORTED = "text", "image", "location", "event", "unsupported"


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    label: str = ""


@dataclass(frozen=True)
class Incoming:
    channel: str  # wechat | wecom | sim
    user_id: str  # openid / WeCom userid / simulator id
    msg_key: str  # MsgId, or CreateTime+Event for events: what a retry repeats
    kind: str
    created_at: datetime
    text: str = ""
    media_id: str = ""
    pic_url: str = ""
    location: Location | None = None
    event: str = ""  # subscribe | unsubscribe | click | ...
    event_key: str = ""
    raw_type: str = ""  # the channel's own type name, for the "unsupported" answer
    voice: bool = False  # a voice message read as WeChat's recognition of it (the reply says what was heard)
