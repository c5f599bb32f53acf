"""Family words: whom the filing is for when the message is about a relative (我妈, 老伴, 孩子).

Only the person the situation is about counts: 我妈医保在郑州 and 给我爸办 are about the mother and
the father; 跟女儿住, 去儿子那边 and 女儿在太原 (where the children live) are not.
"""
from __future__ import annotations

import re

# Relation codes as in the filing rules (rules.RELATIONS); most specific words first.
RELATION_WORDS: tuple[tuple[str, str], ...] = (
    ("parent", "父母|爸妈|家里老人|家中老人|我家老人|妈妈|爸爸|母亲|父亲|老妈|老爸|老母亲|老父亲|我妈|我爸|我娘|俺娘|俺爹|老娘|婆婆|公公|岳母|岳父|丈母娘|老丈人"),
    ("spouse", "老伴儿?|老头子|老太婆|爱人|老公|老婆|妻子|丈夫|媳妇儿?|先生|太太"),
    ("child", "孩子|儿子|女儿|闺女|小孩|娃"),
    ("grandparent", "爷爷|奶奶|外公|外婆|姥姥|姥爷"),
    ("grandchild", "孙子|孙女|外孙女?"),
    ("sibling", "哥哥|姐姐|弟弟|妹妹"),
)
_WORDS = "|".join(words for _, words in RELATION_WORDS)
_FOR = re.compile(
    rf"(?<![因作认成])(?:给|帮|替|为|代)(?:我|咱|俺)?(?:家|们家)?(?P<a>{_WORDS}|妈|爸)"
    rf"(?:办|申请|备案|弄|问|咨询|做|报)")
# The relative as the subject of a clause: 我妈医保在郑州, 老伴是职工医保, 孩子在上海读书.
_SUBJECT = re.compile(
    rf"(?:^|[，。！？；,.!?;\s])(?:我|俺|我们|咱)?(?:家)?(?:的)?(?P<b>{_WORDS}|(?<=我)妈|(?<=我)爸)"
    rf"(?=的?(?:医保|社保|参保|是|在[^，。,]{{0,10}}(?:参保|交|住院|看病|就医|就诊|读书|上学|上大学|治疗|手术|抢救|急诊)|"
    rf"单位|公司|今年|去年|前几天|前天|昨天|刚|已经|突发|突然|住院|生病|病了|得了|做了|要|想|需要|"
    rf"退休|摔|查出|确诊|一直|现在|户口|跟着?我|和我|随我|异地|跨省|在外地|来|到|去|回|看病|就医|参加|"
    rf"每年|每次|常年|这几年|年纪|岁数))")
# The relative's own card, illness or papers mid-sentence: 因为母亲的医保卡不能用, 开具父亲确诊的证明.
_THEIRS = re.compile(
    rf"(?P<c>{_WORDS})(?:的(?:医保卡|社保卡|医保|社保|病|病情|病历|手术|住院|身份证|户口本?)|确诊|住院了|做手术|做了手术)")


def family_relation(text: str) -> tuple[str, str] | None:
    """(relation code, the word used) when the message is about a relative, else None."""
    for pattern, group in ((_FOR, "a"), (_SUBJECT, "b"), (_THEIRS, "c")):
        mt = pattern.search(text)
        if mt:
            word = mt.group(group)
            core = word[1:] if word[0] in "我俺" and len(word) > 1 else word
            for code, words in RELATION_WORDS:
                if re.fullmatch(words, word) or re.fullmatch(words, core):
                    return code, word
            return "parent", word  # 妈 / 爸 after 我
    return None


_FOR_CUE = re.compile(rf"(?<![因作认成])(?:给|帮|替|为|代)(?:我|咱|俺)?(?:家|们家)?(?:{_WORDS}|妈|爸)"
                      rf"|是(?:我|俺)?(?:{_WORDS}|妈|爸)(?:要|想|需要)?(?:办|备案|看病)")


def for_relative(text: str) -> bool:
    """The message says the filing is done for the relative (给我妈办, 其实是帮我爸问的)."""
    return bool(_FOR_CUE.search(text))
