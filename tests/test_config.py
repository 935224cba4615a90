from __future__ import annotations

import tomllib
from dataclasses import is_dataclass
from pathlib import Path

import pytest

from bot.app import check_channel_keys
from storage.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_parses_and_documents_every_key():
    config = load_config(ROOT / "config.example.toml")
    assert config.database.url.startswith("sqlite:///") and config.simulator_on is True
    text = (ROOT / "config.example.toml").read_text()
    data = tomllib.loads(text)
    defaults = parse_config({})
    for section, values in data.items():
        if section == "quotas":
            assert [vars(q) for q in defaults.quotas] == [{**{"units": [], "source": ""}, **q} for q in values]
            continue
        for key in values:
            default = getattr(getattr(defaults, section), key)
            if isinstance(default, list) and default and is_dataclass(default[0]):  # [[campaign.phases]]
                default = [vars(item) for item in default]
            assert default == values[key], f"{section}.{key} differs from default"
    for section in ("server", "database", "redis", "security", "wechat", "wecom", "campaign", "selfcheck", "tips", "ledger", "scheduler", "logging"):
        for key in vars(getattr(defaults, section)):
            assert key in data.get(section, {}), f"config.example.toml does not document {section}.{key}"


def test_unknown_keys_and_wrong_types_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="没有「"):
        parse_config({"server": {"prot": 1}})
    # A misspelt section or key is named, with the one that was meant.
    with pytest.raises(ConfigError, match="^配置文件里没有「databse」（是不是「database」？）这一节"):
        parse_config({"databse": {"url": "sqlite://"}})
    with pytest.raises(ConfigError, match=r"^\[database\] 里没有「ulr」（是不是「url」？）这一项"):
        parse_config({"database": {"ulr": "sqlite://"}})
    with pytest.raises(ConfigError, match="server.port 应为整数"):
        parse_config({"server": {"port": "80"}})
    # Read by 本月统计, the dispatch table and its download links: refused at start, not mid-conversation.
    with pytest.raises(ConfigError, match="campaign.start_date 应为 YYYY-MM-DD"):
        parse_config({"campaign": {"start_date": "2026/05/01"}})
    bad = tmp_path / "c.toml"
    bad.write_text("[server\n")
    with pytest.raises(ConfigError):
        load_config(bad)
    with pytest.raises(ConfigError, match="找不到配置文件"):
        load_config(tmp_path / "nope.toml")


def test_env_var_selects_the_file(tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text("[server]\nport = 9999\n")
    monkeypatch.setenv("HAZARDBOT_CONFIG", str(path))
    assert load_config().server.port == 9999


def test_bad_aes_key_refuses_to_start():
    with pytest.raises(ConfigError, match="43-character"):
        check_channel_keys(parse_config({"wechat": {"token": "t", "encoding_aes_key": "short"}}))


def test_generated_secret_key_is_stable(tmp_path):
    config = parse_config({"server": {"instance_dir": str(tmp_path)}})
    assert config.secret_key() == config.secret_key() and len(config.secret_key()) == 64


def test_festival_days_are_checked_and_read_deadlines(tmp_path):
    from datetime import date

    from bot.services import build_services

    with pytest.raises(ConfigError, match="scheduler.festivals 的「圣诞」不认识"):
        parse_config({"scheduler": {"festivals": {"圣诞": ["2026-12-25"]}}})
    with pytest.raises(ConfigError, match="scheduler.festivals.春节 里的「2033/01/31」应为 YYYY-MM-DD"):
        parse_config({"scheduler": {"festivals": {"春节": ["2033/01/31"]}}})
    config = parse_config({"database": {"url": f"sqlite:///{tmp_path / 'f.db'}"},
                           "scheduler": {"festivals": {"春节": ["2033-01-31"]}}})
    services = build_services(config)
    try:
        # Beyond the built-in years: 春节前 is the eve of the configured day; without it, no day at all.
        assert services.nlu.recognize("春节前整改完", today=date(2032, 12, 1)).entities.dates == (date(2033, 1, 30),)
        from handlers.nlu import parse_date

        assert parse_date("春节前", date(2032, 12, 1)) is None
    finally:
        services.close()
