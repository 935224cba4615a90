"""Start-up checks that explain themselves: one line in Chinese for the operator, never a traceback.

Run before anything else does its work: a second `serve` on a busy port must stop before it migrates the
database or sweeps reminders against it; an unreachable or unsupported database is named (password hidden)
with what to check, instead of a driver's hundred-line traceback.
"""
from __future__ import annotations

import errno
import socket
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from storage.config import Config

# What the code relies on: PostgreSQL's data-modifying CTEs and SKIP LOCKED (9.5) are old; 12 is the
# oldest release still used in the supported distributions we test on. SQLite needs RETURNING (3.35).
MIN_POSTGRESQL = (12,)
MIN_SQLITE = (3, 35)
SUPPORTED = "sqlite:///路径 或 postgresql+psycopg://用户:密码@主机:5432/库名"


class StartupError(Exception):
    """A reason not to start, already worded for the operator (Chinese, one line)."""


def safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "（无法解析的地址）"


def check_port(host: str, port: int) -> None:
    """Refuse to start when the port is taken: checked before the database is touched."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the server will bind: SO_REUSEADDR lets a port in TIME_WAIT be reused, not one being listened on.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StartupError(f"端口 {host}:{port} 已被占用（可能另一个 hazardbot serve 正在运行）："
                                   "请先停止它，或用 --port 换一个端口。未做任何改动。") from None
            if exc.errno == errno.EACCES:
                raise StartupError(f"没有权限监听 {host}:{port}（1024 以下的端口需要 root）：请换一个端口，"
                                   "或放在 nginx 后面。") from None
            raise StartupError(f"无法监听 {host}:{port}：{exc.strerror}。请检查 server.host。") from None


def check_database(url: str) -> None:
    """The URL names a database we support, its driver is installed, and it answers."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StartupError(f"database.url 不是有效的数据库地址：{url!r}。应为 {SUPPORTED}。") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StartupError(f"不支持的数据库「{backend}」（database.url = {safe_url(url)}）。支持：{SUPPORTED}。")
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise StartupError(f"PostgreSQL 请用 psycopg 驱动：postgresql+psycopg://…（现在是 {parsed.drivername}）。")
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:" \
            and not parsed.database.startswith("file:"):
        try:  # as storage.db.make_engine does: the embedded default runs from a fresh clone
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StartupError(f"无法创建数据库目录 {Path(parsed.database).parent}：{exc.strerror}。") from None
    try:
        engine = create_engine(parsed, hide_parameters=True)
    except (NoSuchModuleError, ImportError):
        raise StartupError("没有安装 PostgreSQL 驱动：pip install 'hazardbot[postgres]'（即 psycopg）。") from None
    try:
        with engine.connect() as conn:
            if backend == "postgresql":
                version = engine.dialect.server_version_info or (0,)
                if tuple(version[:1]) < MIN_POSTGRESQL:
                    raise StartupError(f"PostgreSQL 版本 {'.'.join(map(str, version))} 太旧，"
                                       f"至少需要 {MIN_POSTGRESQL[0]}。")
            else:
                found = str(conn.execute(text("select sqlite_version()")).scalar_one())
                if tuple(int(p) for p in found.split(".")[:2]) < MIN_SQLITE:
                    raise StartupError(f"SQLite 版本 {found} 太旧，至少需要 3.35（RETURNING）。")
    except DBAPIError as exc:
        raise StartupError(f"无法连接数据库 {safe_url(url)}：{_first_line(exc)}。"
                           f"{_hint(backend, exc)}") from None
    finally:
        engine.dispose()


def _first_line(exc: DBAPIError) -> str:
    words = str(exc.orig).strip().splitlines()
    return (words[0] if words else type(exc.orig).__name__)[:200]


def _hint(backend: str, exc: DBAPIError) -> str:
    said = str(exc.orig).lower()
    if backend == "sqlite":
        return "请检查文件路径和目录权限。"
    if "password" in said or "authentication" in said:
        return "请检查用户名和密码。"
    if "does not exist" in said:
        return "请先创建数据库（createdb），再运行 hazardbot init。"
    return "请确认 PostgreSQL 已启动，主机、端口和防火墙设置正确。"


def check_shared_state(config: Config) -> None:
    """Several worker processes share what must never reach a file only through Redis: an anonymous tip's
    draft, and the signed requests already seen. Without it each worker would hold its own, and a tip would
    lose its draft whenever the next message landed on another worker."""
    if not config.redis.url:
        raise StartupError("多进程部署（gunicorn）需要 Redis：匿名举报的草稿和防重放记录只保存在 Redis 或单个进程的"
                           "内存里，绝不写入数据库。请配置 [redis] url；只用一个进程时请改用 hazardbot serve。")


def warnings(config: Config) -> list[str]:
    """What an operator must hear at start-up, though it does not stop the start (one line each)."""
    out = []
    if config.wechat.token and not config.wechat.encoding_aes_key:
        out.append("警告：公众号回调是明文模式——看到过一次回调网址的人，就能以任何用户（包括工作人员）的身份发消息。"
                   "请在公众号后台改为安全模式，并配置 [wechat] encoding_aes_key。")
    if not config.server.public_url:
        out.append("警告：没有设置 server.public_url。聊天里发出的登录链接和下载链接会指向 "
                   f"http://{config.server.host}:{config.server.port}，只能在本机打开；请设为手机能访问的地址。")
    if config.simulator_on and not config.embedded_database:
        out.append("提示：网页模拟器已开启（需要 server.simulator_token），生产环境用完请关闭。")
    return out
