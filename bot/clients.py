"""wechatpy API clients for pushing messages and fetching media, sharing the access token between processes.

The token is cached in Redis when configured, so every worker and the scheduler use one token instead of
each fetching its own (a fresh fetch invalidates the previous token after a few minutes).
`api_base_url` moves every call — the token fetch included, which wechatpy hard-codes — to another host,
such as a test double on loopback.
"""
from __future__ import annotations

from typing import Any

from wechatpy import WeChatClient
from wechatpy.enterprise import WeChatClient as WeComClient
from wechatpy.session.memorystorage import MemoryStorage

from .config import Config


def _storage(redis_client: Any) -> Any:
    if redis_client is None:
        return MemoryStorage()
    from wechatpy.session.redisstorage import RedisStorage

    return RedisStorage(redis_client, prefix="hazardbot:wechatpy")


class _WeChat(WeChatClient):
    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})


class _WeCom(WeComClient):
    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=self.API_BASE_URL + "gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret})


def wechat_client(config: Config, redis_client: Any = None) -> WeChatClient | None:
    cfg = config.wechat
    if not (cfg.app_id and cfg.app_secret):
        return None
    client = _WeChat(cfg.app_id, cfg.app_secret, session=_storage(redis_client))
    if cfg.api_base_url:
        client.API_BASE_URL = cfg.api_base_url.rstrip("/") + "/"
    return client


def wecom_client(config: Config, redis_client: Any = None) -> WeComClient | None:
    cfg = config.wecom
    if not (cfg.corp_id and cfg.secret):
        return None
    client = _WeCom(cfg.corp_id, cfg.secret, session=_storage(redis_client))
    if cfg.api_base_url:
        client.API_BASE_URL = cfg.api_base_url.rstrip("/") + "/"
    return client
