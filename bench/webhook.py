"""Webhook throughput and latency: the full stack against a bare Flask + wechatpy echo handler.

Both run in waitress (same threads) in their own process; the load comes from this process over
keep-alive HTTP. Each message is a WeChat 安全-mode (AES) text message, signed and encrypted as the
WeChat server does. The full stack decrypts, dedups, loads the person and the conversation, runs the
engine (intent recognition, a flow that writes conversation state), records the dedup row and
answers with an encrypted reply. The echo baseline decrypts, parses and encrypts an echo.

    python bench/webhook.py [--requests 2000] [--db sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import xmltodict
from wechatpy.crypto import WeChatCrypto

ROOT = Path(__file__).resolve().parent.parent
TOKEN, AES_KEY, APP_ID = "benchtoken", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a"
THREADS = 16

ECHO_APP = textwrap.dedent(f'''
    from flask import Flask, request, Response
    from wechatpy import parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.replies import TextReply
    from wechatpy.utils import check_signature
    from waitress import serve
    import sys
    app = Flask(__name__)
    crypto = WeChatCrypto({TOKEN!r}, {AES_KEY!r}, {APP_ID!r})
    @app.post("/wechat")
    def echo():
        a = request.args
        check_signature({TOKEN!r}, a["signature"], a["timestamp"], a["nonce"])
        xml = crypto.decrypt_message(request.get_data(), a["msg_signature"], a["timestamp"], a["nonce"])
        msg = parse_message(xml)
        reply = TextReply(message=msg, content=msg.content).render()
        return Response(crypto.encrypt_message(reply, a["nonce"], a["timestamp"]), mimetype="application/xml")
    serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads={THREADS}, _quiet=True)
''')

FULL_APP = textwrap.dedent(f'''
    import sys
    from bot.app import create_app
    from bot.config import load_config
    from bot.services import build_services
    from storage.db import migrate
    from waitress import serve
    config = load_config(sys.argv[2])
    migrate(config.database.url)
    app = create_app(services=build_services(config))
    serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads={THREADS}, _quiet=True)
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(code: str, *args: str, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    # The server's output goes to a file: an unread pipe fills up and blocks the server.
    proc = subprocess.Popen([sys.executable, "-c", code, str(port), *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"server failed to start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
    raise SystemExit("server did not start within 60 s")


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def build_requests(n: int, users: int, id_base: int) -> list[tuple[str, bytes]]:
    """Pre-encrypted requests, so the load generator spends its time sending, not encrypting."""
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    out = []
    ts = str(int(time.time()))
    for i in range(n):
        user = f"o_bench_{i % users}"
        # Alternating enters and leaves the binding flow: every message writes conversation state.
        text = "绑定" if (i // users) % 2 == 0 else "取消"
        xml = (f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
               f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               f"<Content><![CDATA[{text}]]></Content><MsgId>{id_base + i}</MsgId></xml>")
        nonce = str(100000 + i)
        enc = xmltodict.parse(crypto.encrypt_message(xml, nonce, ts))["xml"]
        body = f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{enc['Encrypt']}]]></Encrypt></xml>"
        path = (f"/wechat?signature={sign(TOKEN, ts, nonce)}&timestamp={ts}&nonce={nonce}"
                f"&openid={user}&encrypt_type=aes&msg_signature={enc['MsgSignature']}")
        out.append((path, body.encode()))
    return out


def load(port: int, requests: list[tuple[str, bytes]], concurrency: int) -> tuple[float, list[float]]:
    """Send every request once, `concurrency` at a time; messages/s and per-request latencies (s)."""
    latencies: list[float] = []
    lock = threading.Lock()
    index = iter(range(len(requests)))
    errors: list[str] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while True:
            with lock:
                i = next(index, None)
            if i is None:
                break
            path, body = requests[i]
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
                resp = conn.getresponse()
                data = resp.read()
            except OSError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - t0)
            if resp.status != 200 or b"<Encrypt>" not in data:
                errors.append(f"{resp.status} {data[:80]!r}")
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"{len(errors)} bad responses, e.g. {errors[0]}")
    return len(requests) / elapsed, latencies


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] * 1000 if len(values) > 1 else values[0] * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=2000, help="messages per run (default 2000)")
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hb-bench-"))
    db_url = f"sqlite:///{tmp / 'bench.sqlite3'}" if args.db == "sqlite" else args.pg_url
    if args.db == "postgresql":
        from sqlalchemy import create_engine, text

        eng = create_engine(args.pg_url)
        with eng.begin() as c:  # start clean: the bench reuses message ids
            c.execute(text("DROP TABLE IF EXISTS alembic_version, invite_codes, people, enterprises, units, "
                           "processed_messages, outbox, conversations CASCADE"))
        eng.dispose()
    cfg = tmp / "config.toml"
    cfg.write_text(textwrap.dedent(f'''
        [server]
        instance_dir = "{tmp / 'instance'}"
        simulator = false
        [database]
        url = "{db_url}"
        [security]
        secret_key = "bench"
        [wechat]
        token = "{TOKEN}"
        app_id = "{APP_ID}"
        encoding_aes_key = "{AES_KEY}"
        [logging]
        level = "WARNING"
    '''))
    print(f"server: waitress, {THREADS} threads, one process each; database: {args.db}; "
          f"{args.requests} AES messages per run; CPUs: {os.cpu_count()}")
    results = {}
    servers = {"echo": start(ECHO_APP, log=tmp / "echo.log"), "full": start(FULL_APP, str(cfg), log=tmp / "full.log")}
    try:
        for concurrency in (1, 32):
            for name, (_, port) in servers.items():
                # Fresh message ids for every run, so dedup never short-cuts the full stack.
                base = concurrency * 10_000_000
                load(port, build_requests(200, 200, base + 5_000_000), concurrency)  # warm-up
                rate, lat = load(port, build_requests(args.requests, 200, base), concurrency)
                results[(name, concurrency)] = (rate, pct(lat, 50), pct(lat, 99))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=10)
    print(f"{'handler':<8}{'conc':>5}{'msg/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for (name, conc), (rate, p50, p99) in results.items():
        print(f"{name:<8}{conc:>5}{rate:>10.0f}{p50:>9.1f}{p99:>9.1f}")
    ok = True
    for conc in (1, 32):
        ratio = results[("full", conc)][0] / results[("echo", conc)][0]
        print(f"concurrency {conc}: full stack throughput = {ratio:.0%} of echo")
        if conc == 32:
            ok = ratio >= 0.5 and results[("full", 32)][2] < 50
    print("targets (≥ 50 % of echo, p99 < 50 ms at 32):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
