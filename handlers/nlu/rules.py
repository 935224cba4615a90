"""The rule table: weighted keywords over jieba tokens (here) plus weighted phrase patterns over the text
(phrases.py), and the scoring of a message against both.

Why rules first: we have several hundred hand-written examples, not thousands of real logs; a rule table is
readable by the people who know the domain, and bench/nlu.py measures it on held-out sets written blind.
Each hit adds weight to one or more intents; intents.decide compares the totals.
"""
from __future__ import annotations

import re

from .intents import (
    ACK,
    BIND,
    DASHBOARD,
    DETAIL,
    EXPORT,
    GREETING,
    INBOX,
    INVITE,
    MENU,
    OVERDUE,
    PROGRESS,
    QUOTA,
    REPORT,
    SC_START,
    SC_STATUS,
    STATS,
    TIP,
    TIP_QUERY,
    UNBIND,
    UNCHECKED,
    VERIFY,
    Weights,
)
from .phrases import PATTERN_WEIGHTS

# -- single words, matched against jieba tokens (each is added to the tokenizer so it stays whole) ---------------
TOKEN_WEIGHTS: dict[str, Weights] = {
    "菜单": {MENU: 3.5}, "帮助": {MENU: 3}, "功能": {MENU: 1.5}, "目录": {MENU: 2}, "主菜单": {MENU: 4},
    "使用说明": {MENU: 3}, "教程": {MENU: 2}, "help": {MENU: 3.5}, "bind": {BIND: 3.5}, "unbind": {UNBIND: 4.5}, "操作指南": {MENU: 3}, "说明书": {MENU: 2.5},
    "绑定": {BIND: 3.5}, "解绑": {UNBIND: 4}, "换绑": {BIND: 3}, "邀请码": {BIND: 3, INVITE: 1.5},
    "解除绑定": {UNBIND: 4.5}, "取消绑定": {UNBIND: 4.5}, "离职": {UNBIND: 2.6}, "调走": {UNBIND: 2.2},
    "调岗": {UNBIND: 2.2}, "切换": {BIND: 2.0}, "详情": {DETAIL: 2.4}, "详细": {DETAIL: 1.2},
    "你好": {GREETING: 1.0}, "您好": {GREETING: 1.0}, "待处理": {INBOX: 1.2, VERIFY: 0.4},
    "注销": {UNBIND: 3}, "解除": {UNBIND: 2.2}, "注册": {BIND: 2.5},
    "认证": {BIND: 2}, "实名": {BIND: 1.5}, "激活": {BIND: 2}, "验证码": {BIND: 1.5},
    "自查": {SC_START: 1.6, SC_STATUS: 0.9, UNCHECKED: 0.9}, "自查表": {SC_START: 1.8, SC_STATUS: 0.6},
    "自查自改": {SC_START: 2}, "自检": {SC_START: 1.4, SC_STATUS: 0.6, UNCHECKED: 0.5},
    "问卷": {SC_START: 1.2}, "检查表": {SC_START: 1.2}, "自查记录": {SC_STATUS: 3.5}, "排查": {SC_START: 0.5},
    "隐患": {REPORT: 1.0, PROGRESS: 0.3, OVERDUE: 0.3, QUOTA: 0.3, TIP: 0.3},
    "重大隐患": {REPORT: 1.0, QUOTA: 0.4, OVERDUE: 0.3}, "安全隐患": {REPORT: 1.0, TIP: 0.5},
    "上报": {REPORT: 1.6, QUOTA: 0.3}, "登记": {REPORT: 1.2}, "录入": {REPORT: 1.2}, "发现": {REPORT: 0.8},
    "新增": {REPORT: 1.0},
    "举报": {TIP: 2.6, TIP_QUERY: 1.0}, "匿名": {TIP: 2.5, TIP_QUERY: 0.3}, "匿名举报": {TIP: 3.5},
    "反映": {TIP: 2.2}, "投诉": {TIP: 2.2}, "吹哨": {TIP: 2.8}, "吹哨人": {TIP: 2.8}, "检举": {TIP: 2.8},
    "揭发": {TIP: 2.2}, "曝光": {TIP: 1.5}, "爆料": {TIP: 2.2}, "线索": {TIP: 1.5}, "12350": {TIP: 2},
    "查询码": {TIP_QUERY: 3.5}, "回执": {TIP_QUERY: 2.5}, "回执码": {TIP_QUERY: 3.5}, "奖励": {TIP_QUERY: 1.5},
    "奖金": {TIP_QUERY: 1.8}, "举报奖励": {TIP_QUERY: 3},
    "整改": {PROGRESS: 1.4, VERIFY: 0.4, OVERDUE: 0.4}, "整改进展": {PROGRESS: 3.5}, "整改完成": {PROGRESS: 3},
    "已整改": {PROGRESS: 2.8, VERIFY: 0.5}, "进展": {PROGRESS: 1.4, TIP_QUERY: 0.8}, "进度": {PROGRESS: 1.2, TIP_QUERY: 0.6},
    "整改情况": {PROGRESS: 1.6, STATS: 0.6}, "记录": {SC_STATUS: 1.0}, "期限": {OVERDUE: 1.2},
    "漏查": {UNCHECKED: 2.5},
    "销号": {VERIFY: 3.2, PROGRESS: 0.6}, "核查": {VERIFY: 3.0, TIP_QUERY: 0.3}, "复查": {VERIFY: 3.0},
    "验收": {VERIFY: 2.6}, "核实": {VERIFY: 2.2, TIP_QUERY: 0.4}, "闭环": {VERIFY: 1.8}, "核销": {VERIFY: 2.8},
    "闭环销号": {VERIFY: 3.5}, "复核": {VERIFY: 3.0}, "打回": {VERIFY: 2.6}, "驳回": {VERIFY: 2.6},
    "退回": {VERIFY: 2.0}, "拖期": {OVERDUE: 3.0}, "overdue": {OVERDUE: 3.2},
    "还差": {QUOTA: 2.6}, "指标": {QUOTA: 2.2}, "考核": {QUOTA: 1.6}, "达标": {QUOTA: 2.2}, "任务": {QUOTA: 1.0},
    "任务数": {QUOTA: 2.5},
    "逾期": {OVERDUE: 3.2}, "超期": {OVERDUE: 3.2}, "挂牌督办": {OVERDUE: 3.2}, "督办": {OVERDUE: 2.4},
    "挂牌": {OVERDUE: 2.0}, "到期": {OVERDUE: 1.8}, "超时": {OVERDUE: 1.6}, "过期": {OVERDUE: 1.0},
    "统计": {STATS: 3.2}, "汇总": {STATS: 2.6, EXPORT: 0.6}, "数据": {STATS: 2.0}, "总数": {STATS: 2.2},
    "一共": {STATS: 1.6}, "累计": {STATS: 1.6}, "总共": {STATS: 1.6}, "概况": {STATS: 2.2}, "数据汇总": {STATS: 3.5},
    "完成率": {STATS: 2.4}, "整改率": {STATS: 2.6}, "销号率": {STATS: 2.6}, "排名": {STATS: 2.2}, "简报": {STATS: 1.5},
    "调度表": {EXPORT: 3.8}, "报表": {EXPORT: 3.2}, "隐患清单": {EXPORT: 3.8}, "清单": {EXPORT: 2.2},
    "台账": {EXPORT: 2.2, STATS: 0.3}, "隐患台账": {EXPORT: 3.2}, "导出": {EXPORT: 3.2}, "生成": {EXPORT: 1.8},
    "下载": {EXPORT: 2.0, DASHBOARD: 0.5}, "excel": {EXPORT: 3}, "xls": {EXPORT: 3}, "表格": {EXPORT: 2.2},
    "月报": {EXPORT: 2.6}, "打印": {EXPORT: 2.0}, "附件": {EXPORT: 1.2}, "月报表": {EXPORT: 3.5},
    "后台": {DASHBOARD: 3.2}, "管理后台": {DASHBOARD: 4}, "网页": {DASHBOARD: 3}, "网页版": {DASHBOARD: 3.8},
    "电脑版": {DASHBOARD: 3.5}, "电脑": {DASHBOARD: 2}, "网址": {DASHBOARD: 3}, "网站": {DASHBOARD: 2},
    "登录": {DASHBOARD: 2.6}, "密码": {DASHBOARD: 2}, "浏览器": {DASHBOARD: 2.6}, "pc": {DASHBOARD: 2.2},
    "大屏": {DASHBOARD: 2.2}, "管理端": {DASHBOARD: 3.2}, "管理页面": {DASHBOARD: 3.8}, "web": {DASHBOARD: 2.5},
    "收到": {ACK: 3.2}, "已阅": {ACK: 3.5}, "好的": {ACK: 2.0}, "知道了": {ACK: 2.6}, "明白": {ACK: 2.0},
    "了解": {ACK: 1.8}, "ok": {ACK: 2.2}, "已收到": {ACK: 3.5}, "好的收到": {ACK: 4}, "晓得": {ACK: 2},
    "收悉": {ACK: 3.5}, "遵照执行": {ACK: 3.5},
}

_R = re.compile


# News and rumours of an accident somewhere: what the words describe happened far away, and nobody is tipping.
NEWS = _R(r"抖音|快手|头条|微博|新闻|热搜|是真的吗")
# Questions about the campaign itself — its consequences, its point, its rules, the bot's own data — and
# complaints about it: asked, not reported, whatever danger they mention (没有灭火器会被罚款吗).
ABOUT_THE_CAMPAIGN = _R(r"会不会(影响|被罚|罚款|关|停|查封|处罚)|会被(罚|关|处罚|查封|通报)|会(关厂|停产|罚款|被罚)吗|(整改|改)不了会|"
                        r"有什么用|走形式|凭什么|第几条|(谁|哪个)定的|不合理|准不准|找不出来了|别让我们|提醒我干嘛|发给我干嘛|"
                        r"态度(太|很|真)?差|投诉.{0,8}(检查员|工作人员|干部|你们)")

# Not for this bot, near as the words may be: forwarded notices, licences and certificates, labour and consumer
# disputes, a human operator, where to find things, the standards' own text. The recogniser then neither
# guesses nor lets the model guess (recognizer.py).
OFF_TOPIC = _R(NEWS.pattern + "|" + ABOUT_THE_CAMPAIGN.pattern + r"|^[【\[]?转发|^转自|关于(做好|开展|进一步|加强|印发|切实|认真).{2,40}(通知|意见|方案|办法|解读)|"
               r"证(怎么|在哪|去哪)(考|办|领|报名|复审)|(复审|年审|考证|报名)(在哪|去哪|怎么)|找谁(办|审批|验收)?$|"
               r"工资|工钱|加班费|欠薪|拖欠|社保|工伤|劳动合同|外卖(?!店|公司|站|平台)|快递(?!网点|公司|站|点|驿站|企业|分拨|仓)|物业(?!公司)|不新鲜|退款|退货|人工客服|转人工|真人|附近(哪|有没有)|"
               r"^你在(干嘛|干什么|做什么|忙什么|忙啥)|这个号.{0,4}(谁|哪个)(在)?管|太吵|噪音|扰民|网购|商家|质量(很|太)?差|(哪里|哪儿|在哪)(可以)?考.{0,4}证|年终奖|谁在运营|"
               # fines bargained, licences, papers for an approval, office chores, chat groups, health checks
               r"少罚|罚少点|能不能不罚|(免|减)(除)?罚款|营业执照|(准备|提交|需要|带)(什么|哪些|啥)(材料|资料)|签到表|"
               r"打印(一下)?(这份|这个)?(文件|资料)|(文件|资料)打印|复印|^(在)?(干嘛|干啥|干什么)(呢)?[?？]*$|拉(进|到)?群|建群|"
               r"群里的人|注销公司|职业病|体检|课件|培训资料|演练视频|装修|税务|报税|纳税|个税|红包|菜场|菜价|涨价|ppt|幻灯片|文明城市|创文|创卫|"
               r"(电话|手机号|联系方式)(是)?多少|(办公)?地址在哪|在哪(里)?办公|(科长|局长|镇长|主任|书记)?在不在(办公室|单位)|"
               r"(科长|局长|镇长|主任|书记)在(吗|不)|什么时候通(天然气|燃气|水|电|网|路)|^[【\[]转[】\]]|判定标准是|什么算(重大)?隐患|专项(整治|行动).{0,8}(什么时候|到哪天|多久)|招人|招聘|应聘|求职|找工作")

_REFUSALS = ("不是", "不要", "不用")
_REFUSED = _R("|".join(_REFUSALS))

_LOOK = _R(r"查看|看看|看下|看一下|查一下|查下|打开|调出|显示|详情|详细|情况|怎么回事|记录|照片|信息|内容|啥问题|什么问题|"
          r"怎么样|进展如何|进度如何|到哪|状态|现在|目前|[?？]|吗$|了没|进度$|进展$|原因|哪个|哪家|是什么|是啥|结果|查询|几天|多久")


def keyword_vocabulary() -> list[str]:
    """Words the tokenizer must keep whole so TOKEN_WEIGHTS can see them."""
    return [w for w in TOKEN_WEIGHTS if not w.isascii() and len(w) > 1]


# A hazard's number in a shape the ledger does not issue (YH-2026-0012, YH2026001, 隐患编号 1024): it still points
# at one hazard, though which cannot be known.
_VERDICT = _R(r"驳回|退回|打回|不通过|不合格|同意销号|予以销号")
_ASKS = _R(r"原因|为什么|为啥|什么|怎么|吗|[?？]")
_LOOSE_NUMBER = _R(r"(?<![a-z0-9])yh[\s\-_]*\d{3,}|隐患(编号|号|单号)\s*[:：]?\s*[a-z]*[\-]?\d{3,}")


def score(tokens: list[str], text: str, *, has_receipt: bool = False, has_hazard_number: bool = False) -> dict[str, float]:
    has_hazard_number = has_hazard_number or bool(_LOOSE_NUMBER.search(text))
    totals: dict[str, float] = {}
    refusing = _REFUSED.search(text) is not None
    for token in set(tokens):
        weights = TOKEN_WEIGHTS.get(token)
        if weights:
            # "不是清单 我就要个总数", "不是整改率": a word named to be refused counts against its intents.
            sign = -1.0 if refusing and any(f"{no}{token}" in text for no in _REFUSALS) else 1.0
            for intent, w in weights.items():
                totals[intent] = totals.get(intent, 0.0) + sign * w
    for pattern, weights in PATTERN_WEIGHTS:
        if pattern.search(text):
            for intent, w in weights.items():
                totals[intent] = totals.get(intent, 0.0) + w
    # A receipt code is only ever shown to a tipster: sending one back is a follow-up.
    if has_receipt:
        totals[TIP_QUERY] = totals.get(TIP_QUERY, 0.0) + 4.0
    # A hazard number points at an existing hazard: progress (enterprise) or verification (staff).
    if has_hazard_number:
        totals[PROGRESS] = totals.get(PROGRESS, 0.0) + 1.0
        totals[VERIFY] = totals.get(VERIFY, 0.0) + 0.9
        # A number with nothing but "show me" around it asks to see that hazard.
        # … unless a verdict is given on it ("YH… 驳回 照片不是现场的").
        verdict = _VERDICT.search(text) and not _ASKS.search(text)
        look = (_LOOK.search(text) and not verdict) or not text.strip()
        totals[DETAIL] = totals.get(DETAIL, 0.0) + (4.6 if look else 1.2)
    return totals
