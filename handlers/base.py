"""What a handler sees and returns. Handlers never touch Flask or WeChat XML."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from handlers.messages import Incoming
from storage.conversations import Sender
from storage.models import Person


@dataclass
class Context:
    connection: Connection  # the message's transaction
    channel: str
    user_id: str
    sender: Sender | None  # None: an unbound visitor
    now: datetime  # aware, in the campaign's time zone
    services: Any  # bot.services.Services; Any keeps handlers importable without the app
    # Set when a reply must not outlive WeChat's retry window in the dedup record (a receipt code).
    sensitive: bool = False
    _person: Person | None = field(default=None, repr=False)
    _session: Session | None = field(default=None, repr=False)

    @property
    def session(self) -> Session:
        """An ORM session in the message's transaction, made on first use: most messages need none."""
        if self._session is None:
            self._session = Session(bind=self.connection, expire_on_commit=False)
        return self._session

    def flush(self) -> None:
        """Write what the handlers added through the session; the engine commits the transaction."""
        if self._session is not None:
            self._session.flush()

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

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def role(self) -> str | None:
        return self.sender.role if self.sender else None


@dataclass
class Step:
    """One turn of a flow: the replies, and the state to keep (None: the flow is over)."""

    replies: list[str] = field(default_factory=list)
    state: dict[str, Any] | None = None
    # Delete the conversation row itself when the flow ends: nothing may tie the sender to a tip.
    forget: bool = False

    @classmethod
    def done(cls, *replies: str) -> "Step":
        return cls(list(replies), None)

    @classmethod
    def stay(cls, state: dict[str, Any], *replies: str) -> "Step":
        return cls(list(replies), state)


class Flow(Protocol):
    """A conversation with explicit states (kept in `state["step"]`)."""

    name: str

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step: ...

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step: ...
