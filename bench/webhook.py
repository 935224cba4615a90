"""Webhook throughput and latency: the full stack against a bare Flask + wechatpy echo handler.

Both run under the same server in their own processes: gunicorn with the deployment's settings
(`bot/gunicorn_conf.py`: gthread, one worker per core pinned to it, 8 threads each; `--threads` changes
that) or, with --server waitress, waitress (16 threads, one process: what `hazardbot serve` runs). Each message is a WeChat 安全-mode (AES) text message, signed and
encrypted as the WeChat server does. The full stack decrypts, dedups, loads the person and the
conversation, runs the engine (intent recognition, a flow that writes conversation state), records the
dedup row and answers with an encrypted reply. The echo baseline decrypts, parses and encrypts an echo.

The load comes from this process over keep-alive connections driven by asyncio in one thread, so a
response is timed when it arrives, not when one of 32 client threads next gets the interpreter. The two
servers take turns, round after round, and each figure is the median round: the machine is shared.

With --compare REV the previous release (REV, taken from git into a temporary directory) is served beside
them on a database of its own, and takes its turn in every round: "this code against the last" measured in
one run, on the same noisy machine.

    python bench/webhook.py [--requests 2000] [--rounds 3] [--db sqlite|postgresql] [--server gunicorn|waitress]
                            [--compare REV]
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import xmltodict
from wechatpy.crypto import WeChatCrypto

ROOT = Path(__file__).resolve().parent.parent
TOKEN, AES_KEY, APP_ID = "benchtoken", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a"
REDIS_URL = os.environ.get("HAZARDBOT_BENCH_REDIS", "redis://127.0.0.1:6379/15")  # several workers need Redis (bot.wsgi)
WAITRESS_THREADS = 16

ECHO_APP = textwrap.dedent(f'''
    from flask import Flask, request, Response
    from wechatpy import parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.replies import TextReply
    from wechatpy.utils import check_signature
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
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(module: str, server: str, workers: int, threads: int, tmp: Path,
          env: dict[str, str], code: Path = ROOT, label: str = "") -> tuple[subprocess.Popen[bytes], int]:
    """Serve `module`:app and wait until it answers; the server's log goes to a file (an unread pipe blocks it)."""
    port = free_port()
    if server == "gunicorn":
        # The deployment's settings (bot/gunicorn_conf.py: gthread, a worker per core pinned to it) for both.
        cmd = [sys.executable, "-m", "gunicorn", "-c", "python:bot.gunicorn_conf", "-w", str(workers),
               "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
               f"{module}:app"]
    else:
        cmd = [sys.executable, "-c", f"from waitress import serve; from {module} import app; "
               f"serve(app, host='127.0.0.1', port={port}, threads={threads}, _quiet=True)"]
    log = tmp / f"{label or module.replace('.', '_')}.log"
    proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
                            env={**os.environ, **env, "PYTHONPATH": f"{tmp}{os.pathsep}{code}"})
    probe = build_requests(1, 1, 999_999_999 + port)[0]
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server failed to start:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            # Several connections at once, so that more than the first worker to boot is likely up.
            asyncio.run(_load(port, [probe] * workers * 4, workers * 2))
            return proc, port
        except (OSError, SystemExit, asyncio.IncompleteReadError):
            time.sleep(0.3)
    raise SystemExit("server did not start within 90 s")


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
        nonce = str(id_base + i)  # never the same (timestamp, nonce) for two bodies: the replay guard refuses that
        enc = xmltodict.parse(crypto.encrypt_message(xml, nonce, ts))["xml"]
        body = f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{enc['Encrypt']}]]></Encrypt></xml>"
        path = (f"/wechat?signature={sign(TOKEN, ts, nonce)}&timestamp={ts}&nonce={nonce}"
                f"&openid={user}&encrypt_type=aes&msg_signature={enc['MsgSignature']}")
        out.append((path, body.encode()))
    return out


async def _load(port: int, requests: list[tuple[str, bytes]], concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    errors: list[str] = []
    todo = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for path, body in todo:
            head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            t0 = time.perf_counter()
            writer.write(head + body)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            data = await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if b" 200 " not in status or b"<Encrypt>" not in data:
                errors.append(f"{status!r} {data[:80]!r}")
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"{len(errors)} bad responses, e.g. {errors[0]}")
    return len(requests) / elapsed, latencies


def load(port: int, requests: list[tuple[str, bytes]], concurrency: int) -> tuple[float, list[float]]:
    """Send every request once, `concurrency` at a time; messages/s and per-request latencies (s)."""
    return asyncio.run(_load(port, requests, concurrency))


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] * 1000 if len(values) > 1 else values[0] * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=2000, help="messages per run (default 2000)")
    ap.add_argument("--rounds", type=int, default=3, help="runs per server and concurrency (default 3)")
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                    help="a server where the benchmark may create its own database")
    ap.add_argument("--server", choices=["gunicorn", "waitress"], default="gunicorn")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers (default: cores)")
    ap.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (default 8)")
    ap.add_argument("--compare", metavar="REV", help="also serve this git revision (the previous release)")
    args = ap.parse_args()
    workers = args.workers if args.server == "gunicorn" else 1

    tmp = Path(tempfile.mkdtemp(prefix="hb-bench-"))
    (tmp / "echo_app.py").write_text(ECHO_APP)
    sys.path.insert(0, str(ROOT))
    threads = args.threads if args.server == "gunicorn" else WAITRESS_THREADS
    print(f"server: {args.server}, {workers} process(es) x {threads} threads each; database: {args.db}; "
          f"{args.requests} AES messages per run, {args.rounds} rounds; CPUs: {os.cpu_count()}")
    cfg = write_config(tmp, "current", database_url(args, tmp, "current"))
    migrate_with(ROOT, cfg)  # as `hazardbot init` does before a deployment starts its workers
    servers = {"echo": start("echo_app", args.server, workers, threads, tmp, {"HAZARDBOT_CONFIG": str(cfg)}),
               "full": start("bot.wsgi", args.server, workers, threads, tmp, {"HAZARDBOT_CONFIG": str(cfg)})}
    if args.compare:
        previous = checkout(args.compare, tmp / "previous")
        prev_cfg = write_config(tmp, "previous", database_url(args, tmp, "previous"))
        migrate_with(previous, prev_cfg)
        servers["previous"] = start("bot.wsgi", args.server, workers, threads, tmp,
                                    {"HAZARDBOT_CONFIG": str(prev_cfg)}, code=previous, label="previous")
        print(f"previous release: {args.compare} served from {previous}")
    runs: dict[tuple[str, int], list[tuple[float, list[float]]]] = {}
    try:
        serial = 0
        for concurrency in (1, 32):
            for _ in range(args.rounds):
                for name, (_, port) in servers.items():
                    # Fresh message ids for every run, so dedup never short-cuts the full stack.
                    serial += 1
                    load(port, build_requests(200, 200, serial * 10_000_000 + 5_000_000), concurrency)  # warm-up
                    runs.setdefault((name, concurrency), []).append(
                        load(port, build_requests(args.requests, 200, serial * 10_000_000), concurrency))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=20)
    results = {}
    for key, rounds in runs.items():
        rate, lat = sorted(rounds, key=lambda r: r[0])[len(rounds) // 2]
        results[key] = (rate, pct(lat, 50), pct(lat, 99), [r for r, _ in rounds])
    print(f"{'handler':<8}{'conc':>5}{'msg/s':>10}{'p50 ms':>9}{'p99 ms':>9}   msg/s of each round")
    for (name, conc), (rate, p50, p99, each) in results.items():
        print(f"{name:<8}{conc:>5}{rate:>10.0f}{p50:>9.1f}{p99:>9.1f}   {' '.join(f'{r:.0f}' for r in each)}")
    for conc in (1, 32):
        full, echo = results[("full", conc)], results[("echo", conc)]
        print(f"concurrency {conc}: full stack throughput = {full[0] / echo[0]:.0%} of echo, "
              f"p99 = {full[2] / echo[2]:.1f}x echo's")
    full32, echo32 = results[("full", 32)], results[("echo", 32)]
    if "previous" in servers:
        for conc in (1, 32):
            prev, full, echo = results[("previous", conc)], results[("full", conc)], results[("echo", conc)]
            print(f"concurrency {conc}: previous release = {prev[0] / echo[0]:.0%} of echo (p99 {prev[2]:.1f} ms), "
                  f"this code = {full[0] / echo[0]:.0%} (p99 {full[2]:.1f} ms): "
                  f"{full[0] / prev[0]:.2f}x the previous release's throughput")
    share, p99_bound = (0.40, 100) if args.db == "postgresql" else (0.50, 50)
    print(f"target throughput ≥ {share:.0%} of echo at 32: {'met' if full32[0] >= share * echo32[0] else 'NOT met'}; "
          f"p99 < {p99_bound} ms at 32: {'met' if full32[2] < p99_bound else 'NOT met'} "
          f"(queueing alone: 32 in flight at {full32[0]:.0f} msg/s wait {32 / full32[0] * 1000:.0f} ms on average)")
    return 0


def database_url(args: argparse.Namespace, tmp: Path, name: str) -> str:
    """A database of its own for each served version; on PostgreSQL named after this run, dropped and made anew."""
    if args.db == "sqlite":
        return f"sqlite:///{tmp / name / 'bench.sqlite3'}"
    sys.path.insert(0, str(ROOT / "bench"))
    from queries import fresh_pg

    return fresh_pg(args.pg_url, f"hb_bench_webhook_{name}_{os.getpid()}")


def write_config(tmp: Path, name: str, db_url: str) -> Path:
    (tmp / name).mkdir(exist_ok=True)
    cfg = tmp / name / "config.toml"
    cfg.write_text(textwrap.dedent(f'''
        [server]
        instance_dir = "{tmp / name / 'instance'}"
        simulator = false
        [database]
        url = "{db_url}"
        [security]
        secret_key = "bench"
        [wechat]
        token = "{TOKEN}"
        app_id = "{APP_ID}"
        encoding_aes_key = "{AES_KEY}"
        [scheduler]
        embedded = false
        [logging]
        level = "WARNING"
        [redis]
        url = "{REDIS_URL}"
        prefix = "hb-bench-{os.getpid()}-{name}:"
    '''))
    return cfg


def checkout(rev: str, into: Path) -> Path:
    """The code of `rev` (the project's packages as committed), unpacked from git into `into`."""
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "bot", "handlers", "storage", "scheduler"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def migrate_with(code: Path, cfg: Path) -> None:
    """Migrate with that version's own migrations, in a process that imports that version's code."""
    out = subprocess.run([sys.executable, "-c", "import bot, sys; from storage.config import load_config; "
                          "from storage.db import migrate; migrate(load_config().database.url); print(bot.__file__)"],
                         env={**os.environ, "PYTHONPATH": str(code), "HAZARDBOT_CONFIG": str(cfg)},
                         capture_output=True, text=True, check=True, cwd=cfg.parent).stdout
    if not out.strip().startswith(str(code)):
        raise SystemExit(f"{code} did not shadow the installed package: {out}")


if __name__ == "__main__":
    sys.exit(main())
