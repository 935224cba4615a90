"""Quiet hours: no reminder goes out between quiet_start and quiet_end (local time)."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.config import Config


def _hm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


def in_quiet_hours(moment: datetime, config: Config) -> bool:
    local = moment.astimezone(ZoneInfo(config.campaign.timezone)).time()
    start, end = _hm(config.scheduler.quiet_start), _hm(config.scheduler.quiet_end)
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # spans midnight, as 22:00–08:00 does


def next_allowed(moment: datetime, config: Config) -> datetime:
    """The moment itself, or the end of the quiet hours it falls in."""
    if not in_quiet_hours(moment, config):
        return moment
    tz = ZoneInfo(config.campaign.timezone)
    local = moment.astimezone(tz)
    end = _hm(config.scheduler.quiet_end)
    candidate = datetime.combine(local.date(), end, tz)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(moment.tzinfo)
