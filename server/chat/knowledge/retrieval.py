"""Finding the entry a message asks about: BM25 over character unigrams and bigrams of normalised
text, each paraphrase its own document, an entry scoring as its best paraphrase.

Chinese questions are short and written every which way; character n-grams need no word list and
match across the many spellings of one word (报销/报账, 新农合/合作医疗 after normalising), and
BM25's document-frequency weighting lets 备案, asked everywhere, count less than 撤销. Below the
threshold nothing is returned: a wrong answer is worse than saying what the assistant can do.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

from server.chat.knowledge.facts import CHRONIC_ADDED_2024, CHRONIC_FIRST

# Spellings of one thing, mapped to the form the paraphrases use. Longest first.
_SYNONYMS: tuple[tuple[str, str], ...] = tuple(sorted({
    "新型农村合作医疗": "居民医保", "农村合作医疗": "居民医保", "合作医疗": "居民医保", "新农合": "居民医保",
    "农合": "居民医保", "农村医保": "居民医保", "农村医疗保险": "居民医保", "城乡居民医保": "居民医保",
    "城镇职工医保": "职工医保", "职工医疗保险": "职工医保",
    "医疗保险": "医保", "医保卡": "社保卡", "报账": "报销", "报帐": "报销", "能报吗": "能报销吗",
    "外省": "异地", "省外": "异地", "外地": "异地", "跨省": "异地", "异地医疗": "异地就医",
    "看病": "就医", "就诊": "就医", "治病": "就医", "转院": "转诊", "转院证明": "转诊证明",
    "转诊单": "转诊证明", "转诊转院证明": "转诊证明", "登记备案": "备案", "报备": "备案",
    "多长时间": "多久", "相同": "一样", "一致": "一样", "多少天": "多久", "几天": "多久", "什么时候": "多久",
    "资料": "材料", "手续": "材料", "证件": "材料", "撤回": "撤销", "取消": "撤销", "注销": "撤销",
    "作废": "撤销", "怎样": "怎么", "如何": "怎么", "咋": "怎么", "啥": "什么", "哪些": "什么",
    "生小孩": "生孩子", "分娩": "生孩子", "生育": "生孩子", "医保码": "医保电子凭证",
    "电子医保卡": "医保电子凭证", "电子社保卡": "医保电子凭证", "老家": "参保地", "原籍": "参保地",
    "户口本": "户口簿", "居住证明": "居住证", "门特": "门诊慢特病", "门规": "门诊慢特病",
    "特殊病种": "门诊慢特病", "特殊慢病": "门诊慢特病", "慢性病": "门诊慢特病", "慢特病": "门诊慢特病",
    "特病": "门诊慢特病", "慢病": "门诊慢特病", "父亲": "爸爸", "母亲": "妈妈", "爸": "爸爸", "妈": "妈妈",
    "老人": "父母",
    # family members: one word, so 帮我婆婆办 finds 给家人办
    "婆婆": "家人", "公公": "家人", "岳父": "家人", "岳母": "家人", "老伴": "家人", "爱人": "家人",
    "老公": "家人", "老婆": "家人", "丈夫": "家人", "妻子": "家人", "配偶": "家人", "儿子": "家人",
    "女儿": "家人", "孩子": "家人", "爷爷": "家人", "奶奶": "家人", "外公": "家人", "外婆": "家人",
    "家里人": "家人", "亲属": "家人",
    # not having filed, however it is said
    "忘了备案": "没备案", "忘记备案": "没备案", "没办备案": "没备案", "没弄备案": "没备案",
    "未备案": "没备案", "没有办备案": "没备案", "没办理备案": "没备案", "没有办理异地备案": "没备案",
    "没办异地备案": "没备案", "没有异地备案": "没备案", "报不报": "能报销吗", "能回来报": "能报销",
    "急救": "急诊抢救", "车祸": "意外受伤", "摔伤": "意外受伤", "受伤": "意外受伤", "没有备案": "没备案", "没做备案": "没备案", "没有办理备案": "没备案",
    # can it be claimed
    "能不能报销": "能报销吗", "能不能报": "能报销吗", "能报不": "能报销吗", "可以报吗": "能报销吗",
    "可以报销吗": "能报销吗", "还能报吗": "能报销吗", "报得了吗": "能报销吗",
    "要带的东西": "材料", "准备的东西": "材料", "哪些东西": "什么材料", "几个工作日": "多久",
    "几个点": "多少", "到哪一步": "进度", "撤掉": "撤销",
    "住进医院": "住院", "住进去": "住院", "住上院": "住院", "入院": "住院", "同一时间": "同时",
    "两个城市": "两个地方", "两个城": "两个地方", "到期以后": "到期", "到期后": "到期",
    # the type labels weigh as their group: a question about 长期居住备案's lock is about the
    # lock, not about that type's documents
    "异地长期居住人员": "长期", "长期居住": "长期", "其他临时外出就医人员": "临时",
    "其他跨省临时外出就医人员": "临时", "临时外出就医": "临时", "临时外出": "临时", "退掉": "撤销", "删掉": "撤销", "刷医保": "直接结算",
    "能刷": "能直接结算", "刷卡": "直接结算", "本省": "省内", "同省": "省内", "替": "给", "帮": "给",
    "能管": "有效", "管几个月": "有效多久", "犯病": "急病", "咋办": "怎么办", "爹": "爸爸", "娘": "妈妈",
    # 刷 is paying with the card (刷卡, 能刷吗); 刷脸 is the identity check
    "刷脸": "人脸识别", "刷": "直接结算",
    # moving the insurance itself, not filing
    "迁医保": "转医保", "医保迁": "医保转", "医保关系迁": "医保关系转", "迁到": "转到",
    "迁过去": "转过去", "迁走": "转走", "迁回": "转回", "迁移": "转移",
    # the filing under its other names
    "异地就医登记": "异地就医备案", "异地登记": "异地备案", "异地报备": "异地备案",
    # the agency, whatever people call it, says no more than 医保 does (and weighs as little)
    "人社局": "医保", "社保局": "医保", "医保局": "医保", "医保中心": "医保", "社保中心": "医保",
    "人社": "医保", "医保经办机构": "医保", "经办机构": "医保",
}.items(), key=lambda kv: -len(kv[0])))
for _disease in (*CHRONIC_FIRST, *CHRONIC_ADDED_2024, "透析", "放化疗"):
    _SYNONYMS = _SYNONYMS + ((_disease, f"{_disease}门诊慢特病"),)
_SYNONYMS = tuple(sorted(set(_SYNONYMS), key=lambda kv: -len(kv[0])))
_SYN_RE = re.compile("|".join(re.escape(k) for k, _ in _SYNONYMS))
_SYN = dict(_SYNONYMS)

# Characters that carry no topic on their own (particles, pronouns, punctuation).
_STOP = set("的了吗呢啊吧呀么我你他她它们是在有和与及或就都也还要想请问能会可以这那个些一下"
            "怎什哪谁么多少吗嘛哦噢嗯呃哈很太最更又再被把让给对从到向为于而且但")
_KEEP = re.compile(r"[\u4e00-\u9fffa-z0-9]+")

K1, B = 1.2, 0.6


def _as_read(text: str) -> str:
    """A message as the chat's understanding reads it (traditional characters simplified, widths
    and brackets undone): one normalisation for both. Imported here, not at the top, because the
    understanding itself imports the FAQ door onto this package."""
    from server.chat.understand.normalise import normalise
    return normalise(text)


# A bare 报 is 报销 in what people ask here (回郑州能报吗, 能报多少), but not inside the words where
# it means something else (申报, 报名, 报告, 报备 …).
_BARE_BAO = re.compile(r"(?<![申上汇通举预情电海简回])报(?![销名警道告表纸关税价送备案账帐])")


@lru_cache(maxsize=1)
def _places() -> re.Pattern:
    """Every province's and pooling region's name, short name and alias (two characters or more).
    A place says where, never what is asked: 回郑州能报吗 asks what 回去能报吗 asks, and an unknown
    place's characters would only dilute what the message shares with a paraphrase. The chat's
    understanding reads the places themselves."""
    from server.regions.catalogue import get_catalogue
    names = {t for r in get_catalogue().all_regions() for t in (r.name, r.short_name, *r.aliases)
             if t and len(t) >= 2}
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))


@lru_cache(maxsize=1)
def _went() -> re.Pattern:
    return re.compile(r"(?:在|去|到|来|回|赴)(?:了)?(?:" + _places().pattern + ")")


def went_elsewhere(text: str) -> bool:
    """Whether a message puts the treatment or the claim in a named place (在广州住院, 去北京,
    回郑州报): read before the places are removed, a cue that the message is about treatment away
    from the insured place."""
    return bool(_went().search(_as_read(text or "")))


def normalize(text: str, as_read: bool = True) -> str:
    text = (_as_read(text) if as_read else (text or "")).lower()
    text = _places().sub("", text)
    text = _SYN_RE.sub(lambda m: _SYN[m.group(0)], text)
    return _BARE_BAO.sub("报销", text)


def tokens(text: str, as_read: bool = True) -> list[str]:
    """Unigrams (stop characters dropped) and bigrams of each run of Chinese letters or digits.
    The knowledge base's own paraphrases are plain simplified text: `as_read=False` for them."""
    out: list[str] = []
    for run in _KEEP.findall(normalize(text, as_read)):
        if re.fullmatch(r"[0-9a-z]+", run):
            continue  # years, amounts: no topic
        out.extend(ch for ch in run if ch not in _STOP)
        out.extend(run[i:i + 2] for i in range(len(run) - 1)
                   if not (run[i] in _STOP and run[i + 1] in _STOP))
    return out


@dataclass(frozen=True)
class Hit:
    key: str
    score: float
    coverage: float      # share of the message's weight that the best paraphrase matched
    doc_coverage: float  # share of the best paraphrase's weight found in the message


class Index:
    """BM25 over short documents, each tagged with the key (entry id) it belongs to.

    A document's length never changes, so each (token, document) weight is computed once here;
    a search only adds them up."""

    def __init__(self, docs: list[tuple[str, str]]):
        keys: list[str] = []
        lengths: list[int] = []
        counts_of: list[Counter] = []
        for key, text in docs:
            counts = Counter(tokens(text, as_read=False))
            keys.append(key)
            lengths.append(sum(counts.values()))
            counts_of.append(counts)
        n_docs = len(keys)
        avg = sum(lengths) / max(n_docs, 1)
        df = Counter(tok for counts in counts_of for tok in counts)
        self._idf = {tok: math.log(1 + (n_docs - n + 0.5) / (n + 0.5)) for tok, n in df.items()}
        self._keys = keys
        self._weight = [sum(self._idf[t] for t in counts) for counts in counts_of]
        self._postings: dict[str, tuple[tuple[int, float], ...]] = {}
        grouped: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc, counts in enumerate(counts_of):
            norm = K1 * (1 - B + B * lengths[doc] / avg)
            for tok, tf in counts.items():
                grouped[tok].append((doc, self._idf[tok] * tf * (K1 + 1) / (tf + norm)))
        self._postings = {tok: tuple(p) for tok, p in grouped.items()}

    def search(self, text: str, limit: int = 3) -> list[Hit]:
        known = [t for t in set(tokens(text)) if t in self._idf]
        if not known:
            return []
        idf = self._idf
        total = sum(idf[t] for t in known)
        scores: dict[int, float] = {}
        matched: dict[int, float] = {}
        for tok in known:
            weight = idf[tok]
            for doc, w in self._postings[tok]:
                scores[doc] = scores.get(doc, 0.0) + w
                matched[doc] = matched.get(doc, 0.0) + weight
        best: dict[str, int] = {}
        for doc, score in scores.items():
            key = self._keys[doc]
            if key not in best or score > scores[best[key]]:
                best[key] = doc
        top = sorted(best.values(), key=lambda d: -scores[d])[:limit]
        return [Hit(self._keys[d], scores[d], matched[d] / total, matched[d] / self._weight[d])
                for d in top]
