"""wechatpy API clients for pushing messages and fetching media, sharing the access token between processes,
and what the APIs' error codes mean.

The token is cached in Redis when configured, so every worker and the scheduler use one token instead of
each fetching its own (a fresh fetch invalidates the previous token after a few minutes).
`api_base_url` moves every call — the token fetch included, which wechatpy hard-codes — to another host,
such as a test double on loopback.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.enterprise import WeChatClient as WeComClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

from scheduler.delivery import PushFailed
from storage.config import Config

from .. import metrics

# wechatpy waits forever by default (its token fetch takes no timeout at all); a hung call would hold a
# push's lease and stall the sender.
HTTP_TIMEOUT = 10

# Refusals that trying again cannot cure: unsubscribed, unknown recipient, bad template, not visible to the app.
PERMANENT = {43004, 40003, 40037, 43101, 40036, 46004, 60111, 81013, 40031}
# What the admins read in 「发送失败」: the code stays first, for searching WeChat's documentation.
ERROR_LABELS = {
    43004: "对方已取消关注", 40003: "openid 无效（不是本公众号的用户）", 40037: "模板 ID 无效",
    43101: "对方拒收订阅消息", 40036: "模板 ID 无效", 46004: "企业微信成员不存在", 60111: "企业微信成员不存在",
    81013: "企业微信成员不在应用可见范围", 40031: "接收人列表无效", 45009: "接口调用超过当日限额",
    45011: "调用太频繁", 45033: "调用太频繁", 45035: "IP 不在白名单", 45047: "客服消息超过条数限制",
}


def error_code(exc: Exception) -> int | None:
    code = getattr(exc, "errcode", None)
    return code if isinstance(code, int) else None


def refusal(exc: WeChatClientException) -> PushFailed:
    """An API error as the outbox's sender understands it."""
    code = error_code(exc)
    why = f"{code} {ERROR_LABELS.get(code or 0, exc.errmsg)}"
    return PushFailed(why, permanent=code in PERMANENT)


class _TimeoutAdapter(HTTPAdapter):
    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["timeout"] = kwargs.get("timeout") or HTTP_TIMEOUT
        return super().send(request, **kwargs)


def _with_timeout(client: Any) -> Any:
    # The scheduler sends up to scheduler.concurrency pushes at once through this one client: keep that many
    # keep-alive connections instead of requests' default 10 (the rest would be opened and dropped each time).
    adapter = _TimeoutAdapter(pool_maxsize=64)
    client._http.mount("http://", adapter)
    client._http.mount("https://", adapter)
    return client


def _storage(redis_client: Any, prefix: str) -> Any:
    if redis_client is None:
        return MemoryStorage()
    from wechatpy.session.redisstorage import RedisStorage

    return RedisStorage(redis_client, prefix=f"{prefix}wechatpy")


class _SingleRefresh:
    """Only one process refreshes the token: a fresh token invalidates the one the others still use.

    The refresh takes a lock (in Redis when configured, so it holds across processes) and looks in the shared
    storage again first: whoever waited behind a refresh finds the new token instead of fetching another.
    """

    _refresh_lock: Any
    _account: str = ""
    expires_at: float | None

    def _locked_fetch(self, url: str, params: dict[str, str]) -> Any:
        with self._refresh_lock:
            token = self.session.get(self.access_token_key)  # type: ignore[attr-defined]
            if token and (not self.expires_at or self.expires_at - time.time() > 60):
                self.expires_at = None  # someone else's token: trust the storage's expiry
                return {"access_token": token}
            metrics.token_refresh(self._account)
            return self._fetch_access_token(url=url, params=params)  # type: ignore[attr-defined]


class _WeChat(_SingleRefresh, WeChatClient):
    def fetch_access_token(self) -> Any:
        return self._locked_fetch(self.API_BASE_URL + "token",
                                  {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})


class _WeCom(_SingleRefresh, WeComClient):
    def fetch_access_token(self) -> Any:
        return self._locked_fetch(self.API_BASE_URL + "gettoken", {"corpid": self.corp_id, "corpsecret": self.secret})


def _refresh_lock(redis_client: Any, prefix: str, name: str) -> Any:
    if redis_client is None:
        return threading.Lock()
    # Held no longer than one token call can take, so a process killed while refreshing holds up the others
    # for seconds, not minutes.
    return redis_client.lock(f"{prefix}token-refresh:{name}", timeout=HTTP_TIMEOUT + 5,
                             blocking_timeout=HTTP_TIMEOUT + 10)


def wechat_client(config: Config, redis_client: Any = None) -> WeChatClient | None:
    cfg = config.wechat
    if not (cfg.app_id and cfg.app_secret):
        return None
    prefix = config.redis.prefix
    client = _WeChat(cfg.app_id, cfg.app_secret, session=_storage(redis_client, prefix))
    client._refresh_lock = _refresh_lock(redis_client, prefix, cfg.app_id)
    client._account = "wechat"
    if cfg.api_base_url:
        client.API_BASE_URL = cfg.api_base_url.rstrip("/") + "/"
    return _with_timeout(client)


def wecom_client(config: Config, redis_client: Any = None) -> WeComClient | None:
    cfg = config.wecom
    if not (cfg.corp_id and cfg.secret):
        return None
    prefix = config.redis.prefix
    client = _WeCom(cfg.corp_id, cfg.secret, session=_storage(redis_client, prefix))
    client._refresh_lock = _refresh_lock(redis_client, prefix, f"{cfg.corp_id}:{cfg.agent_id}")
    client._account = "wecom"
    if cfg.api_base_url:
        client.API_BASE_URL = cfg.api_base_url.rstrip("/") + "/"
    return _with_timeout(client)
