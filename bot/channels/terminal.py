"""`hazardbot chat --user ID`: talk to the engine from a terminal, as a WeChat user would."""
from __future__ import annotations

from typing import TextIO

from bot.engine import Engine
from bot.services import Services
from storage.outbox import collect_simulated

from .simulated import HELP, parse_line


def run_chat(services: Services, user: str, stdin: TextIO, stdout: TextIO) -> None:
    engine = Engine(services)
    interactive = stdin.isatty()
    print(f"模拟用户 {user}。{HELP}", file=stdout)
    while True:
        if interactive:
            print("我> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        line = line.rstrip("\n")
        if line.strip() in ("/退出", "/quit", "/exit"):
            break
        if not line.strip():
            continue
        if not interactive:
            print(f"我> {line}", file=stdout)
        try:
            msg = parse_line(user, line, services.clock())
        except ValueError as exc:
            print(str(exc), file=stdout)
            continue
        replies = engine.handle(msg)
        with services.sessions.begin() as session:
            replies += collect_simulated(session, user, services.clock())
        for text in replies:
            print("助手> " + text.replace("\n", "\n      "), file=stdout, flush=True)
