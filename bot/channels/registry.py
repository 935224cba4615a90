"""The channels of one process, built once: for each, its webhook, its API client, its push sender and its
media download.

One client per account per process matters: each client keeps an access-token cache, and fetching a new token
invalidates the old one after a few minutes — two clients in one process would keep invalidating each other
(errcode 40001). With Redis configured the token is shared with the other processes too (clients.py).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint

from scheduler.delivery import PushChannel
from storage.config import Config
from storage.links import notice_link
from storage.media import MediaError

from . import wechat, wecom
from .clients import wechat_client, wecom_client

Download = Callable[[str], bytes]  # media_id -> the file's bytes (WeChat keeps temporary media 3 days)


@dataclass(frozen=True)
class Channel:
    name: str
    blueprint: Blueprint
    client: Any | None  # None: no API credentials, so no pushes and no media download
    pushes: PushChannel | None
    download: Download | None


class ChannelRegistry:
    """wechat and wecom, with whatever their config allows. The simulators ("sim") have no API: their pushes
    are collected by the simulator itself."""

    def __init__(self, config: Config, redis_client: Any = None) -> None:
        self.channels: dict[str, Channel] = {}
        client: Any = wechat_client(config, redis_client)
        secret = config.secret_key() if client is not None else b""  # read once, not per push
        self.channels["wechat"] = Channel(
            "wechat", wechat.bp, client,
            wechat.WeChatPushes(client, config.scheduler.templates,
                                lambda outbox_id: notice_link(secret, config.server, outbox_id))
            if client is not None else None,
            _downloader(client) if client is not None else None)
        client = wecom_client(config, redis_client)
        self.channels["wecom"] = Channel(
            "wecom", wecom.bp, client,
            wecom.WeComPushes(client, config.wecom.agent_id) if client is not None else None,
            _downloader(client) if client is not None else None)

    def blueprints(self) -> list[Blueprint]:
        return [c.blueprint for c in self.channels.values()]

    def senders(self) -> dict[str, PushChannel]:
        return {name: c.pushes for name, c in self.channels.items() if c.pushes is not None}

    def downloaders(self) -> dict[str, Download]:
        return {name: c.download for name, c in self.channels.items() if c.download is not None}


def _downloader(client: Any) -> Download:
    def download(media_id: str) -> bytes:
        response = client.media.download(media_id)
        if "json" in response.headers.get("Content-Type", ""):
            raise MediaError(f"微信接口返回错误：{response.text[:100]}")
        return bytes(response.content)

    return download
