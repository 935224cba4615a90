"""Recognizer: one message in, intent with candidates and entities out."""
from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from . import entities as ent
from . import roles
from .bayes import Bayes
from .dates import DEFAULT_FESTIVALS, Festivals, find_dates, numerals_to_digits
from .dictionary import load_tokenizer
from .intents import (
    AMBIGUOUS_FLOOR,
    MIN_SCORE,
    PROGRESS,
    REPORT,
    TIP,
    UNKNOWN,
    clauses,
    decide,
    requests_in,
)
from .lexicon import Lexicon
from .model import ANY_ROLE, Entities, NluResult, Situation
from .names import NameIndex
from .normalize import for_intent, normalize
from .periods import find_period
from .rules import ABOUT_THE_CAMPAIGN, NEWS, OFF_TOPIC, keyword_vocabulary, score

# Words of a fix already made or under way: the hazard words around them describe what was fixed.
# (已经 … 换 but not 都被装修吊顶盖住了: a passive 被 tells what was done to the site, not a fix.)
FIXED = re.compile(r"(已经|已|都)(把|将)?(?:(?!被).){0,8}(换|修|装|挪|搬|清|拆|移|撤|配|买|补|整改|处理|腾|停)|"
                   r"(换|修|装|挪|搬|清|拆|移|撤|配|买|补|改|弄|整理|处理|腾|拉|穿)(了)?(新的|好|掉|走|出去|完|齐|到位|干净)|(挪|搬|移|换|放)(到|成)|(清理|整理|收拾|腾)(了)?(出来|干净|掉|完|好)|(清扫|打扫|清除|清运|更换|维修|加固|修复|封堵|疏通)(了)?(干净|好|完|掉|到位|完毕)?了|重新(装|拉|换|接|布|弄|修)|"
                   r"整改(了|完|好|到位|完成|中)|(建好|装好|接通|开通|通水|送去?(校验|检测|检定|年检|维修))了|"
                   r"买(回来|到|好)了|到货了|等(师傅|电工|厂家|配件|人)|分开(放|存放|摆|存)了?|隔开了|(挂|贴|装|配|安|补)上了|租了|(改|修|拆|换|整改|清|弄|搞|装)了(一半|一多半|大半|多半)|"
                   r"(全部|全都|都)(拆|换|清理?|撤|移|搬|挪)(了|掉|走|完)|(装|安装|配|加装|增设)了.{0,8}(充电桩|充电柜|灭火器|烟感|喷淋|报警器|护栏|防护罩|应急灯|指示灯)|(补|加|充|灌)满|不让.{0,3}(充电|住人|住|放|堆|抽烟|吸烟)了?|"
                   # what is taken away to fix a site (bars on windows, partitions, locks), not a guard or a detector
                   r"(防盗网|铁栅栏|栅栏|违建|隔断|隔间|锁|铁丝网|彩钢板|彩钢房|阁楼)(都|已经|已)?(被)?拆(了|掉|除)|试过|试了.{0,4}(能|可以|没问题|正常)|"
                   r"(不再|再也不|就不)(充|放|堆|住|用|烧)|(不|没人)(充|堆|住|放)了|还在(弄|修|改|整改|处理|施工)|正在(整改|修|处理|更换|施工)")
# "还没整改完": the fix words are negated.
NOT_YET = re.compile(r"(还没|没有|没|未|尚未)(有)?(整改|改|修|换|处理|弄|清|拆)|"
                     # a fix owed, not done: 几号之前要弄完, 必须改好
                     r"(必须|需要|应该|得|之前要|前要)(弄|改|整改|修|换|处理)(完|好)|"
                     r"(啥时候|什么时候|哪天|几号|多久)(之前|前)?(要|得|必须)?(改|整改|弄|修|换)(完|好)|"
                     # done again and again, not done: 白天再挪走
                     r"再(挪|搬|移|拆|清|换)|"
                     # a stopgap or an order, not a fix: 已临时停用该区域, 已下整改通知书
                     r"临时|整改(通知|指令)|责令|"
                     # a guard taken off is the danger, not its fix: 机器防护罩拆掉了
                     r"(防护罩|防护栏|护栏|防护网|盖板|安全装置|限位器?|联锁|报警器|灭火器|烟感)(被)?(拆|卸|取)(掉|了|下)")
QUESTION_END = re.compile(r"(没有|没|吗|么|了没|没得|不|否|[?？])[啊呀呢的]?$")
QUESTION = re.compile(r"怎么样|怎么没|咋没|为什么|为啥|什么时候|有结果|有回复|处理了没|查了没|进展|进度|结果")
# Words of who the sender is: from a stranger, a wish to be bound.
IDENTITY = re.compile(r"接手|接任|刚来|新来的|我们厂|我们公司|我们单位|我厂|我司|我是(?!谁)|本人是|我们是|身份|邀请码|认证|注册|开通|加入|关联|负责人|安全员|安全管理员|工作人员|法人|老板|厂长")
# Words naming someone else to be bound: staff speaking of binding then mean an invitation for them.
OTHERS = re.compile(r"企业|厂|公司|单位|老板|负责人|安全员|同事|别人|他们|他|她|新人|新来|人家|对方|给(?!我).{0,4}绑|帮(?![我忙]).{0,4}绑|邀请(?!码)")
# The model reads words: digits and signs alone ("1111111") it would place by their shapes.
_WORDS = re.compile(r"[\u4e00-\u9fffa-z]")
# Words of staff binding their own account though a unit is named (我是住建局的 要绑定单位, 工号3307, a code typed).
SELF_BINDING = re.compile(r"我是|本人|新调|调来|调到|刚调|刚到|工号|我的(账号|微信|手机)|(账号|手机号?)怎么绑|"
                          r"邀请码\s*[:：]?\s*(?=[a-z]*\d)[a-z0-9]{4,}")
# Words of someone who wants to stay unknown, or who speaks of 举报 itself or of its receipt.
ANONYMOUS = re.compile(r"举报|匿名|检举|吹哨|投诉|不留名|不想留|保密|线索|查询码|回执")
# Another's site named: an enterprise describing a danger there is tipping, not reporting its own.
ELSEWHERE = re.compile(r"隔壁|对面|旁边(那|的)?(家|个)|邻居|别(人|家)的?(厂|店|公司|工地)|人家(厂|店|公司)|路过")


# The character model is believed on its own only at or above this probability: on five folds of the own set
# its guesses that sure were right 94 % of the time and took 2 of 46 chit-chat lines for requests.
BAYES_SURE = 0.95
# Where the rules are unsure of their winner (confidence below RULES_UNSURE), a model all but certain of
# another intent (OVERRULE_SURE) is believed instead. Chosen on two sets the rules were not tuned to, each
# measured with the model trained without it: 89.3 → 93.2 % and 89.7 → 92.1 %.
RULES_UNSURE = 0.6
OVERRULE_SURE = 0.99
# Off-topic words (rules.OFF_TOPIC) take this much from every intent: only a request made in plain words
# as well survives them.
OFF_TOPIC_PENALTY = 4.0
# A fix told as a fact is progress at least this strongly (just above what any intent needs to be believed).
TOLD_FIX = MIN_SCORE + 0.2


# A change of mind within one message: what follows is what the person wants (按镇统计一下 算了 直接把调度表导给我,
# 开始自查 哦不是 我是要报个隐患 …).
CHANGE_OF_MIND = re.compile(r"算了|[哦噢]?(?<!对)不对|[哦噢]不是?|搞错了|说错了|等等|等一下")


# What starts a report or a tip before its description: 我要举报 / 匿名举报一下 / 上报隐患： / 发现一个隐患，…
REPORT_LEAD = re.compile(r"^(我要|我想|想|要)?(匿名)?(举报|投诉|上报|报告|反映|发现)(一下|一个|一处|一条)?"
                         r"(安全)?(隐患|问题|情况)?[\s:：，,。、\-—]*")


class Recognizer:
    def __init__(self, extra_userdict: Path | None = None,
                 festivals: Mapping[str, Iterable[date]] | None = None) -> None:
        # The deadline reader's lunar holidays: the built-in table, with the config's names replacing theirs.
        self.festivals: Festivals = {**DEFAULT_FESTIVALS,
                                     **{name: tuple(sorted(days)) for name, days in (festivals or {}).items()}}
        words = keyword_vocabulary() + ent.vocabulary()
        self._tokenizer, dictionary_seconds = load_tokenizer(extra_userdict, words)
        started = time.perf_counter()
        self.lexicon = Lexicon.load()
        self.bayes = Bayes.load()
        self.model_threshold = BAYES_SURE  # above 1: the rules alone decide (the benchmark compares both)
        self.startup_seconds = dictionary_seconds + time.perf_counter() - started

    def description_in(self, text: str) -> str:
        """The hazard a message that starts a report or a tip already describes ("上报隐患 通道被货堵了",
        "消防通道被货堵住了"), without its leading report words; "" when it describes nothing (a bare
        "我要举报", "举报一家企业"), so the flow asks as usual. One home for this, so the report and the tip
        read a first message alike."""
        rest = REPORT_LEAD.sub("", text.strip(), count=1).strip()
        if len(rest) < 4:
            return ""
        if self.lexicon.hits(rest).situation >= 1.2 or len(rest) >= 10:
            return rest
        return ""

    def tokens(self, text: str) -> list[str]:
        # HMM off: unknown spans fall apart into characters, which our keyword table ignores anyway, and the
        # split is deterministic and faster.
        return [t for t in self._tokenizer.lcut(text, HMM=False) if t.strip()]

    def recognize(self, text: str, *, today: date, names: NameIndex | None = None, role: str | None = ANY_ROLE,
                  situation: Situation | None = None) -> NluResult:
        normalized = normalize(text)
        if not normalized:
            return NluResult(text, UNKNOWN, 1.0, ((UNKNOWN, 1.0),), False, Entities())
        hazard_numbers = ent.hazard_numbers(normalized)
        receipts = ent.receipt_codes(normalized)
        # Codes are removed before the rest reads the text: a code's letters are neither pinyin nor dates.
        plain = ent.strip_codes(normalized) if hazard_numbers or receipts else normalized
        dated = numerals_to_digits(plain).replace(" ", "")
        entities = Entities(
            dates=tuple(find_dates(dated, today, prepared=True, festivals=self.festivals)),
            period=find_period(dated, today, prepared=True),
            industries=tuple(ent.industries(plain)),
            level=ent.level(plain),
            hazard_numbers=tuple(hazard_numbers),
            receipt_codes=tuple(receipts),
            names=tuple(names.match(plain)) if names is not None else (),
        )
        intent_text = for_intent(plain)
        changed = list(CHANGE_OF_MIND.finditer(intent_text))
        if changed and len(rest := intent_text[changed[-1].end():].strip(" ，,。.！!")) >= 4:
            intent_text = rest
        totals = score(self.tokens(intent_text), intent_text,
                       has_receipt=bool(receipts), has_hazard_number=bool(hazard_numbers))
        hits = self.lexicon.hits(intent_text)
        situation_weight = hits.situation
        # "弄完没有" asks whether something is done; it tells nothing.
        fixed = (FIXED.search(intent_text) is not None and not QUESTION_END.search(intent_text)
                 and not NOT_YET.search(intent_text))
        if fixed:
            totals[PROGRESS] = totals.get(PROGRESS, 0.0) + 1.0
            others = max((v for k, v in totals.items() if k != PROGRESS), default=0.0)
            if role in roles.ENTERPRISE and others < MIN_SCORE:
                # An enterprise telling a fix as a fact and nothing else ("消防水池补满水了") speaks of one of
                # its hazards.
                totals[PROGRESS] = max(totals[PROGRESS], TOLD_FIX)
        if situation_weight:
            if fixed:
                # A fix told as a fact names the problem it fixed: that is progress, not a new report — and
                # a fix word with a hazard's thing is enough to say so ("压力表送去校验了").
                totals[PROGRESS] = max(totals.get(PROGRESS, 0.0) + 0.3 * situation_weight, TOLD_FIX)
            else:
                totals[REPORT] = totals.get(REPORT, 0.0) + situation_weight
                totals[TIP] = totals.get(TIP, 0.0) + 0.3 * situation_weight
        anonymous = bool(ANONYMOUS.search(intent_text)) or bool(receipts)  # a tip's receipt code
        elsewhere = bool(ELSEWHERE.search(intent_text))
        not_own = anonymous or elsewhere
        totals = roles.apply(totals, role, situation, anonymous=anonymous, elsewhere=elsewhere,
                             hazard_words=situation_weight >= 1.0, identity=bool(IDENTITY.search(intent_text)),
                             question=bool(QUESTION_END.search(intent_text) or QUESTION.search(intent_text)),
                             for_others=bool(OTHERS.search(intent_text)) and not SELF_BINDING.search(intent_text))
        tops = self._clause_tops(intent_text, role)
        described = situation_weight >= 1.2 and not (NEWS.search(intent_text) or ABOUT_THE_CAMPAIGN.search(intent_text))
        if not described and not fixed and OFF_TOPIC.search(intent_text):
            # Nothing this bot does — unless a danger is described too (送外卖的 …通道被堵死了; not one in the news,
            # nor one asked about) or a fix is told (缺个零件 要等快递): the clarifying menu (its likeliest guesses)
            # rather than a guess.
            decided = decide({name: value - OFF_TOPIC_PENALTY for name, value in totals.items()}, tops)
            return NluResult(text, decided.intent, decided.confidence, decided.candidates, decided.ambiguous, entities)
        decided = decide(totals, tops)
        if decided.intent == UNKNOWN and _WORDS.search(intent_text):
            return self._second_opinion(text, intent_text, role, not_own, decided.candidates, entities)
        two_requests = len(requests_in(tops)) >= 2  # both are offered; the model knows one intent a text
        if decided.confidence < RULES_UNSURE and not two_requests and self.model_threshold <= 1:
            best, p = self._model_ranking(intent_text, role, not_own)[0]
            # The model reads a fix told as a fact by the words around it (the hazard, its deadline): where one
            # is told, it may only confirm progress, never overrule toward anything else.
            told_fixed = fixed and best != PROGRESS
            # Nor toward an intent a rule counts against (那几条: several hazards, not one's details).
            ruled_out = totals.get(best, 0.0) < 0
            if best not in (UNKNOWN, decided.intent) and p >= OVERRULE_SURE and not told_fixed and not ruled_out:
                return NluResult(text, best, p, ((best, round(p, 3)),), False, entities)
        return NluResult(text, decided.intent, decided.confidence, decided.candidates, decided.ambiguous, entities)

    def _model_ranking(self, intent_text: str, role: str | None, not_own: bool) -> list[tuple[str, float]]:
        """The character model's intents, best first, as this sender means them (`not_own`: the text asks for
        anonymity or names another's site)."""
        return [(roles.fold(name, role, not_own=not_own), p) for name, p in self.bayes.posterior(intent_text, role)]

    def _second_opinion(self, text: str, intent_text: str, role: str | None, not_own: bool,
                        weak: tuple[tuple[str, float], ...], entities: Entities) -> NluResult:
        """No rule placed the text: the character model's guess when it is clearly sure, else still unknown
        with its likeliest guesses as the candidates a clarifying menu offers."""
        ranked = self._model_ranking(intent_text, role, not_own)
        best, p = ranked[0]
        if best != UNKNOWN and p >= self.model_threshold:
            return NluResult(text, best, p, ((best, round(p, 3)),), False, entities)
        guesses = tuple((name, round(q, 3)) for name, q in ranked if name != UNKNOWN)[:3]
        seen = {name for name, _ in weak}
        return NluResult(text, UNKNOWN, weak[0][1], weak + tuple(g for g in guesses if g[0] not in seen), False,
                         entities)

    def _clause_tops(self, intent_text: str, role: str | None) -> tuple[str, ...]:
        parts = clauses(intent_text)
        if len(parts) < 2:
            return ()
        tops: list[str] = []
        for part in parts:
            totals = roles.apply(score(self.tokens(part), part), role, None,
                                 anonymous=bool(ANONYMOUS.search(part)), hazard_words=False)
            if totals:
                best, value = max(totals.items(), key=lambda item: item[1])
                if value >= AMBIGUOUS_FLOOR:
                    tops.append(best)
        return tuple(tops)
