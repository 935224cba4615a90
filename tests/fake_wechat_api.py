"""A stand-in for WeChat's API on loopback, so wechatpy's clients are exercised over real HTTP."""
from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlparse

from PIL import Image


def jpeg_with_gps() -> bytes:
    """A real JPEG whose EXIF names a place and a phone, as a photo straight from a camera does."""
    img = Image.new("RGB", (64, 48), (200, 60, 40))
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"  # Make
    exif[0x0110] = "WHISTLE-PHONE-SN123"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (28.0, 41.0, 12.5)
    gps[3], gps[4] = "E", (115.0, 52.0, 3.25)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


class FakeWeChatAPI:
    def __init__(self) -> None:
        self.media: dict[str, bytes] = {}
        self.calls: list[str] = []
        self.sent: list[dict] = []  # accepted message sends: {"path", "body"}
        self.errors: dict[str, list[int]] = {}  # path suffix -> errcodes to answer, one per call
        self.token_fetches = 0
        self.token_delay = 0.0
        self.latency = 0.0  # seconds each message send takes, as WeChat's 50-200 ms do
        self.in_flight = 0
        self.max_in_flight = 0  # the most sends being answered at once
        self.dropped_duplicates: list[dict] = []  # WeCom sends its duplicate check dropped
        # Called in the server's thread once a send is accepted (or a token is about to be handed out):
        # a test blocks there to hold the caller mid-request, e.g. while it kills the caller.
        self.on_send: Callable[[dict], None] | None = None
        self.on_token: Callable[[], None] | None = None
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                api.calls.append(url.path)
                if url.path.endswith("/token") or url.path.endswith("/gettoken"):
                    with api.lock:
                        api.token_fetches += 1
                        token = f"TOKEN-{api.token_fetches}"
                    if api.on_token is not None:
                        api.on_token()
                    time.sleep(api.token_delay)  # a slow token server widens the race the lock must close
                    return self._json({"access_token": token, "expires_in": 7200})
                if url.path.endswith("/media/get"):
                    data = api.media.get(q.get("media_id", ""))
                    if data is None:
                        return self._json({"errcode": 40007, "errmsg": "invalid media_id"})
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return None
                return self._json({"errcode": 404, "errmsg": "unknown"})

            def do_POST(self):  # noqa: N802
                url = urlparse(self.path)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                api.calls.append(url.path)
                for suffix, codes in api.errors.items():
                    if url.path.endswith(suffix) and codes:
                        code = codes.pop(0)
                        return self._json({"errcode": code, "errmsg": f"fake error {code}"})
                with api.lock:
                    api.in_flight += 1
                    api.max_in_flight = max(api.max_in_flight, api.in_flight)
                if api.latency:
                    time.sleep(api.latency)
                with api.lock:
                    api.in_flight -= 1
                entry = {"path": url.path, "body": body, "at": time.monotonic()}
                with api.lock:
                    if api._duplicate(entry):
                        # WeCom answers ok and delivers nothing (its documented enable_duplicate_check).
                        api.dropped_duplicates.append(entry)
                        return self._json({"errcode": 0, "errmsg": "ok", "msgid": "dup"})
                    api.sent.append(entry)
                    msgid = len(api.sent)
                if api.on_send is not None:
                    api.on_send(entry)
                return self._json({"errcode": 0, "errmsg": "ok", "msgid": msgid})

            def _json(self, obj):
                body = json.dumps(obj).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # many senders connect at once; the default backlog of 5 resets them
            daemon_threads = True

        Handler.protocol_version = "HTTP/1.1"  # keep-alive, as WeChat's servers
        # Headers and body leave in two writes: with Nagle's algorithm the body waits for the client's delayed
        # ACK of the headers, 40 ms on Linux, a latency WeChat's servers do not add.
        Handler.disable_nagle_algorithm = True
        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _duplicate(self, entry: dict) -> bool:
        body = entry["body"]
        if not body.get("enable_duplicate_check"):
            return False
        window = float(body.get("duplicate_check_interval", 1800))
        return any(e["body"].get("touser") == body.get("touser") and e["body"].get("text") == body.get("text")
                   and entry["at"] - e["at"] < window for e in self.sent)

    def texts(self) -> list[str]:
        """The text of every delivered message, whichever API carried it."""
        out = []
        for e in self.sent:
            b = e["body"]
            out.append(b["text"]["content"] if "text" in b else b.get("data", {}).get("keyword1", {}).get("value", ""))
        return out

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"

    def __enter__(self) -> "FakeWeChatAPI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
