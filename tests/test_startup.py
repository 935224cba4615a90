"""Start-up that explains itself: each reason not to start is one line in Chinese, with no traceback, and a
`serve` on a busy port stops before it touches the database."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest


def hazardbot(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())",
                           "--config", str(config), *args], capture_output=True, text=True, timeout=timeout)


def config_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[server]\ninstance_dir = "{tmp_path / "instance"}"\n' + body, encoding="utf-8")
    return path


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_busy_port_stops_serve_before_anything_runs(tmp_path):
    db = tmp_path / "hb.sqlite3"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = config_file(tmp_path, f'port = {port}\n[database]\nurl = "sqlite:///{db}"\n')
        line = one_line(hazardbot(config, "serve"))
    assert line.startswith("无法启动：端口 127.0.0.1:") and "已被占用" in line
    assert "已启动" not in line
    assert not db.exists()  # not migrated, so nothing was swept either


@pytest.mark.parametrize("url, said", [
    ("postgresql+psycopg://hb@127.0.0.1:1/hazardbot", "无法连接数据库 postgresql+psycopg://hb@127.0.0.1:1/hazardbot"),
    ("postgresql+psycopg://hb:secret@127.0.0.1:1/hazardbot", "hb:***@127.0.0.1"),
    ("mysql://root@127.0.0.1/hazardbot", "不支持的数据库「mysql」"),
    ("postgresql+psycopg2://hb@127.0.0.1/hazardbot", "请用 psycopg 驱动"),
    ("not a url", "不是有效的数据库地址"),
])
def test_an_unreachable_or_unsupported_database_is_one_line(tmp_path, url, said):
    config = config_file(tmp_path, f'[database]\nurl = "{url}"\n')
    for command in (["init"], ["invite", "--role", "admin"]):
        line = one_line(hazardbot(config, *command))
        assert said in line, line
        assert "secret" not in line


def test_a_misspelt_section_or_key_is_named_with_the_one_meant(tmp_path):
    line = one_line(hazardbot(config_file(tmp_path, '[databse]\nurl = "sqlite://"\n'), "init"))
    assert line.startswith("配置错误：配置文件里没有「databse」（是不是「database」？）这一节")
    line = one_line(hazardbot(config_file(tmp_path, '[scheduler]\nper_minut = 3\n'), "init"))
    assert line.startswith("配置错误：[scheduler] 里没有「per_minut」（是不是「per_minute」？）这一项")


def test_operator_commands_do_not_load_the_recogniser_or_the_channels(tmp_path):
    """What makes `invite`, `import` and `export` start fast (bench/startup.py measures how fast)."""
    config = config_file(tmp_path, f'[database]\nurl = "sqlite:///{tmp_path / "hb.sqlite3"}"\n')
    assert hazardbot(config, "init").returncode == 0
    units = tmp_path / "units.csv"
    units.write_text("单位名称,类型\n青山湖镇,乡镇\n", encoding="utf-8")
    probe = ("import sys; from bot.cli import main; code = main(sys.argv[1:]); "
             "print(sorted(m for m in ('jieba', 'wechatpy', 'handlers.nlu', 'alembic', 'flask') if m in sys.modules))")
    for command in (["invite", "--role", "admin"], ["import", "units", str(units)], ["export", "hazards"]):
        out = subprocess.run([sys.executable, "-c", probe, "--config", str(config), *command],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().splitlines()[-1] == "[]", (command, out.stdout)


def test_backup_copies_a_live_sqlite_database_and_refuses_postgresql(tmp_path):
    import sqlite3

    db = tmp_path / "hb.sqlite3"
    config = config_file(tmp_path, f'[database]\nurl = "sqlite:///{db}"\n')
    assert hazardbot(config, "init").returncode == 0
    assert hazardbot(config, "invite", "--role", "admin").returncode == 0
    out = hazardbot(config, "backup", str(tmp_path / "copy.sqlite3"))
    assert out.returncode == 0 and "完整性检查通过" in out.stdout, out.stderr
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    assert copy.execute("select count(*) from invite_codes").fetchone()[0] == 1
    copy.close()
    assert "不会覆盖" in one_line(hazardbot(config, "backup", str(tmp_path / "copy.sqlite3")))
    pg = config_file(tmp_path, '[database]\nurl = "postgresql+psycopg://hb@127.0.0.1:1/x"\n')
    assert "pg_dump" in one_line(hazardbot(pg, "backup", str(tmp_path / "x.dump")))
