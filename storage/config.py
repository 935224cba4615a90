"""Configuration: one TOML file, read with tomllib into typed dataclasses.

Every key has a default so that an empty file runs the embedded default (SQLite + simulator).
Unknown keys are an error: a typo in a production config must not silently fall back to a default.
"""
from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import templates as template_specs
from .config_build import ConfigError, build
from .templates import TemplateSpec

ENV_VAR = "HAZARDBOT_CONFIG"


# What scheduler.festivals may name (the lunar holidays the deadline reader knows).
FESTIVAL_NAMES = ("春节", "元宵", "清明", "端午", "中秋")


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    # The web simulator talks to the engine as any user id with no credential. "auto": on with the embedded
    # SQLite database only; true / false. Switched on with another database, it needs simulator_token.
    simulator: bool | str = "auto"
    simulator_token: str = ""
    # WeChat gives up after 5 s and retries; answer passively only if the engine finished before this.
    reply_timeout: float = 4.0
    # A signed callback whose timestamp is further than this from now is refused (a replayed capture).
    signature_window_seconds: int = 300
    instance_dir: str = "instance"
    max_body_bytes: int = 1024 * 1024
    # The address people's phones reach this server at, for download links in chat ("https://aq.example.gov.cn").
    # Empty: http://host:port, which only this machine (and its simulator) can open.
    public_url: str = ""
    # How long a download link sent in chat stays valid.
    download_hours: int = 24


@dataclass
class DatabaseConfig:
    url: str = "sqlite:///instance/hazardbot.sqlite3"
    echo: bool = False
    # Seconds to wait for a PostgreSQL connection (libpq takes 2 as its least): a server that does not answer
    # costs the first message this long; the ones after it are answered 系统维护中 at once (storage.failures).
    connect_timeout: int = 2


@dataclass
class RedisConfig:
    # Empty: dedup-in-flight markers, rate limits and token cache stay in this process (embedded default).
    url: str = ""
    # Every key the app writes starts with this, so deployments (or test runs) sharing one Redis never collide.
    prefix: str = "hazardbot:"


@dataclass
class SecurityConfig:
    # Empty: a random key is generated once and kept in <instance_dir>/secret_key.
    secret_key: str = ""
    invite_ttl_days: int = 7
    bind_max_failures: int = 5
    bind_window_minutes: int = 15
    # Wrong invite codes the whole deployment tolerates in an hour, whoever sends them (a guesser has as many
    # ids as it likes); past it binding waits for the hour to end, and the admins are told once.
    bind_failures_per_hour: int = 200


@dataclass
class WechatConfig:
    token: str = ""
    app_id: str = ""
    app_secret: str = ""
    # Empty: 明文 mode. Set: 兼容 and 安全 modes are both accepted.
    encoding_aes_key: str = ""
    api_base_url: str = ""


@dataclass
class WecomConfig:
    corp_id: str = ""
    agent_id: str = ""
    secret: str = ""
    token: str = ""
    encoding_aes_key: str = ""
    api_base_url: str = ""


@dataclass
class CampaignPhase:
    """A stage of the campaign; enterprise heads are told on its first day."""

    name: str
    start: str  # MM-DD (every year) or YYYY-MM-DD (that year only)
    text: str  # what enterprises should do now


def _default_phases() -> list[CampaignPhase]:
    # The plan's four stages [000 三]: May, June–July, August–November, December.
    return [
        CampaignPhase("动员部署", "05-01", "请组织学习本行业领域重大事故隐患判定标准，部署本企业排查整治。"),
        CampaignPhase("企业自查自改和部门帮扶", "06-01",
                      "请对照判定标准全面自查自改，建立重大事故隐患台账；发送「开始自查」填写。"),
        CampaignPhase("部门精准执法", "08-01", "相关部门将深入企业开展精准执法检查，请确保发现的隐患按期整改、闭环销号。"),
        CampaignPhase("总结提高", "12-01", "请在年底前完成剩余隐患整改销号，总结本企业排查整治做法。"),
    ]


@dataclass
class CampaignConfig:
    name: str = "重大事故隐患专项排查整治"
    # How the dispatch table's title names the whole jurisdiction: 全区, 全县, 全市.
    region: str = "全区"
    # The campaign's first day (YYYY-MM-DD): "since the campaign began" figures count from here. Empty: all records.
    start_date: str = ""
    timezone: str = "Asia/Shanghai"
    # The dispatch table's forms (调度表): district (000 附件1; departments fill two of its sections), county
    # (002: towns and the jurisdiction on 附件3, departments on 附件4) or department (002 附件4 only).
    layout: str = "district"
    phases: list[CampaignPhase] = field(default_factory=_default_phases)

    @property
    def start_day(self) -> date | None:
        """start_date as a day (checked when the config is read); None: count every record."""
        return date.fromisoformat(self.start_date) if self.start_date else None


def _default_banks() -> dict[str, list[str]]:
    return {
        "危险化学品": ["weihua", "fire"],
        "烟花爆竹": ["fireworks", "fire"],
        "工贸": ["gongmao", "fire"],
        "城镇燃气": ["gas", "fire"],
        "房屋市政工程": ["construction"],
        "自建房": ["fire"],
        "文化旅游": ["fire"],
        "校园": ["fire"],
        "消防": ["fire"],
    }


@dataclass
class SelfCheckConfig:
    # Banks every enterprise answers, before its industry's banks.
    always: list[str] = field(default_factory=lambda: ["campaign"])
    # Industry → the banks of its 重大事故隐患判定标准; industries not listed get only `always`.
    banks: dict[str, list[str]] = field(default_factory=_default_banks)
    # 高危行业 check monthly, others quarterly.
    high_risk_period: str = "month"
    other_period: str = "quarter"
    # A folder of checklist banks (TOML) to use instead of the shipped ones. Empty: the shipped banks.
    checklists_dir: str = ""
    # A hazard found by a self-check whose 五落实 were left for later ("稍后补充") is reminded after this many days.
    five_measures_days: int = 3

    def banks_for(self, industry: str) -> list[str]:
        """The banks an enterprise of this industry answers, in order."""
        return list(self.always) + [b for b in self.banks.get(industry, []) if b not in self.always]

    def combinations(self) -> list[list[str]]:
        """The bank lists enterprises get, one per industry (and `always` alone, for industries not listed)."""
        return [list(self.always)] + [self.banks_for(industry) for industry in self.banks]


def _templates(raw: Any) -> dict[str, TemplateSpec]:
    """[scheduler.templates]: every rule's template checked against WeChat's rules, all problems at once."""
    if not isinstance(raw, dict):
        raise ConfigError("「scheduler.templates」应当是一节（[scheduler.templates]）")
    specs: dict[str, TemplateSpec] = {}
    problems: list[str] = []
    for rule, value in raw.items():
        spec, wrong = template_specs.parse(rule, value)
        problems += wrong
        if spec is not None:
            specs[rule] = spec
    if problems:
        raise ConfigError("；".join(problems))
    return specs


@dataclass
class SchedulerConfig:
    # true: the scheduler runs inside `hazardbot serve` (one process). Production with several web workers:
    # false, and run `hazardbot scheduler` as its own process.
    embedded: bool = True
    sweep_minutes: int = 15
    deliver_seconds: int = 30
    # Reminders are due at this local hour; none goes out in quiet hours (replies to a person still do).
    send_hour: int = 9
    quiet_start: str = "22:00"
    quiet_end: str = "08:00"
    # A reminder later than this past its moment is dropped with a record instead of sent.
    grace_hours: int = 12
    # API calls per minute per account from one sender process. WeCom allows each API 10 000 calls a minute and
    # 150 000 an hour per company (企业微信开发文档「主动调用频率限制」): 2 400 a minute sustained stays under the
    # hour's limit with room for the webhooks' late replies; with two scheduler processes give each half.
    per_minute: int = 2400
    # Pushes in flight at once per sender process (each waits 50-200 ms for WeChat's answer).
    concurrency: int = 32
    # Per WeCom member: WeCom drops app messages above 30 a minute and 1 000 an hour per member without an
    # error (「应用消息频率限制」). Counted in fixed windows, which can pass twice a limit across a boundary,
    # so half of each.
    wecom_member_per_minute: int = 15
    wecom_member_per_hour: int = 500
    selfcheck_days_before: list[int] = field(default_factory=lambda: [7, 3, 1])
    deadline_days_before: list[int] = field(default_factory=lambda: [3, 0])
    overdue_reminder_days: int = 7
    escalate_after_days: int = 3
    listing_days_before: list[int] = field(default_factory=lambda: [7, 0])
    report_day: int = 16
    report_days_before: list[int] = field(default_factory=lambda: [3, 0])
    quota_days_before: int = 7
    # 法定节假日 and 调休 workdays come from chinese_calendar (storage/holidays.py); these override it
    # (YYYY-MM-DD): extra days off, and days worked (a 调休 announced after the installed release).
    holidays: list[str] = field(default_factory=list)
    workdays: list[str] = field(default_factory=list)
    # The lunar holidays' days by year, for deadlines such as 春节前 / 年前 / 中秋前 (the day before is meant).
    # Built in for 2025–2032 (handlers/nlu/dates.py); entries here replace a name's list, e.g.
    # festivals = { 春节 = ["2033-01-31"] }. Names: 春节, 元宵, 清明, 端午, 中秋.
    festivals: dict[str, list[str]] = field(default_factory=dict)
    # 重点时段: on the last workday before a statutory holiday of at least this many days, enterprise heads are
    # reminded to check before the break (节前安全检查). 0: no such reminder.
    holiday_reminder_days: int = 3
    # By rule, the template message or 订阅通知 that reaches people who have not written within 48 hours
    # (certified 服务号 only), with what each keyword field holds (storage/templates.py).
    templates: dict[str, TemplateSpec] = field(default_factory=dict, metadata={"parse": _templates})
    # How long a sender may hold a row it is sending. A row still held after that belonged to a sender that
    # died mid-send: it may have been delivered, so it is not sent again but shown to the admins.
    lease_seconds: int = 300
    # Sent, failed and dropped pushes are deleted after this many days (pending ones never are).
    outbox_keep_days: int = 180


@dataclass
class LedgerConfig:
    # 挂牌督办: days from listing to the required substantive progress.
    county_listing_days: int = 30
    city_listing_days: int = 60
    # 双报告: tell the supervising department's staff when a major hazard is reported and when it is rectified.
    notify_major: bool = True


@dataclass
class TipsConfig:
    # The unit that handles tips naming no enterprise and no industry with a single lead department.
    default_unit: str = ""
    # Per sender, counted as keyed hashes in memory or Redis (never in the database).
    max_submissions_per_day: int = 5
    max_lookups_per_hour: int = 10
    # Where a verified reporter claims the reward with the receipt code (shown with a verified tip).
    reward_claim: str = "匿名举报同样奖励：凭查询码到县应急管理局办理领奖，无需留下姓名。"


QUOTA_COUNTS = ("major_hazards", "typical_cases", "enforcement_cases", "leader_supervisions",
                "small_enterprise_checks")


@dataclass
class QuotaRule:
    """A minimum a unit must reach per period ("本月还差几条")."""

    name: str
    counts: str  # one of QUOTA_COUNTS
    period: str = "month"  # month | quarter
    minimum: int = 1
    applies_to: str = "town"  # town | department | all
    units: list[str] = field(default_factory=list)  # when set: only these units
    source: str = ""  # the clause of the work plan it comes from


def _default_quotas() -> list[QuotaRule]:
    # 明月山 plan [000 17./10.] and 赣州 plan [002 (二)4.] as digested in the domain notes.
    return [
        QuotaRule("发现重大事故隐患", "major_hazards", "month", 1, "town", source="乡镇每月至少排查出1条重大事故隐患"),
        QuotaRule("上报典型案例", "typical_cases", "month", 1, "town",
                  source="乡镇每月至少上报1个重大隐患或严重违法行为典型案例"),
        QuotaRule("排查重大隐患（部门检查）", "major_hazards", "month", 1, "department",
                  source="有监管职责的部门每月至少排查出1条重大事故隐患"),
        QuotaRule("小微企业安全检查", "small_enterprise_checks", "month", 1, "department",
                  source="部门每月至少开展1次小微企业安全检查"),
        QuotaRule("向市报送典型执法案例", "enforcement_cases", "quarter", 1, "all",
                  source="各乡镇、部门每季度至少向市报送1个典型执法案例"),
    ]


@dataclass
class LoggingConfig:
    level: str = "INFO"
    # text, or json: one JSON object a line (time, level, logger, message), for a log collector.
    format: str = "text"


@dataclass
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    redis: RedisConfig = field(default_factory=RedisConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    wechat: WechatConfig = field(default_factory=WechatConfig)
    wecom: WecomConfig = field(default_factory=WecomConfig)
    campaign: CampaignConfig = field(default_factory=CampaignConfig)
    selfcheck: SelfCheckConfig = field(default_factory=SelfCheckConfig)
    quotas: list[QuotaRule] = field(default_factory=_default_quotas)
    tips: TipsConfig = field(default_factory=TipsConfig)
    ledger: LedgerConfig = field(default_factory=LedgerConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    source: str = "(defaults)"

    @property
    def instance_path(self) -> Path:
        return Path(self.server.instance_dir)

    @property
    def embedded_database(self) -> bool:
        """The embedded default: a SQLite file, one machine, a trial rather than production."""
        return self.database.url.startswith("sqlite")

    @property
    def simulator_on(self) -> bool:
        setting = self.server.simulator
        return setting if isinstance(setting, bool) else self.embedded_database

    def secret_key(self) -> bytes:
        """The deployment's HMAC key; generated and kept on disk when the config leaves it empty."""
        if self.security.secret_key:
            return self.security.secret_key.encode()
        path = self.instance_path / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two workers starting together must not each write a different key.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32))
        return path.read_text().strip().encode()


def _check(config: Config) -> None:
    if not isinstance(config.server.simulator, bool) and config.server.simulator != "auto":
        raise ConfigError(f"server.simulator 应为 true、false 或 \"auto\"，现在是 {config.server.simulator!r}")
    if config.server.simulator is True and not config.embedded_database and len(config.server.simulator_token) < 16:
        raise ConfigError("server.simulator 在生产数据库上开启时，需要 server.simulator_token（至少 16 个字符）")
    if not 1 <= config.database.connect_timeout <= 60:
        raise ConfigError(f"database.connect_timeout 应为 1 到 60 秒，现在是 {config.database.connect_timeout!r}")
    try:
        _ = config.campaign.start_day
    except ValueError:
        raise ConfigError(f"campaign.start_date 应为 YYYY-MM-DD 格式的日期，现在是 {config.campaign.start_date!r}") from None
    if config.campaign.layout not in ("district", "county", "department"):
        raise ConfigError(f"campaign.layout 应为 district、county 或 department，现在是 {config.campaign.layout!r}")
    for i, phase in enumerate(config.campaign.phases):
        full = phase.start if len(phase.start) == 10 else f"2024-{phase.start}"  # a leap year admits 02-29
        try:
            date.fromisoformat(full)
        except ValueError:
            raise ConfigError(f"campaign.phases[{i}].start 应为 MM-DD 或 YYYY-MM-DD，现在是 {phase.start!r}") from None
    for name in ("holidays", "workdays"):
        for day in getattr(config.scheduler, name):
            try:
                date.fromisoformat(day)
            except ValueError:
                raise ConfigError(f"scheduler.{name} 里的「{day}」应为 YYYY-MM-DD") from None
    if config.selfcheck.five_measures_days < 1:
        raise ConfigError("selfcheck.five_measures_days 至少为 1")
    for name, days in config.scheduler.festivals.items():
        if name not in FESTIVAL_NAMES:
            raise ConfigError(f"scheduler.festivals 的「{name}」不认识；可以写 {'、'.join(FESTIVAL_NAMES)}")
        for day in days:
            try:
                date.fromisoformat(day)
            except ValueError:
                raise ConfigError(f"scheduler.festivals.{name} 里的「{day}」应为 YYYY-MM-DD") from None
    if config.logging.format not in ("text", "json"):
        raise ConfigError("logging.format 应为 text 或 json")
    sc = config.scheduler
    # The API calls time out after HTTP_TIMEOUT seconds; a shorter lease would call live sends abandoned.
    if sc.concurrency < 1 or sc.per_minute < 1:
        raise ConfigError("scheduler.concurrency 和 scheduler.per_minute 至少为 1")
    if sc.wecom_member_per_minute > 30 or sc.wecom_member_per_hour > 1000:
        raise ConfigError("scheduler.wecom_member_per_minute 不能超过 30、wecom_member_per_hour 不能超过 1000："
                          "企业微信对超出的消息不报错、直接丢弃")
    if sc.lease_seconds < 30:
        raise ConfigError("scheduler.lease_seconds 至少为 30（接口调用最长 10 秒，租约太短会把正在发送的消息当成中断）")
    # The sweep looks back grace_hours for keys it already queued; purging sooner would queue them again.
    if sc.outbox_keep_days * 24 <= sc.grace_hours + 48:
        raise ConfigError("scheduler.outbox_keep_days 必须长于 grace_hours 再加两天（否则已发的提醒会被再排一次）")
    for i, rule in enumerate(config.quotas):
        if rule.counts not in QUOTA_COUNTS:
            raise ConfigError(f"quotas[{i}].counts 应为以下之一：{'、'.join(QUOTA_COUNTS)}")
        if rule.period not in ("month", "quarter"):
            raise ConfigError(f"quotas[{i}].period 应为 month 或 quarter")
        if rule.applies_to not in ("town", "department", "all"):
            raise ConfigError(f"quotas[{i}].applies_to 应为 town、department 或 all")
        if rule.minimum < 1:
            raise ConfigError(f"quotas[{i}].minimum 至少为 1")


def parse_config(data: dict[str, Any], source: str = "(dict)") -> Config:
    config = build(Config, data, "", internal={"source"})  # Config.source records where it was read from
    _check(config)
    config.source = source
    return config


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the config from PATH, else $HAZARDBOT_CONFIG, else ./config.toml if present, else defaults."""
    chosen = path or os.environ.get(ENV_VAR)
    if not chosen and Path("config.toml").exists():
        chosen = "config.toml"
    if not chosen:
        return Config()
    p = Path(chosen)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"找不到配置文件：{p}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p} 不是有效的 TOML：{exc}") from None
    return parse_config(data, str(p))
