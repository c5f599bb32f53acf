"""The chat's knowledge base: what people ask about cross-province filing, answered from the rules.

    match(text, context=None) -> Match | None   the entry a message asks about, with its answer
    is_question(text) -> bool                    whether a message asks something
    answer(entry_id, context=None) -> str        an entry's answer fitted to the context
    ENTRIES                                       every entry (id, title, paraphrases, sources)

`context` is the dialog's slot state (a mapping with filing_type and insured_region_code, or an
object with those attributes): answers then name that type's documents and that place's settings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from server.chat.knowledge.entries import BY_ID, ENTRIES, LEGACY_INTENTS, Entry
from server.chat.knowledge.facts import facts_for
from server.chat.knowledge.retrieval import Hit, Index, normalize, went_elsewhere
from server.chat.knowledge.situation import NOT_YET, filed_already, overrides, situation

# Below this BM25 score, or when the best paraphrase covers too little of what the message says
# and the message too little of the paraphrase, no entry is returned (tuned on the tuned part of
# the evaluation corpus only).
MIN_SCORE = 6.0
MIN_COVERAGE = 0.45
MIN_NAMED_COVERAGE = 0.3
MIN_DOC_COVERAGE = 0.55
MIN_DOC_SHARE = 0.3
MIN_CLEAR_COVERAGE = 0.35
CLEAR_MARGIN = 2.0
_SENTENCE = re.compile(r"[。？?！!；;\n]+|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_CLAUSE = re.compile(r"[，,、。？?！!；;\n]+")
MAX_WINDOWS = 4

_QUESTION = re.compile(r"[？?]|吗|呢|么|怎么|怎样|如何|多久|多长|哪些|哪家|哪里|哪个|哪种|哪一种|哪类|哪一类|什么|啥|能不能|可不可以|"
                       r"是不是|会不会|是否|几天|几个|几成|多少|有没有|要不要|行不行|可以不|请问|想问|"
                       r"想了解|咨询|问一下|问下|求助|来得及|咋|为啥|为什么")


@dataclass(frozen=True)
class Match:
    entry_id: str
    score: float
    answer: str
    source_url: str
    title: str


@lru_cache(maxsize=1)
def _index() -> Index:
    docs = []
    for e in ENTRIES:
        docs.append((e.id, e.title))
        docs.extend((e.id, q) for q in e.questions)
    return Index(docs)


def _confident(hit, named: bool = False) -> bool:
    # Covering all of a message is not enough when the message says almost nothing the
    # paraphrase is about (医保是宜宾的，能报吗 against 外地生孩子医保能报吗). A message that names
    # the entry's own thing (a pharmacy for the pharmacy entry) needs less of the rest.
    coverage = MIN_NAMED_COVERAGE if named else MIN_COVERAGE
    return hit.score >= MIN_SCORE and (
        (hit.coverage >= coverage and hit.doc_coverage >= MIN_DOC_SHARE)
        or hit.doc_coverage >= MIN_DOC_COVERAGE)


# A message about anything else (a hotel allowance, settling in a city) gets no entry, however
# its words happen to overlap: it must name something of medical insurance or treatment.
_IN_DOMAIN = re.compile(r"医保|医疗|报销|报|备案|就医|看病|住院|门诊|医院|社保|药|病|结算|参保|转诊|急诊|抢救|"
                        r"凭证|生孩子|工伤|手术|治疗|材料|证明|审核|撤销|变更|有效|补办|比例|延期|承诺书|"
                        r"定点|出院|入院|户口簿|居住证|能做|干什么|怎么用|账户|医保码|异地|跨省|外省|常驻|派驻|"
                        r"备案类型|什么类型|哪个类型|哪种类型|算哪种|选哪种|办哪种|哪一类|过冬|候鸟")


# Words that make a message about treatment away from the insured place: then a filing entry
# close to the best score wins over a pointer about purely local matters.
_CROSS_PLACE = re.compile(r"异地|备案|转诊|就医地|急诊")
_LOCAL_ONLY = frozenset({"oos_local_ratio", "oos_contribution"})
_LOCAL = re.compile(r"本地|当地|本市|本县|县里|市里")
OUT_OF_SCOPE_MARGIN = 0.6
MAX_CHARS = 300  # a longer post asks its question early; the rest only costs time


def _clear_winner(hits) -> list:
    """The top hit of one search when it stands well clear of the runner-up: then a message that
    says much else besides (我在本省别的市住院要不要备案) still gets its entry."""
    if not hits or hits[0].score < MIN_SCORE or hits[0].coverage < MIN_CLEAR_COVERAGE:
        return []
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    return [hits[0]] if hits[0].score >= CLEAR_MARGIN * runner_up else []


def _fits(hit, normalized: str) -> bool:
    """An entry that answers only messages naming its own thing (a pharmacy, losing a card) is
    not given to one that merely shares its other words."""
    needs = BY_ID[hit.key].needs
    return needs is None or bool(needs.search(normalized))


def _search(part: str) -> list:
    normalized = normalize(part)
    hits = [h for h in _index().search(part, limit=5) if _fits(h, normalized)][:3]
    return [h for h in hits if _confident(h, BY_ID[h.key].needs is not None)] or _clear_winner(hits)


# Another public service's paper (an identity card, a residence permit, a household register) with
# nothing of medical insurance beside it: not this assistant's business, however the words overlap.
_OTHER_SERVICE = re.compile(r"身份证|居住证|户口|驾照|驾驶证|护照|签证|通行证|公积金|准生证|结婚证")
_CORE = re.compile(r"医保|医疗|报销|备案|就医|住院|门诊|医院|药|病|结算|参保|社保卡|转诊|急诊|抢救|手术|治疗")


def _best(text: str):
    """The whole message, then each of its sentences (a long post often asks in its first
    sentence and tells its story after): the highest confident hit."""
    normalized = normalize(text)
    if not _IN_DOMAIN.search(normalized):
        return None
    if _OTHER_SERVICE.search(normalized) and not _CORE.search(normalized):
        return None
    top = _retrieved(text, normalized)
    # The situation a message tells (paid already, never filed, still in hospital, an emergency)
    # decides the answer unless retrieval found something more specific about that situation.
    story = normalize(text[:MAX_CHARS])
    told = situation(story)
    if overrides(top.key if top else None, told, story):
        return Hit(told, max(top.score if top else 0.0, MIN_SCORE), 1.0, 1.0)
    return top


def _retrieved(text: str, normalized: str):
    sentences = [p for p in _SENTENCE.split(text[:MAX_CHARS]) if p.strip()][:3] or [text[:MAX_CHARS]]
    # The sentences that ask come first: the others tell the story the question is about.
    sentences = sorted(sentences, key=lambda p: not _QUESTION.search(p))
    # The first sentence that asks something answerable wins: a post states its question first
    # and tells its story after, and the story's longer sentences would outscore it.
    found = next((hits for hits in map(_search, sentences) if hits), [])
    if not found and len(sentences) > 1:
        found = _search(text[:MAX_CHARS])
    if not found:
        # A situation told in clauses (在北京住院了，没有备案，怎么办): two clauses at a time.
        clauses = [c for c in _CLAUSE.split(text[:MAX_CHARS]) if c.strip()]
        windows = ["，".join(clauses[i:i + 2]) for i in range(len(clauses) - 1)][:MAX_WINDOWS]
        found = [h for w in windows for h in _index().search(w, limit=3) if _confident(h)]
    if not found:
        return None
    top = max(found, key=lambda h: h.score)
    if top.key in NOT_YET and filed_already(normalized):
        # 备案后住院能直接结算吗 asks about using a filing, not about filing late.
        filed = [h for h in _index().search(text[:MAX_CHARS], limit=5) if h.key not in NOT_YET
                 and _fits(h, normalized) and h.score >= OUT_OF_SCOPE_MARGIN * top.score]
        if filed:
            top = max(filed, key=lambda h: h.score)
    elsewhere = bool(_CROSS_PLACE.search(normalized)) or went_elsewhere(text[:MAX_CHARS])
    if top.key in _LOCAL_ONLY and elsewhere:
        inside = [h for h in found if BY_ID[h.key].topic != "out_of_scope"
                  and h.score >= OUT_OF_SCOPE_MARGIN * top.score]
        if inside:
            return max(inside, key=lambda h: h.score)
    if BY_ID[top.key].topic != "out_of_scope" and _LOCAL.search(normalized) and not elsewhere:
        # 本地住院怎么报销: treatment at home is the insured place's own business.
        local = [h for h in _index().search(text[:MAX_CHARS], limit=5) if h.key in _LOCAL_ONLY
                 and h.score >= OUT_OF_SCOPE_MARGIN * top.score]
        if local:
            return max(local, key=lambda h: h.score)
    return top


def is_question(text: str) -> bool:
    """A message that asks something (a question word or mark), as opposed to a statement."""
    return bool(_QUESTION.search(text or ""))


def match(text: str, context: Any = None) -> Match | None:
    """The entry the message asks about, or None below the confidence threshold."""
    hit = _best(text or "")
    if hit is None:
        return None
    e = BY_ID[hit.key]
    return Match(e.id, round(hit.score, 3), e.answer(facts_for(context)), e.sources[0], e.title)


def answer(entry_id: str, context: Any = None) -> str:
    """An entry's answer (by id, or by an intent name of the earlier fixed FAQ)."""
    e = BY_ID.get(LEGACY_INTENTS.get(entry_id, entry_id))
    if e is None:
        raise ValueError(f"unknown knowledge-base entry {entry_id}")
    return e.answer(facts_for(context))


def entry(entry_id: str) -> Entry:
    return BY_ID[entry_id]


_index()  # built once per process at import, not inside someone's first chat turn

__all__ = ["match", "is_question", "answer", "entry", "Match", "Entry", "ENTRIES", "MIN_SCORE",
           "MIN_COVERAGE"]
