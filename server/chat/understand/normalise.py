"""Text normalisation before anything is read: one message, in the form the rules expect.

Traditional characters become simplified with OpenCC (only for a message that has one: most
messages are simplified already and skip the conversion), full-width letters and digits become
ASCII, brackets and quotation marks are dropped (不得不来(上海)做手术 reads as 来上海做手术), and
every run of dots or ellipses becomes one clause break.
"""
from __future__ import annotations

import os
import re

import opencc

MAX_CHARS = 500

_CONVERTER = opencc.OpenCC("t2s")


def _traditional_chars() -> frozenset[str]:
    path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", "TSCharacters.txt")
    found = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            trad, _, simp = line.rstrip("\n").partition("\t")
            if len(trad) == 1 and trad != simp.split(" ")[0]:
                found.add(trad)
    return frozenset(found)


_TRADITIONAL = _traditional_chars()
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}  # ０-９
_WIDTH.update({code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_WIDTH.update({code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_WIDTH.update({ord("\u3000"): " ", ord("\u00a0"): " "})
_DROPPED = re.compile(r"[()（）\[\]【】〔〕［］{}｛｝<>＜＞《》〈〉「」『』\"“”‘’'＂＇]")
_SPACE_AFTER_CUE = re.compile(r"(?<=[在到去来赴是为:：])[ \t]+(?=[\u4e00-\u9fff])")
_ELLIPSIS = re.compile(r"(?:…|\.{2,}|。{2,}|·{3,}|、{2,}|—{2,}|-{2,}|～|~)+")


def normalise(text: str | None) -> str:
    text = (text or "").strip()[:MAX_CHARS * 2]
    if any(ch in _TRADITIONAL for ch in text):
        text = _CONVERTER.convert(text)
    text = text.translate(_WIDTH)
    text = _DROPPED.sub("", text)
    text = _ELLIPSIS.sub("，", text)
    # 医保在 郑州，去 北京: a space after a cue word is no clause break.
    text = _SPACE_AFTER_CUE.sub("", text)
    # Digits split by spaces or dashes are one number (138 0000 1111).
    return re.sub(r"(?<=\d)[\s-](?=\d)", "", text.strip())[:MAX_CHARS]
