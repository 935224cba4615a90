"""Fuzz the webhook through the real HTTP server: signed, mutated WeChat messages, and what became of them.

`hazardbot serve` (waitress, the embedded SQLite database, 安全 mode) runs in its own process. This process
sends --count requests from --threads threads: every documented message and event type from the bad-input
corpus (tests/corpus/wechat_messages.json), each with some fields mutated — huge, empty, non-numeric,
control characters, CDATA terminators, nested XML, NaN and out-of-range numbers, emoji, fields removed —
from a pool of senders that includes bound staff and an enterprise head, so flows are entered, not only
menus. Most are encrypted and signed as WeChat does; some have a broken envelope (bad base64, a wrong
msg_signature, truncated XML) or a plaintext body, which must be refused.

Printed: inputs per second, the count of each HTTP status, the requests that got a 5xx (must be none), the
server's logged failures (unexpected errors, engine failures: must be none), and SQLite's integrity_check
after the server stops.

    python bench/fuzz.py [--count 100000] [--threads 8] [--seed 1]
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from wechatpy.crypto import WeChatCrypto

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "wechat_messages.json"
TOKEN, AES_KEY, APP_ID = "fuzztoken", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a"
SENDERS = ["o_fuzz_staff", "o_fuzz_boss", *[f"o_fuzz_{i}" for i in range(40)]]
WORDS = ["菜单", "本月还差几条", "我要举报", "开始自查", "上报隐患", "整改进展", "1", "2", "3", "是", "否", "取消", "返回",
         "继续", "帮助", "跳过", "完成", "取回", "绑定", "查询举报 ABCD-EFGH-JKMN-PQRS-TVWX", "处理举报 JB-202612-0001 属实",
         "过期没整改的", "导出调度表", "6月30日", "30天内", "昨天", "3千元", "不知道", "登录后台", "解绑"]
NASTY = ["", " ", "\x00", "\x1b[2J", "]]>", "<![CDATA[x]]>", "<xml><a>1</a></xml>", "&amp;&lt;", "%s%n%x", "'; DROP TABLE x;--",
         "NaN", "inf", "-inf", "1e309", "-1", "0", "99999999999999999999", "18446744073709551616", "😀" * 50,
         "\u202e\u200b", "𠀀𠀁", "a" * 5000, "锅" * 3000, "\ud7ff", "null", "[]", "{}", "\\", "\n\n\n"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def to_xml(fields: dict[str, str], raw: set[str]) -> str:
    """Fields named in `raw` go in unescaped (nested XML in an identity field), the rest as CDATA."""
    return "<xml>" + "".join(f"<{k}>{v if k in raw else cdata(v)}</{k}>" for k, v in fields.items()) + "</xml>"


class Mutator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.bases = [entry["fields"] for entry in json.loads(CORPUS.read_text(encoding="utf-8")).values()
                      if isinstance(entry, dict) and "fields" in entry]

    def message(self) -> tuple[dict[str, str], set[str]]:
        rng = self.rng
        fields = {"ToUserName": "gh_fuzz", "FromUserName": rng.choice(SENDERS),
                  "CreateTime": str(int(time.time())), **dict(rng.choice(self.bases))}
        if fields.get("MsgType") == "text":
            fields["Content"] = rng.choice(WORDS)
        raw: set[str] = set()
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            key = rng.choice(list(fields))
            roll = rng.random()
            if roll < 0.15:
                del fields[key]
            elif roll < 0.25 and key in ("FromUserName", "ToUserName", "MsgType", "Event"):
                fields[key], _ = f"<a><b>{rng.choice(NASTY)}</b></a>", raw.add(key)
            elif roll < 0.6:
                fields[key] = rng.choice(NASTY)
            elif roll < 0.8:
                fields[key] = rng.choice(WORDS) + rng.choice(NASTY)
            else:
                fields[key] = "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(1, 60)))
        if "MsgId" in fields and rng.random() < 0.3:
            fields["MsgId"] = str(rng.randrange(1, 10**6))  # collisions: retries of other messages
        return fields, raw


class Sender:
    """Builds one request the way WeChat's server would (or a broken copy of one) and sends it."""

    def __init__(self, port: int, rng: random.Random) -> None:
        self.port, self.rng = port, rng
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, xml: str, user: str) -> tuple[str, bytes]:
        rng = self.rng
        ts, nonce = str(int(time.time())), str(rng.randrange(10**9, 10**10))
        query = {"timestamp": ts, "nonce": nonce, "openid": user, "signature": sign(TOKEN, ts, nonce)}
        roll = rng.random()
        if roll < 0.05:  # a plaintext body at an endpoint with an AES key: refused
            body = xml.encode("utf-8", "surrogatepass")
        else:
            encrypted = self.crypto.encrypt_message(xml, nonce, ts)
            envelope = encrypted.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
            if roll < 0.08:
                envelope = envelope[: rng.randrange(len(envelope))]  # truncated ciphertext
            elif roll < 0.10:
                envelope = base64.b64encode(os.urandom(rng.randrange(1, 300))).decode()  # another key's
            body = (f"<xml><ToUserName>{cdata('gh_fuzz')}</ToUserName><Encrypt>{cdata(envelope)}</Encrypt></xml>"
                    .encode())
            msg_signature = sign(TOKEN, ts, nonce, envelope)
            if 0.10 <= roll < 0.12:
                msg_signature = "0" * 40
            elif 0.12 <= roll < 0.13:
                body = body[: rng.randrange(len(body))]  # truncated XML
            query.update(encrypt_type="aes", msg_signature=msg_signature)
        path = "/wechat?" + urlencode(query)
        return path, body

    def send(self, path: str, body: bytes) -> int:
        for attempt in range(2):
            try:
                self.conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
                resp = self.conn.getresponse()
                resp.read()
                return resp.status
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    return -1
        return -1


def write_config(tmp: Path, port: int) -> Path:
    cfg = tmp / "config.toml"
    cfg.write_text(textwrap.dedent(f'''
        [server]
        instance_dir = "{tmp / 'instance'}"
        port = {port}
        simulator = false
        public_url = "https://fuzz.example.gov.cn"
        [database]
        url = "sqlite:///{tmp / 'instance' / 'hazardbot.sqlite3'}"
        [security]
        secret_key = "fuzz"
        [wechat]
        token = "{TOKEN}"
        app_id = "{APP_ID}"
        encoding_aes_key = "{AES_KEY}"
        [scheduler]
        embedded = false
        [logging]
        level = "WARNING"
    '''))
    return cfg


def seed(cfg: Path) -> None:
    """A town, an enterprise, its head and a staff member, so that bound flows are reached too."""
    code = textwrap.dedent('''
        import sys
        from storage.config import load_config
        from storage.db import migrate, make_engine, make_session_factory
        from storage.models import Enterprise, Person, Unit
        config = load_config(sys.argv[1])
        migrate(config.database.url)
        sessions = make_session_factory(make_engine(config.database.url))
        with sessions.begin() as s:
            town = Unit(name="青山湖镇", kind="town")
            s.add(town)
            s.flush()
            ent = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id)
            s.add(ent)
            s.flush()
            s.add_all([Person(channel="wechat", external_id="o_fuzz_staff", role="staff", unit_id=town.id),
                       Person(channel="wechat", external_id="o_fuzz_boss", role="enterprise_head", enterprise_id=ent.id)])
    ''')
    subprocess.run([sys.executable, "-c", code, str(cfg)], cwd=ROOT, check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hb-fuzz-"))
    port = free_port()
    cfg = write_config(tmp, port)
    seed(cfg)
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(cfg), "serve", "--threads", "16"],
                              cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                raise SystemExit((tmp / "server.log").read_text(errors="replace")[-3000:]) from None
            time.sleep(0.2)

    statuses: Counter[int] = Counter()
    failures: list[tuple[int, str]] = []
    lock = threading.Lock()
    per_thread = args.count // args.threads
    finished: list[float] = []

    def work(i: int) -> None:
        rng = random.Random(args.seed * 1000 + i)
        mutator, sender = Mutator(rng), Sender(port, rng)
        local: Counter[int] = Counter()
        for _ in range(per_thread):
            fields, raw = mutator.message()
            path, body = sender.request(to_xml(fields, raw), fields.get("FromUserName", ""))
            status = sender.send(path, body)
            local[status] += 1
            if status >= 500 or status < 0:
                with lock:
                    failures.append((status, json.dumps(fields, ensure_ascii=False)[:300]))
        with lock:
            statuses.update(local)
            finished.append(time.monotonic())

    began = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        threads[0].join(timeout=30)
        print(f"  … {time.monotonic() - began:.0f} s, {len(finished)}/{args.threads} threads done", file=sys.stderr)
    for t in threads:
        t.join()
    elapsed = max(finished) - began
    server.terminate()
    server.wait(timeout=60)
    log.close()
    logged = (tmp / "server.log").read_text(errors="replace")
    logged_failures = [line for line in logged.splitlines()
                       if "unexpected error" in line or "engine failed" in line or "Traceback" in line]
    with sqlite3.connect(tmp / "instance" / "hazardbot.sqlite3") as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        answered = db.execute("SELECT count(*) FROM processed_messages").fetchone()[0]

    total = sum(statuses.values())
    print(f"{total} requests in {elapsed:.1f} s: {total / elapsed:.0f} inputs/s ({args.threads} client threads, "
          f"seed {args.seed})")
    print("HTTP status counts: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    print(f"5xx or no answer: {len(failures)}")
    for status, fields in failures[:10]:
        print(f"  {status}: {fields}")
    print(f"server log: {len(logged_failures)} failures logged")
    for line in logged_failures[:10]:
        print(f"  {line[:200]}")
    print(f"messages with a stored answer: {answered}; SQLite integrity_check: {integrity}")
    print(f"(server files in {tmp})")
    return 0 if not failures and not logged_failures and integrity == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
