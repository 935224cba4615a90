"""Hazard photos are kept when they arrive: fetched through the channel's API into our own store, metadata
stripped (storage.media), instead of keeping only WeChat's media id.

Why at arrival and not when a page first shows them: WeChat keeps temporary media for 3 days, and staff often
look at a rectification later than that. A photo that cannot be fetched now (the API is down, the channel has
no credentials) keeps its media id and its channel, and the back office tries again when it is first shown.
"""
from __future__ import annotations

import logging
from typing import Any

from storage.media import keep_photo

from .base import Context

log = logging.getLogger(__name__)


def kept(ctx: Context, refs: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    fetch = ctx.services.downloaders.get(ctx.channel)
    return [keep_photo(ctx.services.config.instance_path, "hazards", {**ref, "channel": ref.get("channel", ctx.channel)},
                       fetch) for ref in refs or []]


def with_kept_photos(ctx: Context, answers: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The answers with the photos under `keys` kept in our store."""
    return {**answers, **{k: kept(ctx, answers.get(k)) for k in keys if answers.get(k)}}
