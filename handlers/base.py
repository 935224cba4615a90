"""What a handler sees and returns. Handlers never touch Flask or WeChat XML.

`Services` is the seam between the conversations and the app: what a handler may use of the process's
services, typed. The app's bot.services.Services satisfies it; a test can hand in anything that does.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from storage.config import Config
from storage.conversations import Sender
from storage.models import Person
from storage.numbers import defer_numbers, give_deferred
from storage.ratelimit import RateLimiter

from .forms.catalog import FormCatalog
from .messages import Incoming
from .nlu import Recognizer


class Services(Protocol):
    config: Config
    secret: bytes  # the deployment's key: keyed hashes, signed links
    limiter: RateLimiter
    tz: ZoneInfo
    nlu: Recognizer
    forms: FormCatalog

    @property
    def downloaders(self) -> Mapping[str, Callable[[str], bytes]]:
        """channel -> media_id -> the file's bytes"""

    @property
    def clock(self) -> Callable[[], datetime]:
        """Now, in UTC (settable in tests)."""

    def now(self) -> datetime: ...


@dataclass
class Context:
    connection: Connection  # the message's transaction
    channel: str
    user_id: str
    sender: Sender | None  # None: an unbound visitor
    now: datetime  # aware, in the campaign's time zone
    services: Services
    # Set when a reply must not outlive WeChat's retry window in the dedup record (a receipt code).
    sensitive: bool = False
    _person: Person | None = field(default=None, repr=False)
    _session: Session | None = field(default=None, repr=False)

    @property
    def session(self) -> Session:
        """An ORM session in the message's transaction, made on first use: most messages need none."""
        if self._session is None:
            self._session = Session(bind=self.connection, expire_on_commit=False)
            # The records a message numbers get their numbers at its end (finish): see storage.numbers.
            defer_numbers(self._session)
        return self._session

    def finish(self) -> dict[str, str]:
        """Write what the handlers added through the session, and number its new records last (the engine
        commits next); returns the numbers given, by placeholder, for the replies and the conversation."""
        if self._session is None:
            return {}
        self._session.flush()
        return give_deferred(self._session)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    @property
    def person(self) -> Person | None:
        """The sender's Person, loaded on first use: most messages never need more than the role."""
        if self._person is None and self.sender is not None:
            self._person = self.session.get(Person, self.sender.person_id)
        return self._person

    @person.setter
    def person(self, person: Person) -> None:
        self._person = person
        self.sender = Sender(person.id, person.role)

    def me(self) -> Person:
        """The sender's Person, for a handler only bound people reach (the intent table's roles say so)."""
        person = self.person
        if person is None:
            raise LookupError("a handler for bound people was reached by a visitor")
        return person

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def role(self) -> str | None:
        return self.sender.role if self.sender else None


@dataclass
class Step:
    """One turn of a conversation: the replies, and the state to keep (None: the flow is over)."""

    replies: list[str] = field(default_factory=list)
    state: dict[str, Any] | None = None
    # Delete the conversation row itself when the flow ends: nothing may tie the sender to a tip.
    forget: bool = False
    # The flow could not use this reply (not one of the listed choices): the engine may answer it as a new
    # request instead ("逾期隐患" typed inside a picker); otherwise the replies (a re-prompt) go out.
    unmatched: bool = False
    # End the reply with the person's numbered menu (the engine renders it from the intent table).
    menu: bool = False

    @classmethod
    def done(cls, *replies: str) -> Step:
        return cls(list(replies), None)

    @classmethod
    def stay(cls, state: dict[str, Any], *replies: str) -> Step:
        return cls(list(replies), state)


class Flow(Protocol):
    """A conversation with named states (kept in the state under "at"); see handlers.conversation."""

    name: str

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step: ...

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step: ...


OneShot = Callable[[Context, Incoming, dict[str, Any]], Step]
