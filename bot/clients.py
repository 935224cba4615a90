"""wechatpy API clients for pushing messages, sharing the access token between processes.

The token is cached in Redis when configured, so every worker and the scheduler use one token
instead of each fetching its own (a fresh fetch invalidates the previous token after a few minutes).
"""
from __future__ import annotations

from wechatpy import WeChatClient
from wechatpy.enterprise import WeChatClient as WeComClient
from wechatpy.session.memorystorage import MemoryStorage

from .config import Config


def _storage(redis_client):  # type: ignore[no-untyped-def]
    if redis_client is None:
        return MemoryStorage()
    from wechatpy.session.redisstorage import RedisStorage

    return RedisStorage(redis_client, prefix="hazardbot:wechatpy")


def wechat_client(config: Config, redis_client=None) -> WeChatClient | None:  # type: ignore[no-untyped-def]
    cfg = config.wechat
    if not (cfg.app_id and cfg.app_secret):
        return None
    client = WeChatClient(cfg.app_id, cfg.app_secret, session=_storage(redis_client))
    if cfg.api_base_url:
        client.API_BASE_URL = cfg.api_base_url.rstrip("/") + "/"
    return client


def wecom_client(config: Config, redis_client=None) -> WeComClient | None:  # type: ignore[no-untyped-def]
    cfg = config.wecom
    if not (cfg.corp_id and cfg.secret):
        return None
    client = WeComClient(cfg.corp_id, cfg.secret, session=_storage(redis_client))
    if cfg.api_base_url:
        client.API_BASE_URL = cfg.api_base_url.rstrip("/") + "/"
    return client
