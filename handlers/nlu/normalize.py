"""Text clean-up applied before any matching: width, script, emoji, common typos, pinyin initials.

Everything downstream (dates, entities, intents) sees the same normalised string, so each rule lives here
once instead of being repeated as alternatives in every pattern.
"""
from __future__ import annotations

import re
import unicodedata

# Traditional -> simplified for the characters our vocabulary and typical messages use. Not a general
# converter (no OpenCC dependency): a character missing here only costs recall of a rare word.
_TRAD = (
    "隱隐 報报 舉举 檢检 導导 這这 個个 們们 還还 幾几 沒没 麼么 號号 時时 間间 過过 後后 週周 於于 從从 來来 說说 "
    "請请 問问 單单 業业 裡里 裏里 開开 關关 統统 計计 數数 據据 彙汇 匯汇 總总 處处 進进 確确 認认 銷销 帳账 賬账 "
    "臺台 務务 員员 長长 鎮镇 區区 縣县 閱阅 謝谢 讓让 給给 樣样 點点 發发 現现 實实 際际 態态 應应 該该 會会 網网 "
    "頁页 錄录 將将 為为 對对 錯错 誤误 風风 險险 電电 梯梯 機机 械械 氣气 築筑 設设 礦矿 學学 園园 運运 輸输 車车 "
    "輛辆 費费 錢钱 萬万 節节 慶庆 掛挂 辦办 調调 製制 題题 擔担 幫帮 綁绑 邀邀 碼码 當当 嗎吗 經经 營营 動动 無无 "
    "與与 歸归 檔档 類类 別别 級级 條条 項项 內内 兩两 禮礼 週周 連连 結结 並并 餘余 驗验 證证 審审 覈核 簽签 種种 "
    "備备 鍋锅 爐炉 廠厂 倉仓 庫库 門门 見见 場场 鋼钢 違违 規规 專专 遞递 寫写 詢询 構构 負负 責责 記记 紀纪 歷历 "
    "舊旧 啟启 啓启 態态 達达 標标 況况 匿匿 議议 訴诉 揭揭 獎奖 勵励 領领 處处 辦办 狀状 態态 傳传 圖图 片片 夠够 "
    "缺缺 剩剩 齊齐 滿满 聽听 讀读 識识 錄录 碼码 戶户 帳账 號号 臨临 層层 辭辞 聯联 繫系 係系 簡简 報报 鄉乡 鎮镇 "
    "區区 縣县 劃划 屬属 務务 產产 災灾 滅灭 燈灯 線线 貨货 險险 溝沟 壓压 鏈链 瓦瓦 斯斯 煙烟 爆爆 竹竹 礦矿 農农 "
    "機机 體体 育育 遊游 藝艺 術术 營营 醫医 療疗 飯饭 館馆 樓楼 棟栋 間间 員员 麼么 甚什 著着 嗯嗯 沒没 呢呢 啥啥 "
    "謂谓 歲岁 車车 載载 屆届 頭头 腦脑 氫氢 鋁铝 銅铜 鐵铁 閥阀 鎖锁 輪轮 檯台 臺台 颱台 彈弹 爭争 線线 總总 盡尽 "
    "儘尽 歡欢 愛爱 氣气 飛飞 葉叶 東东 極极 慮虑 憂忧 週周 麵面 幹干 乾干 髮发 復复 覆覆 複复 雙双 齡龄 陽阳 陰阴"
)
_TRAD_TABLE = str.maketrans({pair[0]: pair[1] for pair in _TRAD.split() if pair[0] != pair[1]})

# Homophone and near-shape slips seen in typed Chinese (pinyin IME picks the wrong candidate). Only
# sequences that are never correct text in our domain belong here.
_TYPOS = {
    "自察": "自查", "自插": "自查", "自茶": "自查", "隐换": "隐患", "隐还": "隐患", "阴患": "隐患", "引患": "隐患",
    "隐惠": "隐患", "整该": "整改", "正改": "整改", "整盖": "整改", "举抱": "举报", "举爆": "举报", "局报": "举报",
    "逾其": "逾期", "于期": "逾期", "鱼期": "逾期", "超其": "超期", "销好": "销号", "消号": "销号", "调渡表": "调度表",
    "掉度表": "调度表", "统记": "统计", "统汁": "统计", "绑顶": "绑定", "帮定": "绑定", "邦定": "绑定", "菜丹": "菜单",
    "登陆": "登录", "后太": "后台", "收倒": "收到", "已悦": "已阅", "匿明": "匿名", "核察": "核查", "合查": "核查",
    "挂排": "挂牌", "督半": "督办", "隐患请单": "隐患清单", "邀清码": "邀请码", "要请码": "邀请码", "邀情码": "邀请码",
    "整改进度": "整改进展", "资查": "自查", "搞掂": "搞定", "搞惦": "搞定", "身降": "升降", "子查": "自查", "排擦": "排查", "末自查": "未自查",
}
_TYPO_RE = re.compile("|".join(sorted(map(re.escape, _TYPOS), key=len, reverse=True)))

# Pinyin initials people really type in a hurry. Expanded only as a standalone Latin run, so codes such as
# "YH-202611-0007" or "7KQ2-M9XD" never reach this table (entities are read before this step anyway).
_INITIALS = {
    "zc": "自查", "yh": "隐患", "jb": "举报", "zg": "整改", "xh": "销号", "tj": "统计", "dcb": "调度表",
    "yq": "逾期", "cd": "菜单", "bd": "绑定", "yqm": "邀请码", "sb": "上报", "zgjz": "整改进展",
}
_LATIN_RUN = re.compile(r"(?<![a-z0-9])[a-z]{2,5}(?![a-z0-9])")
# Whole words typed in pinyin by someone without a Chinese keyboard at hand ("jiebang", "houtai", "jubao liebiao").
_PINYIN_WORDS = {
    "bangding": "绑定", "jiebang": "解绑", "jiechubangding": "解除绑定", "jubao": "举报", "liebiao": "列表",
    "yuqi": "逾期", "chaoqi": "超期", "weizicha": "未自查", "zicha": "自查", "houtai": "后台", "diaodubiao": "调度表",
    "yinhuan": "隐患", "zhenggai": "整改", "xiaohao": "销号", "tongji": "统计", "caidan": "菜单", "bangzhu": "帮助",
    "shangbao": "上报", "yaoqingma": "邀请码", "qingdan": "清单", "nihao": "你好", "shoudao": "收到",
}
_PINYIN_RUN = re.compile(r"(?<![a-z0-9])[a-z]{4,16}(?![a-z0-9])")

# Emoji that carry meaning in this chat: a thumbs-up under a reminder is an acknowledgement.
_ACK_EMOJI = {"👍": "收到", "✅": "收到", "👌": "收到", "🫡": "收到", "🙏": "收到", "☑": "收到", "✔": "收到",
              "🆗": "收到", "💪": "收到", "👋": "你好"}
_EMOJI_RE = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F900-\U0001F9FF\U00002B00-\U00002BFF"
    "\U0000FE00-\U0000FE0F\U0000200D\U000020E3\U0001F3FB-\U0001F3FF]+"
)
# WeChat renders its own stickers as bracketed names in text: "[强]" is its thumbs-up.
_WECHAT_STICKER = re.compile(r"\[(强|OK|ok|好的|握手|抱拳|胜利|微笑|呲牙|偷笑|愉快|憨笑|捂脸|奸笑|[\u4e00-\u9fff]{1,3})\]")
_STICKER_ACK = {"强", "OK", "ok", "好的", "握手", "抱拳", "胜利"}
_SPACES = re.compile(r"\s+")


def to_halfwidth(text: str) -> str:
    # NFKC folds full-width ASCII (ＹＨ－２０２６) and compatibility forms; Chinese punctuation stays.
    return unicodedata.normalize("NFKC", text)


def to_simplified(text: str) -> str:
    return text.translate(_TRAD_TABLE)


def _sticker(match: re.Match[str]) -> str:
    return " 收到 " if match.group(1) in _STICKER_ACK else " "


def strip_emoji(text: str) -> str:
    for emoji, word in _ACK_EMOJI.items():
        if emoji in text:
            text = text.replace(emoji, f" {word} ")
    text = _WECHAT_STICKER.sub(_sticker, text)
    return _EMOJI_RE.sub(" ", text)


def fix_typos(text: str) -> str:
    return _TYPO_RE.sub(lambda m: _TYPOS[m.group(0)], text)


def expand_initials(text: str) -> str:
    text = _PINYIN_RUN.sub(lambda m: _PINYIN_WORDS.get(m.group(0), m.group(0)), text)
    return _LATIN_RUN.sub(lambda m: _INITIALS.get(m.group(0), m.group(0)), text)


def normalize(text: str) -> str:
    """Width, script, emoji and whitespace; lower-case Latin. Keeps codes intact for entity extraction."""
    text = strip_emoji(to_simplified(to_halfwidth(text)))
    return _SPACES.sub(" ", text).strip().lower()


def for_intent(normalized: str) -> str:
    """The string intent rules read: typos fixed and pinyin initials expanded (run after entity extraction)."""
    return fix_typos(expand_initials(normalized))
