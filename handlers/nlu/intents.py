"""Intent scoring: weighted keywords over jieba tokens plus weighted phrase patterns over the text.

Why rules first: we have several hundred hand-written examples, not thousands of real logs; a rule table is
readable by the people who know the domain, and bench/nlu.py measures it on a held-out set written blind.
Each hit adds weight to one or more intents; the totals are compared, and when the two best are close the
result says so (ambiguous) so the bot asks instead of guessing. The sender's role then changes the reading
(roles.py), and text no rule places goes to a small character model (bayes.py).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

INTENTS = (
    "menu", "bind", "selfcheck_start", "selfcheck_status", "hazard_report", "hazard_progress", "hazard_verify",
    "tip_submit", "tip_query", "quota_query", "overdue_query", "unchecked_query", "stats_query",
    "report_generate", "dashboard_login", "reminder_ack", "greeting", "invite_create", "unbind", "dispatch_fill",
    "tip_inbox", "hazard_detail", "unknown",
)

MENU, BIND, SC_START, SC_STATUS = "menu", "bind", "selfcheck_start", "selfcheck_status"
REPORT, PROGRESS, VERIFY = "hazard_report", "hazard_progress", "hazard_verify"
TIP, TIP_QUERY, QUOTA, OVERDUE = "tip_submit", "tip_query", "quota_query", "overdue_query"
UNCHECKED, STATS, EXPORT, DASHBOARD, ACK, UNKNOWN = (
    "unchecked_query", "stats_query", "report_generate", "dashboard_login", "reminder_ack", "unknown")
GREETING, INVITE, UNBIND, DISPATCH, INBOX, DETAIL = (
    "greeting", "invite_create", "unbind", "dispatch_fill", "tip_inbox", "hazard_detail")

# Below this total no intent is believed: chit-chat and gibberish land here.
MIN_SCORE = 1.6
# The runner-up within this share of the winner makes the result ambiguous …
AMBIGUOUS_RATIO = 0.75
# … unless it is weak on its own.
AMBIGUOUS_FLOOR = 2.0
MAX_CANDIDATES = 4

Weights = dict[str, float]

# -- single words, matched against jieba tokens (each is added to the tokenizer so it stays whole) ---------------
TOKEN_WEIGHTS: dict[str, Weights] = {
    "菜单": {MENU: 3.5}, "帮助": {MENU: 3}, "功能": {MENU: 1.5}, "目录": {MENU: 2}, "主菜单": {MENU: 4},
    "使用说明": {MENU: 3}, "教程": {MENU: 2}, "help": {MENU: 3.5}, "操作指南": {MENU: 3}, "说明书": {MENU: 2.5},
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
_GREETING_WORDS = ("你好|您好|你们好|大家好|各位好|在吗|在么|在嘛|在不在|在不|在没|有人吗|有人在吗|有人没|有没有人|有人不|"
                   "早上好|早安|上午好|中午好|下午好|晚上好|早|晚安|hi|hello|hey|nihao|ni hao|nin hao|ninhao|哈喽|哈啰|哈罗|嗨|嗨喽|喂|喂喂|老师好|领导好|"
                   "同志你好|师傅好|老板好|小助手|助手|打扰了|打扰一下|请问|好久不见|辛苦了|"
                   # typed slips and dialect: 你号 (你好), 侬好 (Wu), 早晨 (Cantonese good morning), a bare 在？
                   "你号|您号|侬好|雷猴|早晨|在|机器人|诶|哎|欸|嘿")
# -- phrases, matched against the whole (normalised) text ----------------------------------------------
PATTERN_WEIGHTS: tuple[tuple[re.Pattern[str], Weights], ...] = (
    # menu: asking what the bot does
    (_R(r"^(菜单|帮助|help|[?？]+|功能|目录|主菜单|功能列表|怎么用|主页|首页|主界面)$"), {MENU: 5}),
    (_R(r"(能|可以|会)(帮|给)?(我|我们)?(做|干|帮|办|查|弄)(点|些|一些)?(什么|啥|哪些)"), {MENU: 3}),
    (_R(r"(有|都有|能用)(哪些|什么|啥|几个|几种)(操作|指令|命令|选项|按钮|入口)|(操作|指令|命令)(列表|大全|有哪些|都有啥)"),
     {MENU: 3.0}),
    (_R(r"功能(列表|清单|介绍|说明)|咋个?用|怎么弄|啥子都不会|都不会用?|不会弄|看不懂|不懂(怎么|咋)"), {MENU: 2.4}),
    (_R(r"怎么(用|操作|使用)|如何(使用|操作)|咋(用|弄|整)|不会用|使用方法|有(哪些|什么|啥)功能|都有啥"), {MENU: 2.4}),
    (_R(r"(返回|回到|打开|看看?|显示|调出|发)(一下)?(主)?(菜单|首页|目录|功能)"), {MENU: 2.5}),
    # bind: who I am, invitation code
    (_R(r"绑(一下|个|定一下)?(我的)?(企业|单位|公司|身份|账号|手机|工厂|厂)"), {BIND: 2.5}),
    (_R(r"(加入|关联|进入|挂靠|认领)(我们|我的)?(企业|单位|公司|镇|街道|部门)"), {BIND: 2.2}),
    (_R(r"(没有|没|不是|要|要个|拿|领|申请|获取|给我)(个)?(权限|身份|邀请码|码)"), {BIND: 1.4}),
    (_R(r"(我是|本人是|我系)(新来的|新任|刚来的)?.{0,14}(负责人|安全员|安全管理员|老板|厂长|经理|工作人员|专干|站长|主任)"),
     {BIND: 1.6}),
    (_R(r"(换了|更换|变更)(新)?(手机|微信|负责人|账号)|重新绑"), {BIND: 2}),
    # selfcheck_start
    (_R(r"(?<!没)(?<!未)(?<!没有)(开始|启动|进行|开展|做|填|搞|弄|来|要|想|准备|去|帮我|打开)(一下|个|一次|一遍|下)?(全面的?|彻底的?)?((本月|本季度|这个月|这月|这个季度|月度|季度|本期|这期|今天|每月|月|新)(的)?)?(自查|自检|排查|检查表|自查表|问卷)"),
     {SC_START: 2.4}),
    (_R(r"(自查|自检)(一下|吧|开始|走起|填报|入口|在哪|怎么(填|做|弄|搞))"), {SC_START: 1.8}),
    (_R(r"(该|轮到|到时间|又要|又到)(了)?.{0,4}(自查|自检)"), {SC_START: 1.6}),
    (_R(r"带队检查|全面检查|全面排查"), {SC_START: 1.2}),
    # selfcheck_status: whether it has been done / the record
    (_R(r"(自查|自检|自查表|问卷).{0,10}(交|提交|做|完成|填|报|通过|弄).{0,3}?(没|没有|吗|么|否|了没|没得|未)"),
     {SC_STATUS: 3.2}),
    (_R(r"(有没有|是否|有无|交没交|做没做|填没填|报没报)(交|提交|做|完成|填|报)?(了)?.{0,6}(自查|自检)"), {SC_STATUS: 3}),
    (_R(r"(自查|自检)的?(记录|结果|情况|历史|状态|报告|档案|明细|详情)"), {SC_STATUS: 2.6}),
    (_R(r"(上次|上回|上个月|上月|上期|以前|之前|历史|往期|去年|上季度|我们|我家|我们厂|我们公司|本企业|本公司)的?(自查|自检)"),
     {SC_STATUS: 1.2}),
    (_R(r"(查看|看看|看一下|查一下|查查|查询|翻翻|调出)(我们|我|我家|本企业|公司|厂里)?的?.{0,8}(自查|自检)"), {SC_STATUS: 2.0}),
    (_R(r"(自查|自检).{0,6}(交|提交|做|完成|填)(过|好)(了)?"), {SC_STATUS: 1.4}),
    (_R(r"(下次|下一次|下回|什么时候|啥时候|何时)(要|该|需要)?.{0,5}(自查|自检)"), {SC_STATUS: 2.2}),
    (_R(r"(自查|自检).{0,4}(打了|得了|多少分|几分|分数|得分|评分|评价|合格)"), {SC_STATUS: 3.4, SC_START: -1.5}),
    (_R(r"(之前|以前|上次|上回|已经)(填|交|做|提交)(过)?的"), {SC_STATUS: 1.8}),
    (_R(r"能(看到|查到|查看)|(能不能|可以)(查|看)"), {SC_STATUS: 0.8, TIP_QUERY: 0.4}),
    # a first person speaking about their own self-check is asking about theirs, not about others
    (_R(r"(我们|我家|我司|我公司|本企业|本公司|我们厂|我们公司)"), {SC_STATUS: 0.8}),
    # unchecked_query: which enterprises have not
    (_R(r"(哪些|哪几家|哪家|哪个|多少家|几家|谁|名单|还有|有些|那些).{0,10}(没|未|没有|还没|尚未|漏)(有)?(做|完成|开展|提交|交|填|进行|搞|报)?(过)?.{0,2}(自查|自检)"),
     {UNCHECKED: 3.6}),
    (_R(r"(未|没|没有|还没|尚未|漏)(完成|开展|提交|进行|做|交|填|报)?(过)?(自查|自检)的?(企业|单位|公司|名单|家|厂)"), {UNCHECKED: 3.6}),
    (_R(r"(企业|公司|厂|单位|家).{0,6}(没|未|还没)(交|做|填|报|提交)(自查|自检|问卷)?"), {UNCHECKED: 1.4}),
    (_R(r"(未|没|没有|还没|尚未)(完成|开展|提交|进行|做|交|填)?(过)?(自查|自检)"), {UNCHECKED: 2.2}),
    (_R(r"(自查|自检).{0,4}(没|未)(有)?(提交|交|做|完成|填)的"), {UNCHECKED: 2.6}),
    (_R(r"(企业|公司|单位|厂|家)(有)?(哪些|名单|有几家)"), {UNCHECKED: 1.0}),
    (_R(r"(催|督促|提醒|通知)(一下)?.{0,8}(企业|他们|老板|负责人).{0,6}(自查|自检)"), {UNCHECKED: 2.0}),
    (_R(r"(自查|自检)(率|覆盖率|进度)"), {UNCHECKED: 1.6, STATS: 1.0}),
    # hazard_report
    (_R(r"(?<!举)(?<!多少)(上报|报|登记|提交|录入|新增|报送|添加|填报|反馈)(一|1|两|2)?(条|个|下|处|项)?(新的)?.{0,4}(隐患|问题)"), {REPORT: 2.4}),
    (_R(r"(隐患|问题)(上报|登记|录入|填报)"), {REPORT: 2.4}),
    (_R(r"(发现|查出|检查出|查到|排查出|看到)(了)?.{0,8}(隐患|问题|不合格|漏气|漏电|堵)"), {REPORT: 1.8}),
    (_R(r"(发现|查出|检查出|查到|排查出|检查发现)"), {REPORT: 0.8}),
    (_R(r"(要|想|需要|得|来|先)(报|上报|登记)(一下|上来|上去)?"), {REPORT: 1.4}),
    (_R(r"(没有|没|无|未|不)(持证|证|资质|审批|检测|年检)|(焊工|电工|司机|操作工).{0,4}证"), {REPORT: 1.0, TIP: 0.5}),
    (_R(r"(我们|我司|我公司|本企业|本公司|我们厂|我厂|厂里|公司|车间|自己|自查时|自查中|检查时)"), {REPORT: 0.6, PROGRESS: 0.3}),
    (_R(r"(没|还没|一直没|也没)(换|修|整改|处理|改|管)"), {REPORT: 0.8, TIP: 0.4}),
    (_R(r"(怎么|如何|在哪|哪里)(上报|报|登记)(隐患)?"), {REPORT: 1.2}),
    # tip_submit: anonymous, about someone else
    (_R(r"(不想|不愿|不愿意|不要|不用|别|不敢|不能|不方便)(留|写|透露|暴露|说|告诉|让人知道|报)?(我的)?(名字|姓名|名|身份|是谁|真名|电话)"),
     {TIP: 3.2}),
    (_R(r"(偷偷|私下|悄悄|保密|不留名|匿名地)"), {TIP: 2}),
    (_R(r"(想|要|我要|来|特此|实名)(反映|举报|投诉|检举|曝光|揭发)"), {TIP: 1.5}),
    (_R(r"(隔壁|附近|对面|那家|那个厂|有家|有个厂|有个公司|邻居|某某|某厂|某公司|旁边|楼下|我们村|村里|街上|路边)"), {TIP: 1.2}),
    (_R(r"老板(不让|不管|不肯|逼|让我们|叫我们|硬要|非要|根本)"), {TIP: 1.8}),
    (_R(r"(怕|担心|害怕)(被)?(报复|知道|发现|穿小鞋|开除|辞退|炒)"), {TIP: 2.8}),
    (_R(r"(没人管|不管不问|一直没人|屡教不改|长期|一直这样)"), {TIP: 1.2}),
    # tip_query: following up an own tip
    (_R(r"(举报|反映|投诉|检举).{0,14}(怎么样|咋样|结果|进展|进度|处理|回复|查了|查实|受理|答复|核实|有下文|下文|落实|有人管|管了|管不管|查不查)"),
     {TIP_QUERY: 3.2}),
    (_R(r"(查询|查一下|查查|看看|看一下|问一下|问问)(我|我的|之前|上次|前几天)?的?(举报|反映|投诉)"), {TIP_QUERY: 3}),
    (_R(r"(奖励|奖金|奖励金|奖).{0,6}(领|发|给|多少|怎么|什么时候|啥时候|到账)|(领|申领|兑现)(取)?(举报)?(奖励|奖金)"),
     {TIP_QUERY: 2.6}),
    (_R(r"(之前|上次|上回|前几天|上个月|上周|前段时间)(我)?(举报|反映|投诉)的?"), {TIP_QUERY: 1.6}),
    (_R(r"(举报|反映|投诉)(过|了)?的(那个|那件|那家|事|问题)"), {TIP_QUERY: 3.0, TIP: -1.0}),
    (_R(r"没人联系|没有回音|没(有)?消息|没动静|没下文|有没有结果|查了没|有结果(了)?(吗|没)"), {TIP_QUERY: 1.6}),
    # hazard_progress: the enterprise says it is (being) fixed
    (_R(r"(整改|修|换|改|弄|处理|搞|装|拆|清理|清|搬|挪|补|办|更换|维修|焊|刷|封|固定|加固|清洗|洗)(好|完|完成|完毕|到位|结束|掉)(了)?"), {PROGRESS: 2.4}),
    # more time asked for a fix: 申请延期, 能不能宽限几天, 期限能往后推推不
    (_R(r"延期|延长(整改)?(期限|时间)|宽限|往后推|推迟|缓(几|一|两)天|晚(几|一|两)天|多给(几|一|两)天"), {PROGRESS: 3.0, OVERDUE: -1.0}),
    # someone booked to come and fix it
    (_R(r"还没到货|(明天|后天|下午|下周|过两天)(来|到).{0,8}(还没|没)(换|修|装|弄)|重新(穿管|布线|接线|固定)|(整改|维修)?照片发(你|给你|您)"), {PROGRESS: 2.6}),
    (_R(r"(约了|请了|找了|联系了|叫了|订了|买了)(.{0,8})(公司|师傅|厂家|人|电工|焊工|配件|零件|材料).{0,8}(来)?(洗|修|换|装|弄|清|检|处理|整改)?"), {PROGRESS: 2.2}),
    (_R(r"(已经|已|都)(整改|修好|修复|更换|换了|换掉|换成|处理|清理|拆除|拆了|安装|装了|装好|补办|办好|搬走|清走|落实)"), {PROGRESS: 2.0}),
    (_R(r"(更新|上传|提交|报|填|补|反馈|发)(一下)?.{0,4}(整改)?(的)?(进展|进度|照片|情况|结果)"), {PROGRESS: 1.6}),
    (_R(r"(整改|隐患).{0,6}(怎么样|到哪|如何|进度|进展|情况)"), {PROGRESS: 1.0, DETAIL: 0.8}),
    (_R(r"(隐患|问题|那条|那个|这条|报的).{0,10}(现在|目前|眼下)?(是)?(什么|啥)(状态|情况|进度)|(到哪一步|怎么样)了|"
        r"(核查|审核|销号|批|处理)(了)?(吗|没|没有|了没)"), {DETAIL: 2.0}),
    (_R(r"(核查|审核|销号|批|处理|复查|验收)(过)?(了)?(吗|没|没有|了没)$"), {DETAIL: 1.6, REPORT: -1.5, PROGRESS: -1.5}),
    (_R(r"(申请|可以|能不能|能否|请求|麻烦|请|帮忙|帮我们)(给我们|帮我们|给)?(办理)?销号"), {PROGRESS: 3.2}),
    (_R(r"(整改|维修|处理|施工)中"), {PROGRESS: 2.0}),
    (_R(r"(正在|在|还在|开始)(整改|修|处理|维修|更换)"), {PROGRESS: 1.8}),
    (_R(r"(整改|维修|修理|更换).{0,6}(照片|图片|凭证|发票)"), {PROGRESS: 1.6}),
    # hazard_verify: staff checks the fix and closes it
    (_R(r"(核查|复查|验收|核实|确认|审核|检查)(一下)?.{0,6}(整改|隐患|yh|结果|情况)"), {VERIFY: 1.8}),
    (_R(r"(去|到|上)?现场(核查|核实|复查|验收|看了|确认|检查)"), {VERIFY: 2.2}),
    (_R(r"(去|要去|来|进行|开展|安排)(现场)?(核查|复查|验收|核实)"), {VERIFY: 1.8}),
    (_R(r"(企业|他们|厂里|对方|老板)(说|讲|反馈|报|称)(已经)?(整改|修|弄|处理)"), {VERIFY: 2.0}),
    (_R(r"(同意|通过|给|予以|可以|办理|批|准予|做|完成)(了)?销号|销(掉|了)"), {VERIFY: 2.4}),
    (_R(r"(待|等待|需要|等着|还没)(核查|复查|验收|销号|审核)"), {VERIFY: 2.4}),
    (_R(r"(核查|复查|验收)(通过|合格|不合格|没通过|未通过|完毕)"), {VERIFY: 2.2}),
    # quota_query: how many are we still short
    (_R(r"(还|仍|尚|总共|一共)?(差|缺|欠|少)(了)?(几|多少|\d+)(条|个|项|件|家|起)?"), {QUOTA: 3.2}),
    (_R(r"(够|完成|达到|达标|满足|凑够|凑齐)(了)?(数|任务|指标|要求|考核|数量)"), {QUOTA: 2.4}),
    (_R(r"(任务|指标|考核|数量).{0,6}(完成|够|达标|差|还要|多少)"), {QUOTA: 2.2}),
    (_R(r"(本月|这个月|这月|本季度|这个季度|这季度|季度|月度|今年|本年).{0,8}(完成了?(吗|没|没有|么|没得)|达标(了)?(吗|没)?|够(了)?(吗|没|数)?)"),
     {QUOTA: 2.6}),
    (_R(r"(至少|起码|最少|最低|硬性).{0,6}(报|上报|发现|几条|多少|要求)"), {QUOTA: 1.8}),
    (_R(r"还(要|需要|得|应该)(报|上报|发现|查出|交).{0,4}(几|多少)"), {QUOTA: 3}),
    (_R(r"(每月|这个月|本月|这月|这季度|本季度|一个月|每个月)?(要|需要|得|应该|规定)(报|上报|交)(多少|几)(条|个)?"),
     {QUOTA: 3.2, STATS: -3.5}),
    # how many are due set against how many are done: the quota
    (_R(r"(要|需要|得|应该|规定)(报|上报|交)(多少|几).{0,12}(报了|交了|完成了|上报了|有了)(多少|几)"), {QUOTA: 4.0}),
    (_R(r"才(够|能达标|算完成)|够不够|够了(吗|没)|够数|够没"), {QUOTA: 2.4}),
    (_R(r"(分了|分配了?|下达了?|派了|给了|定了)(\d+|几|多少)条"), {QUOTA: 2.5}),
    (_R(r"^(月度|本月|这个月|这月|本季度)?的?(任务|目标|指标)(进度|差额|完成情况|完成了多少)?[?？吗]*$|(指标|任务)差额|还(得|要|需要)找(几|多少)"),
     {QUOTA: 3.5, REPORT: -2.0}),
    (_R(r"(几|多少)(条|个)?(隐患|案例)?.{0,4}没(报|交|完成)"), {QUOTA: 2.4}),
    # overdue_query
    (_R(r"(过了|超过|超出)(整改)?(期限|时限|截止|日期|整改期)"), {OVERDUE: 2.8}),
    (_R(r"(逾期|超期|过期|督办).{0,6}(清单|名单|列表)"), {OVERDUE: 2.5}),
    (_R(r"(快|即将|马上|临近)(要)?到.{0,4}(期限|期|截止)"), {OVERDUE: 2.4}),
    (_R(r"(快|即将|马上|临近)(要)?(到期|超期|逾期)"), {OVERDUE: 2}),
    (_R(r"(拖|拖着|拖了|拖延).{0,8}(没改|不改|没整改|不整改|还没)"), {OVERDUE: 2.4}),
    (_R(r"(没|未|没有)(按期|按时|如期)(整改|完成)"), {OVERDUE: 3}),
    (_R(r"(哪些|哪几条|哪条|哪几个|列出|列一下).{0,8}(隐患|问题).{0,6}(没改|没整改|未整改|还没|到期|超期|逾期)"), {OVERDUE: 2.2}),
    (_R(r"(30|60|三十|六十)天.{0,6}(实质性)?(进展)"), {OVERDUE: 2.0}),
    # stats_query
    (_R(r"(多少|几)(条|个|家|起|项|处)"), {STATS: 1.2, QUOTA: 0.5}),
    (_R(r"(全镇|全区|全县|全市|全街道|辖区|各镇|各单位|各部门|各行业|整体|总体|所有企业|全部企业)"), {STATS: 2.0}),
    (_R(r"(一共|总共|累计|共)(发现|报|上报|查出|整改|销号|排查|检查|处罚)?(了)?(多少|几)"), {STATS: 2.6}),
    (_R(r"(完成|整改|销号|自查|覆盖|闭环|办结)率"), {STATS: 5.0, PROGRESS: -2.5, VERIFY: -2.0}),
    # counts and shares of hazards are statistics, not a new report: 新增隐患数, 发现隐患多少, 消防类占多少
    (_R(r"(新增|发现|上报|整改|销号|排查)(的)?(隐患|问题)(数|数量|总数|条数|多少|几条)|占(多少|几成|比例|比重|百分之)|(占比|比例)(是)?(多少)?"),
     {STATS: 3.2, REPORT: -2.4}),
    # a bare 完成率 (not of fixes, closings or self-checks, nor of the whole town) is the sender's own quota
    (_R(r"^(我的|我们的|本月|这个月|这月|今年)?的?(?<![改号查])完成率(是)?(多少|怎么样|如何|几)?(了)?[?？吗]*$"), {QUOTA: 6.0, STATS: -3.0}),
    (_R(r"截至目前|截止目前|到目前为止"), {STATS: 1.5}),
    (_R(r"(按|分)(乡镇|镇|街道|行业|片区|部门|类型|类别|月份|月|网格|企业)?.{0,4}(排|分|统计|分布|汇总|排名)|分布(情况)?|"
        r"(比|跟|和)(上周|上月|上个月|去年|同期).{0,4}(多|少|增|减|对比|比较)|对比|环比|同比|统计数据|排名"), {STATS: 3.0, DISPATCH: -2.0}),
    (_R(r"(隐患|问题).{0,4}(有|查出来|查出|发现)了?(多少|几)|(本月|这个月|今年|本周|今年以来).{0,6}(查出来|查出|发现)了?(多少|几)"),
     {STATS: 1.6}),
    (_R(r"(统计|汇总)(一下|下)?"), {STATS: 1.0}),
    (_R(r"(整体|总体|全镇|全区|全县|全市|全街道|辖区|各镇|各单位|各部门|各企业|咱们镇|我们镇|本镇)的?.{0,8}(情况|数据|多少|怎么样|如何|数字)"), {STATS: 2.4}),
    (_R(r"(报了|发现了|整改了|上报了|查出了?|销号了|处罚了|罚了|检查了|排查了|查了)(多少|几)"), {STATS: 2.6}),
    (_R(r"(数据|数字|情况).{0,4}(看|发|给|报|汇总)|(看|发|给|报)(一下|下)?.{0,4}(数据|数字)"), {STATS: 1.4}),
    # report_generate
    (_R(r"(生成|导出|下载|出|做|制作|弄|给我|发我|发给我|打印|导|拉)(一下|一份|一个|个|份|下)?.{0,8}(调度表|报表|清单|台账|表格|表|excel|月报|文件|word|pdf)"),
     {EXPORT: 2.6}),
    (_R(r"(调度表|报表|清单|月报|台账).{0,8}(生成|导出|下载|发|给|怎么|要|交|报送|出|做|弄)"), {EXPORT: 2.0}),
    (_R(r"(附件|表)(1|2|3|4|一|二|三|四)"), {EXPORT: 1.6}),
    # dashboard_login
    (_R(r"(登录|进|打开|上|用|进入)(一下)?.{0,4}(后台|网页|网站|电脑|管理端|管理页面|管理系统|系统)"), {DASHBOARD: 2.6}),
    (_R(r"(电脑|pc|网页|浏览器)(上|端|版)?.{0,6}(看|操作|登录|打开|用|处理|弄)"), {DASHBOARD: 2.2}),
    (_R(r"(网址|地址|链接|入口)(是|发|多少|给|在哪)"), {DASHBOARD: 1.8}),
    (_R(r"(账号|密码|用户名).{0,6}(忘|登录|多少|是什么|是啥|进不去|错误)"), {DASHBOARD: 2.2}),
    (_R(r"(手机|微信)(上)?.{0,6}(看不清|太小|不方便|不好操作)"), {DASHBOARD: 2.2}),
    # greeting: a hello and nothing else (a hello before a request is the request)
    (_R(rf"^(?:{_GREETING_WORDS})(?:[!！。.~～,，?？、 啊呀哈的了哦]*(?:{_GREETING_WORDS}))*[!！。.~～,，?？、 啊呀哈的了哦]*$"),
     {GREETING: 5.5, ACK: -3}),
    # invite_create: a code for somebody else
    (_R(r"(生成|开|发|给|要|弄|搞|创建|新建|申请|出|整|派|做)(一个|个|一下|下|几个|两个|份|张)?.{0,12}邀请码"), {INVITE: 2.4}),
    (_R(r"邀请码.{0,8}(给|发给|让|生成|新的|再来|再发|再要|重新)"), {INVITE: 1.6}),
    (_R(r"(邀请|拉|让|叫|带)(?!我(?!们)).{0,12}(加入|绑定|进来|注册|用上|进群|入驻|也能用)"), {INVITE: 2.6, BIND: -1.0}),
    # 让我们厂的安全员也绑定上: a colleague named as the one to bind
    (_R(r"(让|叫|带|帮)(我们|我们厂|我们公司|厂里|公司)?的?(安全员|安全管理员|负责人|同事|员工|新人|副厂长|经理).{0,6}(也)?(绑定|绑|加入|用上|注册)"),
     {INVITE: 2.0, BIND: -1.5}),
    # someone told me to bind: the sender binds themselves
    (_R(r"(让|叫|要)我(去)?(绑|绑定|注册|关联|认证)"), {BIND: 2.6}),
    # a code typed alone (letters and digits mixed, or a short number after 码): the sender's invite code
    (_R(r"^(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{4,12}$|(?<!查询)(?<!回执)码.{0,6}?\s*(?=[a-z]*\d)[a-z0-9]{4,12}$"), {BIND: 3.0}),
    # 邀请吗 is 邀请码 mistyped when a code follows
    (_R(r"邀请[吗嘛马]\s*(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{4,12}$"), {BIND: 4.0, INVITE: -4.0}),
    (_R(r"(帮我|给我|帮忙|我要|我想|我得|要)绑(上|一下|下)"), {BIND: 2.5}),
    # another code because the last one expired: an invitation, not an overdue hazard
    (_R(r"(再来|再要|再给|再发|再开|重新(发|给|生成|开|弄))(一个|个|几个|一张)?(新的)?(邀请)?码"), {INVITE: 3.0, OVERDUE: -2.0}),
    # the sender's own code that no longer works: still their binding
    (_R(r"码.{0,4}(过期|失效|用不了|不能用|无效|错误|不对)"), {BIND: 2.0, OVERDUE: -2.0}),
    (_R(r"(身份|账号|手机号?|管理员|用户)(的)?绑定|绑定(身份|账号)"), {BIND: 1.5}),
    (_R(r"(新来的|新招的|新任|新的|换了)(安全员|安全管理员|负责人|同事|专干|工作人员).{0,10}(绑|加|用|进|码)"), {INVITE: 2.0}),
    # unbind: leaving, handing over
    (_R(r"(不再|不)(负责|担任)|我(已经)?(不管|不是).{0,10}(负责人|安全员|工作人员|老板|厂长|这家|这个厂|这个公司)|"
        r"(交接|移交)(了)?|(退出|解除|取消|注销)(企业|单位|身份|账号|绑定|关联)"), {UNBIND: 2.6}),
    (_R(r"(解除|取消|删除|删掉|去掉|撤销)(我|我们)的?(绑定|关联|身份|账号)"), {UNBIND: 4.5, BIND: -3.0}),
    (_R(r"(注销|解除|取消|退出|删除|移除|解掉|解了|撤销)(跟|和|与)?(这个|那个|本)?.{0,6}的?(绑定|关联)|(退出|离开)(这个|那个|本)(企业|单位|厂|公司)|"
        r"把我从.{0,8}(移除|删除|删掉|去掉|踢|移出)|误绑|绑错"), {UNBIND: 4.5, BIND: -3.0}),
    (_R(r"(我|本人)(已经)?(离职|调走|辞职|退休|调岗|不干)"), {UNBIND: 2.4}),
    # bind: switching to another enterprise is binding to it
    (_R(r"(切换|更换|换)(到)?(一下|个|一个|另一个|另外一个|别的|其他)?(企业|单位|公司|厂|身份|账号)"), {BIND: 2.8}),
    # dispatch_fill: typing in the monthly figures
    (_R(r"(填|填写|填报|录入|录|补填|补录|报送|上报|交|报)(一下|下)?.{0,8}(调度表|调度数据|调度|月报数据)"), {DISPATCH: 5.5, EXPORT: -2.5}),
    (_R(r"(调度表|调度).{0,8}(填|录|补|报数|改数|改成|数字)"), {DISPATCH: 5.5, EXPORT: -2.5}),
    (_R(r"(能|可以)?出(来)?(吗|了吗|没)|要交的|要报的"), {EXPORT: 2.0, DISPATCH: -3.0}),
    (_R(r"月报.{0,4}(的)?(数|数字|数据)"), {DISPATCH: 3.0}),
    # changing the figures already typed into the dispatch table is filling it
    (_R(r"(修改|更改|更正|改|改一下|调整)(一下)?.{0,4}(调度表|调度)|(调度表|调度)(里|上|的)?.{0,6}(数据|数字).{0,2}(改|修改|更正|错了|不对)"),
     {DISPATCH: 5.5, EXPORT: -2.5}),
    # 调度表 followed by an item and a figure: typing that figure in
    (_R(r"(调度表|调度).{0,10}(次数|家数|金额|起数|人数|条数|数量|组数|人次|场次|份数|罚款|处罚|执法|检查|督导|立案|会议|培训)(是|为|:|：)?\s?\d+"), {DISPATCH: 5.5, EXPORT: -2.5}),
    # 记到调度表里, 填进调度表: a figure going into the table
    (_R(r"(记|填|录|写|加|算|放)(到|进|在)(了)?(调度表|调度|月报)"), {DISPATCH: 5.5, EXPORT: -3.0}),
    # "帮我出一份" is the file, whatever it is due for
    (_R(r"(帮我|给我|帮忙)(出|做|弄|导)(一|个)?份"), {EXPORT: 4.0, DISPATCH: -4.0}),
    (_R(r"填(哪个|什么|啥|哪张)表"), {SC_START: 2.5}),
    (_R(r"(录|填|补|改|更新)(一下|下)?.{0,10}(数字|数据|金额|家数|次数|万元|罚款|处罚|执法|督导|抽查)"), {DISPATCH: 2.2}),
    (_R(r"(罚款|处罚|执法|立案|停产|关闭|曝光|约谈|督导|抽查).{0,8}(多少万|金额|次数|家数|数字|数据).{0,6}(填|录|报|补|登记)"), {DISPATCH: 2.4}),
    # tip_inbox: staff reading the tips that came in
    (_R(r"(待处理|未处理|没处理|新的|新|新来的|收到的|最新的|群众的|有没有|有无|有什么|多少|几条|几个|哪些)(的)?.{0,4}(举报|线索|投诉)"), {INBOX: 2.6}),
    (_R(r"(举报|线索|投诉)(件|单)?.{0,6}(列表|清单|名单|箱|信箱|有哪些|有几|几条|多少|待办|处理一下|要处理|需要处理|分给|派给)"), {INBOX: 2.4}),
    (_R(r"有(人|群众|居民|员工)(举报|反映|投诉)(了)?(吗|没|没有|什么)"), {INBOX: 2.4}),
    # how many tips came in and were settled: statistics
    (_R(r"(收了|收到了?|受理了?|办结了?|处理了|查实了?)(多少|几)(件|条|个|起)?"), {STATS: 3.0, INBOX: -2.0}),
    (_R(r"(待|未|没|还没)(核查|核实|处理|办理|查|办结|回复)的?(举报|线索|投诉)"), {INBOX: 3.5, VERIFY: -2.4}),
    # hazard_detail: one hazard looked at
    (_R(r"(查看|看看|看下|看一下|查一下|查下|打开|调出|显示)(一下)?.{0,10}(隐患|yh|那条|这条|那个问题).{0,8}(详情|详细|具体|情况|信息|照片|内容|记录)?"),
     {DETAIL: 1.4}),
    (_R(r"(隐患|这条|那条|yh).{0,10}(详情|详细情况|详细信息|具体情况|具体内容|是什么情况|什么情况|啥情况|怎么回事|啥问题)"), {DETAIL: 2.2}),
    # counting questions are staff statistics, not reports
    (_R(r"(发现|新增|上报|报了|报上来|整改|销号|查出|排查出)(了)?(多少|几)(条|个|起|处|项|家)?"), {STATS: 2.4, REPORT: -2.2}),
    (_R(r"(各|分别|一共|总共)(是)?(多少|几)|(已整改|未整改|没整改|整改了的|没改的).{0,8}(和|跟|与|及).{0,8}(多少|几)"), {STATS: 2.6, REPORT: -1.5}),
    (_R(r"(这周|本周|上周|这个月|本月|上个月|今年|本季度|最近).{0,6}(发现|新增|报了|上报|整改|销号)(了)?.{0,6}(多少|几)"), {STATS: 1.4}),
    # selfcheck: "did I" is a status question; "go on with" is the self-check itself
    (_R(r"(自查|自检).{0,6}(第几次|几次|多少次|几回|第几轮|几轮|几遍|到期|截止|期限|什么时候(要|得|该)?(做|交|完成))"),
     {SC_STATUS: 3.4, SC_START: -1.5, OVERDUE: -2.0}),
    # "我们厂是不是还没自查": the sender's own self-check, not the staff list of unchecked enterprises
    (_R(r"(我们厂|我们公司|我们单位|我们|厂里|我厂|我司|本厂|本公司|自己)(是不是|是否|有没有|到底)(还)?(没|未)(有)?(做|填|交|搞)?(过)?(自查|自检)"),
     {SC_STATUS: 4.0, UNCHECKED: -3.0, SC_START: -1.5}),
    (_R(r"^(自查|自检|zicha|zijian)[!！。.]*$"), {SC_START: 2.5}),
    (_R(r"(自查|自检)(过)?(了)?(吗|没|没有|么|了没|没得|未)"), {SC_STATUS: 3.0, SC_START: -1.0}),
    (_R(r"(接着|继续|接上|把)(上次|刚才|之前|昨天|没做完|没填完)?(的|没做完的|没填完的)?.{0,4}(自查|自检|问卷|检查表)(做|填|弄|搞|答)?"),
     {SC_START: 3.2, SC_STATUS: -1.5}),
    (_R(r"(上次|刚才|之前|没)(填|做|答)(到一半|了一半|完|一半)"), {SC_START: 2.0}),
    # tip follow-up told as a story
    (_R(r"(举报|反映|投诉)(了|过)?.{0,12}(怎么|咋|为啥|为什么|还是|还|都|也)(没|没有|不见)"), {TIP_QUERY: 2.4, TIP: -1.2}),
    (_R(r"(怎么|咋|为什么|为啥|还是|一直)(还)?(没|没有|不见)(动静|人管|下文|回音|消息|回复|反应|人来|处理|结果|人查|人理)"),
     {TIP_QUERY: 2.2, TIP: -0.8}),
    (_R(r"(举报|反映)(都|已经)?.{0,4}(天|周|礼拜|星期|月)(了)"), {TIP_QUERY: 1.6}),
    # progress told as a fact
    (_R(r"(换|修|装|挪|搬|清|拆|移|撤|配|买|补|加|接|改|弄|收拾|处理|整理|腾)(了)?(新的|好|掉|走|出去|出来|完|上|齐|到位|干净|开)(了)?"), {PROGRESS: 1.6}),
    (_R(r"(已经|已|都)(把|将)?.{0,8}(换|修|装|挪|搬|清|拆|移|撤|配|买|补|加|改|弄|收拾|处理|整改|腾|停用|关停|停)"), {PROGRESS: 1.4}),
    (_R(r"(整改|改|修|弄|处理)(了)?(一半|大半|差不多|一部分|部分)|(还在|正在|在)(弄|修|改|整改|处理|施工|装(?!修)|换|搞|办|整(?!个|体))|快(弄|修|改|整改)?(好|完)了"),
     {PROGRESS: 2.2}),
    # overdue: past the deadline and not fixed
    (_R(r"(过期|超期|逾期|到期|过了期限|超时|过了截止)(了)?(还)?(没|未|没有|仍未|还没)(整改|改|处理|完成|弄|修|销号)"), {OVERDUE: 4.0, REPORT: -1.5}),
    (_R(r"(逾期|超期|过期|到期)的?(隐患|问题|那些|几条|条目|清单|名单|有哪些|有几)"), {OVERDUE: 2.6, REPORT: -1.0}),
    (_R(r"各(是|有)?多少|分别(是|有)?多少|各(是|有)?几"), {STATS: 5.0, PROGRESS: -3.0, VERIFY: -1.0}),
    (_R(r"(隐患|问题)(一共|总共)?(有)?(多少|几)(条|个|起|项|处)"), {STATS: 2.4, REPORT: -0.8}),
    (_R(r"(填|做|答)(到|了)(一半|第(?!几))|继续填|接着填|继续做|接着做"), {SC_START: 2.5}),
    (_R(r"(举报|反映|投诉).{0,12}(还是老样子|还是那样|照旧|没变|依旧|没改|没人管)"), {TIP_QUERY: 2.4, TIP: -1.0}),
    (_R(r"(生成|开|发|给|弄|整)(一个|个|几个|两个|三个)?(新的)?码"), {INVITE: 3.0}),
    (_R(r"(再|重新)(给他|给她|给他们|给)?(生成|发|开|弄|来|做)(一个|个|一张|张)|^来个码|^码\s"), {INVITE: 3.0, EXPORT: -2.5}),
    (_R(r"邀请.{0,4}(同事|企业|负责人|安全员|工作人员|别人|他|她|人|新人)"), {INVITE: 3.0}),
    (_R(r"(整改|销号|发现|上报|排查)(完成|完|好|出)?(了)?(多少|几)"), {STATS: 3.0, PROGRESS: -3.0, VERIFY: -1.0}),
    (_R(r"(现在|至今|到现在|还是)(还)?在(违规|生产|干|营业|住人|充电|堆|用|排)"), {TIP_QUERY: 1.5}),
    # a tip already made and the thing still going on, or nobody came: a follow-up
    (_R(r"(举报|反映|投诉)(的|过的|了的).{0,12}(现在|至今|到现在|还是)(还|也|照样|依然)(在)?(住着|开着|堆着|锁着|用着|干着|生产|营业|排|停着|充着)"),
     {TIP_QUERY: 2.5, TIP: -1.5}),
    (_R(r"(举报|反映|投诉)(了|过)(.{0,8})?(没人|没有人|没见人|没见有人)(来|管|理|查|处理|回)?"), {TIP_QUERY: 3.0, TIP: -1.5}),
    (_R(r"(我|我们|之前|上次|前几天|上周|上个月|上月|昨天|前天|刚才|刚刚|那天)(上)?报(上去)?的"), {REPORT: -2.5, DETAIL: 1.5}),
    # who reported it, when, whose it is, what became of it: questions about one hazard already on file
    (_R(r"(啥时候|什么时候|哪天|几号)(报|发现|登记|上报|提交|查出)(来)?的|(这条|那条|这个|那个)(隐患|问题).{0,4}(是)?(哪个|哪家|哪一家)(企业|厂|公司|单位)"),
     {DETAIL: 3.0, REPORT: -2.0}),
    (_R(r"(是)?谁(报|发现|提交|登记|查出)(来)?的|报的.{0,8}(后来|现在|最后)?.{0,2}(怎么|咋|如何)(处理|弄|办|解决|样)(的|了)?"),
     {DETAIL: 2.5, REPORT: -2.0}),
    (_R(r"(那条|那个|这条)[^，,。]{0,10}(现在|目前)?(是)?(啥|什么)?状态[?？吗]*$|(记录|详情)(调|拿|找)出来|看下详细|看一下详细|(隐患|问题)单子|谁负责的"),
     {DETAIL: 3.0, REPORT: -2.4}),
    (_R(r"(那条|这条)(隐患|问题)?的?.{0,2}(整改)?(期限|截止|时限|记录|照片|详情|内容)|"
        r"(调出|调一下|调取|翻出|找出|调)(一下)?.{0,12}(记录|那条|这条|详情)"), {DETAIL: 3.2, REPORT: -2.4, OVERDUE: -1.0}),
    (_R(r"(那条|这条|那个|这个|那几条)(隐患|问题).{0,6}(具体|写的|写了|内容|说的|是什么|是啥|啥意思|什么意思)"),
     {DETAIL: 3.2, REPORT: -2.0, VERIFY: -1.0}),
    (_R(r"(清扫|打扫|清除|清运|更换|维修|加固|修复|封堵|疏通)(了)?(干净|好|完|掉|到位|完毕)?了"), {PROGRESS: 2.2, REPORT: -1.0}),
    # the business sold or closed: the sender no longer speaks for it
    (_R(r"(厂|公司|企业|店|工厂)(子)?(已经)?(卖|转让|转手|倒闭|注销)(了|掉了|出去了)"), {UNBIND: 3.0}),
    (_R(r"不想绑|不绑了|不要绑了|别绑了|不想(关联|挂在)"), {UNBIND: 4.0, BIND: -3.0}),
    (_R(r"不干(了|安全员|负责人|这个)|我不管了|(转给|卖给|交给)(别人|其他人|新老板)"), {UNBIND: 3.0}),
    (_R(r"(绑定|关联).{0,4}(解除|取消|删掉|去掉|解了)"), {UNBIND: 4.5, BIND: -3.0}),
    (_R(r"(处罚|罚款|执法|抽查|督导|检查)的?(金额|数字|次数|家数|数据|情况|那几项).{0,6}(改|录|填|补|报|更新)"), {DISPATCH: 3.0}),
    (_R(r"生成|导出|下载|打印"), {DISPATCH: -3.0}),
    (_R(r"(做|填|开始|搞|进行|来|要|准备)(一下|个|次|一次)?.{0,6}(安全检查|月度检查|季度检查|例行检查|安全自查|隐患排查|排查表)"),
     {SC_START: 2.4}),
    (_R(r"(安全检查|月度检查|季度检查|安全自查|隐患排查).{0,4}(开始|做|填|搞)"), {SC_START: 2.4}),
    (_R(r"开通|开户|入驻|注册(一下)?账号|我有(一个|个)?(码|邀请码)|(邀请)?码是"), {BIND: 2.2}),
    (_R(r"(都)?会(些|点)?(什么|啥子?)[?？呀啊呢]*$|(啥子|什么|哪些|啥)功能|支持(哪些|什么|啥)|^menu$|"
        r"(介绍|说明|讲)(下|一下)?.{0,6}(用法|功能|怎么用|使用)|操作手册|使用手册|用户手册|不晓得(做|干|弄)(啥|什么|啥子)"), {MENU: 3.2, ACK: -3.0}),
    (_R(r"你是谁|你是干(嘛|什么|啥)的|这(是|个是)(干嘛|什么|啥)(的|东西)?|(干嘛|干啥|做什么)用的|有(什么|啥)用|能(干|做|办)(嘛|啥|什么)"),
     {MENU: 3.0}),
    (_R(r"教(教)?我|指引|引导|服务(项目|内容)|(可以|能)(办|做|干)(哪些|什么|啥)|(有|都有)(哪些|什么|啥)(服务|业务|事项|功能)|"
        r"不知道(怎么|咋|该)(用|弄|操作)|第一次用|新手(?!机)|刚关注|怎么玩"), {MENU: 2.4}),
    (_R(r"不(当|做|干|担任)(负责人|安全员|老板|厂长|专干|联络员)(了)?"), {UNBIND: 3.0}),
    (_R(r"(发|给|开|要|生成)(个|一个|几个)?邀请(?!码)|邀请(?!码)"), {INVITE: 2.6}),
    (_R(r"(调度|调度表)(的)?(数据|数字)?.{0,4}(上报|报送|填报|录入|报上去)"), {DISPATCH: 4.0, STATS: -2.0, REPORT: -2.0}),
    (_R(r"(期限|截止|整改时间|时限)(是|到|在|定在|定的)?(哪天|几号|什么时候|多久|啥时候|哪一天)"), {DETAIL: 3.0, OVERDUE: -1.5}),
    # the day a fix is due, asked: 要求啥时候改完
    (_R(r"(要求|规定|限定|限|让)(我们)?(在)?(啥时候|什么时候|哪天|几号|多久)(之前|前)?(改完|整改完|完成|改好|弄完|整改)"),
     {DETAIL: 3.0, PROGRESS: -2.0}),
    (_R(r"(超过|超出|过了)(了)?(整改)?(时间|期限|时限|日期|截止)"), {OVERDUE: 3.5, REPORT: -1.0}),
    (_R(r"(期限|截止日期|截止时间|截止|整改日期|时限)(已|已经)?过(了)?|过期未(闭环|整改|销号)"), {OVERDUE: 3.5, REPORT: -1.0, EXPORT: -2.0}),
    (_R(r"(返回|回到|回)(主页|首页|主界面|开始)|^(帮帮我|帮个忙|求助|救命)[!！。.]*$"), {MENU: 3.0}),
    (_R(r"(反映|举报|投诉)(了|过)?(好几|几|两|三|多)(次|回|遍)|(都|已经)(反映|举报|投诉)(了|过)?(好几|几|两|三|\d)(次|回|遍)"),
     {TIP_QUERY: 3.0, TIP: -1.0}),
    (_R(r"(开始|来|我要|我想|要)(答题|做题|填表|填问卷|答卷|做问卷)|^(开始|开始吧|走起|开整)[!！。.]*$"), {SC_START: 2.0}),
    (_R(r"搞定(?!了?(没|吗))|弄完(?!了?(没|吗))|^好了|已经好了|处理完毕|安排(了)?(人|师傅|电工)?(来)?(修|换|整改|处理|清理)|找(了)?(人|师傅|电工)(来)?(修|换|弄|看|整改)|"
        r"(明天|后天|下周|这周|本周|月底前?|过几天|马上)(就|能|会|可以)?(来)?(换|修|弄|装|整改|处理|完成|搞定|好)|已落实|已安排|已联系|材料(已经)?(买|到)"),
     {PROGRESS: 2.0}),
    (_R(r"(罚了|罚款|处罚|立案|抽查了?|检查了|督导了?|约谈了?|停产|关闭|曝光了?|移送了?|问责了?).{0,6}\d+(家|次|起|万|元|人|个|件)"),
     {DISPATCH: 2.6, STATS: -1.0}),
    (_R(r"^(继续|接着)(刚才|上次|之前|昨天)?的?(做|填|弄|答)?(吧)?$"), {SC_START: 2.2}),
    (_R(r"(清理|整理|收拾|拆除|腾|清)(了)?(出来|干净|掉|完|好)"), {PROGRESS: 2.0}),
    (_R(r"(?<!被)(?<!没)(?<!没有)(?<!未)(拆除|消除|排除|清除|更换|加装|安装|恢复|装回|放回|挂回|换上|装上)(了|去了|完毕|好了|到位)|已(消除|排除|拆除|恢复|更换|加装)"),
     {PROGRESS: 3.0, REPORT: -1.5}),
    (_R(r"(?<!被)(?<!被人)(?<!自)(?<![要该])(换|装|补|改|(?<!装)修|挪|撤)(了)(新的|个|一个|电池|灯|锁|门|线|管|阀)?($|[，,。.;；!！\s]|现在)"), {PROGRESS: 2.4, REPORT: -1.0}),
    # the lock taken off an exit is the fix, not the hazard
    (_R(r"锁(已经|都|也)?(拆|打开|去掉|取下|撤|卸)(了|掉|下来)"), {PROGRESS: 3.0, REPORT: -2.0}),
    (_R(r"(一下子|一时|暂时|短期内?|马上)(改|整改|弄|修)不(了|好|完)|要等.{0,8}(改造|资金|停产|拨款|审批|施工)"), {PROGRESS: 3.0}),
    (_R(r"还(要|需要|得|差|应该)(再)?(报|上报|发现)(几|多少)"), {QUOTA: 1.5, REPORT: -2.5}),
    (_R(r"报数|报个数|报数字|填数|填数字|(数|数字|数据)(要|得|需要)?(报|填|录)"), {DISPATCH: 2.4}),
    # the month's work in figures, to be typed in: 出动检查人员36人次 帮我填进去, 检查组数6 会议2 培训1
    (_R(r"(出动|开展|组织|召开|发放|培训|检查|宣传|参训|会议|执法|督导).{0,8}\d+.{0,3}(人次|次|场|份|人|家|组|起|个|期).{0,16}"
        r"(填|录|记|写|加|报)(进去|一下|上|表|到|进|了)?"), {DISPATCH: 3.0, STATS: -1.0}),
    (_R(r"((人次|组数|会议|培训|宣传|检查|执法|处罚|罚款|立案|出动|督导|约谈)[^\d]{0,4}\d+[^\d]{0,6}){2,}"), {DISPATCH: 2.6}),
    (_R(r"换工作|不在.{0,6}(干|做)了|把我(删|移除|去掉|踢)|退出(登录|账号)|不用这个号|换岗"), {UNBIND: 2.6}),
    (_R(r"没问题了|合格了|符合要求|可以了|达标了|落实到位|通过了|确认(已经)?整改|核验"), {VERIFY: 1.8}),
    (_R(r"(不到位|不合格|没改好|没整改好).{0,12}(打回|退回|驳回|重新整改|返工)|(去|来)验|整改不到位"), {VERIFY: 3.0, REPORT: -2.0}),
    (_R(r"现场(看|查|去)(了|过)|(去|到)(现场|厂里|企业)(看|查)(了|过)"), {VERIFY: 2.0}),
    (_R(r"^(去|到)?(看|查)(了|过)(了)?[\s，,]|验(一下|下)|先不销|暂不销|不能销|不予销号|(接着|继续|重新)(改|整改)"), {VERIFY: 2.4}),
    (_R(r"(还)?差(一点|一些|点儿?)(没|就|才)?"), {QUOTA: -2.6}),
    (_R(r"(我|之前|上次|前几天|上个月|上周|前段时间|那次|昨天)(的|所|曾经|已经)?(举报|反映|投诉)(过|了)?的?"), {TIP_QUERY: 1.8, TIP: -0.8}),
    (_R(r"二维码|扫码"), {INVITE: 1.5, BIND: 1.5}),
    # reminder_ack: a short reply to a reminder
    (_R(r"^(收到|已阅|好的|好|ok|okay|嗯|嗯嗯|恩|恩恩|明白|明白了|知道了|知道|了解|收到收到|好的收到|已收到|收到了|好嘞|好滴|好哒|"
        r"晓得了|晓得|中|行|可以|没问题|遵命|是的|谢谢|谢谢提醒|多谢|辛苦了|马上办|马上|okk|k|1|👌|嗯嗯好的|好的好的|要得|得嘞|得勒|妥|妥了|妥妥的|中嘞|照办|了解了)"
        r"[!！。.~～,，、 啊呀哈的了]*$"), {ACK: 4.5}),
    (_R(r"(马上|立即|尽快|这就|抓紧|按时|及时|会|一定)(去)?(办|处理|落实|安排|完成|弄|搞|报|交|填)"), {ACK: 1.6}),
    (_R(r"^(好|好的|行|嗯|嗯嗯|收到|明白|知道了|ok)[!！。.~～,，、 ]*(我们|我)?(马上|立即|尽快|这就|抓紧|立刻|回头|等下|等会儿?|晚点|稍后|过会儿?)(就)?(去)?(办|处理|落实|安排|弄|搞|改|整改|去)?(了)?[!！。.~～]*$"),
     {ACK: 4.0, PROGRESS: -2.0}),
    (_R(r"(提醒|通知|消息|信息)(已|我)?(收到|知道|看到|已阅|看了)|(收到|看到)(提醒|通知|消息)"), {ACK: 2.2}),
    (_R(r"(没|没有|未|还没)(收到|看到|阅)"), {ACK: -4}),
)


_LOOK = _R(r"查看|看看|看下|看一下|查一下|查下|打开|调出|显示|详情|详细|情况|怎么回事|记录|照片|信息|内容|啥问题|什么问题|"
          r"怎么样|进展如何|进度如何|到哪|状态|现在|目前|[?？]|吗$|了没")


def keyword_vocabulary() -> list[str]:
    """Words the tokenizer must keep whole so TOKEN_WEIGHTS can see them."""
    return [w for w in TOKEN_WEIGHTS if not w.isascii() and len(w) > 1]


@dataclass(frozen=True)
class Scored:
    intent: str
    confidence: float
    candidates: tuple[tuple[str, float], ...]
    ambiguous: bool


def score(tokens: list[str], text: str, *, has_receipt: bool = False, has_hazard_number: bool = False) -> dict[str, float]:
    totals: dict[str, float] = {}
    for token in set(tokens):
        weights = TOKEN_WEIGHTS.get(token)
        if weights:
            for intent, w in weights.items():
                totals[intent] = totals.get(intent, 0.0) + w
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
        totals[DETAIL] = totals.get(DETAIL, 0.0) + (4.6 if _LOOK.search(text) or not text.strip() else 1.2)
    return totals


# Words that join two requests in one message ("上报隐患，顺便查一下逾期的"). Plain commas are not enough: a
# rambling description has many clauses about one thing.
CLAUSE_JOINERS = re.compile(r"[，,。.;；!！?？\s]*(?:顺便|另外|同时|并且|然后|以及|再帮我|再把|再看|再查)|[，,;；]\s*(?:还有|还要|再)")


def clauses(text: str) -> list[str]:
    return [part for part in CLAUSE_JOINERS.split(text) if part and part.strip()]


def requests_in(clause_tops: tuple[str, ...]) -> list[str]:
    """The distinct requests the clauses of a joined message make, in order; two or more: a mixed message."""
    return [i for i in dict.fromkeys(clause_tops) if i != UNKNOWN]


def decide(totals: dict[str, float], clause_tops: tuple[str, ...] = ()) -> Scored:
    """Ranks the totals; `clause_tops` are the winners of separately scored clauses of a joined request."""
    ranked = sorted(((i, s) for i, s in totals.items() if s > 0), key=lambda item: (-item[1], INTENTS.index(item[0])))
    if not ranked or ranked[0][1] < MIN_SCORE:
        strength = ranked[0][1] if ranked else 0.0
        confidence = 1.0 - _saturate(strength)
        weak = tuple((i, round(s / (s + MIN_SCORE), 3)) for i, s in ranked[:MAX_CANDIDATES - 1])
        return Scored(UNKNOWN, confidence, ((UNKNOWN, round(confidence, 3)),) + weak, False)
    top_intent, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    kept = [(i, s) for i, s in ranked if s >= 0.4 * top][:MAX_CANDIDATES]
    total = sum(s for _, s in kept)
    candidates = tuple((i, round(s / total, 3)) for i, s in kept)
    confidence = _saturate(top) * top / (top + second)
    ambiguous = second >= AMBIGUOUS_RATIO * top and second >= AMBIGUOUS_FLOOR
    mixed = requests_in(clause_tops)
    if len(mixed) >= 2 and top_intent in mixed:
        # Two requests in one message: both must be offered, whatever their weight in the whole text.
        ambiguous = True
        chosen = [(i, totals[i]) for i in mixed[:MAX_CANDIDATES]]
        kept = sorted(chosen, key=lambda item: -item[1])
        total = sum(s for _, s in kept)
        candidates = tuple((i, round(s / total, 3)) for i, s in kept)
    return Scored(top_intent, confidence, candidates, ambiguous)


def _saturate(strength: float) -> float:
    # Maps an unbounded weight total onto 0..1: one strong keyword (~3) is about 0.7.
    return 1.0 - math.exp(-strength / 2.5)
