"""The start date a message gives, resolved against the message's own date (`today`)."""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

import cn2an

_NUM = r"(?:\d{1,4}|[零〇一二两三四五六七八九十]{1,4})"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
             "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_RELATIVE_DAYS = {"大后天": 3, "大前天": -3, "今天": 0, "今日": 0, "明天": 1, "明日": 1,
                  "后天": 2, "昨天": -1, "昨日": -1, "前天": -2,
                  "今早": 0, "今晚": 0, "今儿": 0, "明早": 1, "明晚": 1, "明儿": 1, "昨晚": -1, "昨夜": -1,
                  "昨儿": -1, "前晚": -2, "前儿": -2}
_RELATIVE_YEARS = {"今年": 0, "本年": 0, "明年": 1, "下一年": 1, "后年": 2, "去年": -1, "上一年": -1, "前年": -2}
_UNIT = r"(?:天|日|周|个?星期|个?礼拜)"
_STREET_CHARS = "路街道巷弄里村组栋幢楼区镇乡屯寨园苑坊"
_UNIT_DAYS = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7}


def _days(g: dict) -> int | None:
    n = _n(g.get("n") or g.get("n2"))
    unit = (g.get("u") or g.get("u2") or "天").lstrip("个")
    return n * _UNIT_DAYS[unit] if n is not None else None


_DATE_PATTERNS = (
    ("ymd", re.compile(rf"(?P<y>\d{{4}}|[零〇一二三四五六七八九]{{4}})年(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?")),
    ("rel_year", re.compile(rf"(?P<ry>{'|'.join(sorted(_RELATIVE_YEARS, key=len, reverse=True))})(?:的)?"
                            rf"(?P<m>{_NUM})月(?:份)?(?P<d>{_NUM})[日号]?")),
    ("iso", re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")),
    ("rel_month", re.compile(rf"(?P<rel>下个?月|这个?月|本月|上个?月)(?P<d>{_NUM})[日号]")),
    ("md", re.compile(rf"(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?")),
    # 12.1 / 12/1 written as a date: only month-like and day-like numbers, never a decimal amount.
    ("md", re.compile(r"(?<![\d.])(?P<m>1[0-2]|0?[1-9])[./](?P<d>[12]\d|3[01]|0?[1-9])(?![\d.%万元天斤度])[号日]?")),
    # Only an admission already under way dates back (已经住院三天了), not a planned stay (要住院三天).
    ("in_hospital", re.compile(rf"(?:已经|已)(?:住院|入院|住进医院|住进去|进医院|进了医院)(?:了)?(?P<n>{_NUM})(?P<u>{_UNIT})"
                               rf"|(?:住院|入院|住进医院|住进去|进医院|进了医院)(?:已经|都|有|了|快)*(?P<n2>{_NUM})(?P<u2>{_UNIT})了")),
    # 住院第五天了: admitted four days ago.
    ("nth_day", re.compile(rf"(?:住院|入院|住进去|进医院)(?:的)?第(?P<n>{_NUM})天")),
    ("after_days", re.compile(rf"(?P<n>{_NUM})(?P<u>{_UNIT})(?:以后|之后|后)|过(?P<n2>{_NUM})(?P<u2>{_UNIT})")),
    ("before_days", re.compile(rf"(?P<n>{_NUM})天(?:以前|之前|前)")),
    ("week", re.compile(r"(?P<pre>下下个?|下个?|这个?|本|上个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])")),
    ("rel_day", re.compile("|".join(sorted(_RELATIVE_DAYS, key=len, reverse=True)))),
    # 科技园路1号, 3栋2号, 5号院: a number after a street word or before a building word is a
    # house number, not a day.
    ("day", re.compile(rf"(?<![月\d零〇一二两三四五六七八九十{_STREET_CHARS}])(?P<d>{_NUM})[日号]"
                       r"(?!楼|线|床|房|窗口|门|病房|院|栋|幢|单元|室|铺|店|厂|馆|厅|仓|库|车厢|地块|公寓)")),
)
# 住到12月10号 ends a stay; 改到后天 / 推到周五 moves its start.
_END_MARK = re.compile(r"(?:(?<![改推挪延提换])到|至|截止|截至|结束于?)$")
_PREFER_MARK = re.compile(r"(?:改成|改为|改到|推到|挪到|延到|提前到|换成|应该是|是)$")
# 明天就去……哦不，后天: a date after a correction inside the message replaces the one before.
_CORRECTED_BEFORE = re.compile(r"不对|说错|搞错|弄错|哦不|噢不|不不|啊不|改成|改到|改为|推到|挪到")
_REJECT_AFTER = re.compile(r"^[^，。,]{0,2}(?:走不开|不行|去不了|不去|没空)")
_PAST_HINT = re.compile(r"已经|已|了")


def _n(s: str | None) -> int | None:
    if not s:
        return None
    if s.isdigit():
        return int(s)
    try:
        return int(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError):
        return None


def _safe_date(y: int, m: int, d: int) -> date | None:
    if not (1 <= m <= 12) or not (1 <= d <= calendar.monthrange(y, m)[1]):
        return None
    return date(y, m, d)


def _add_months(today: date, months: int) -> tuple[int, int]:
    k = today.year * 12 + today.month - 1 + months
    return k // 12, k % 12 + 1


# 8月16日住的院, 12月3号住进去的: told as done, the date is not in the future.
_DONE_AFTER = re.compile(r"^[^，。,]{0,6}?(?:住的院|入的院|住进去的|住进来的|入院的|做的手术|送的|看的病|去的|"
                         r"就已经|已经)")


def _month_day(today: date, m: int, d: int, done: bool = False) -> date | None:
    found = _safe_date(today.year, m, d)
    if done:
        return _safe_date(today.year - 1, m, d) if found is not None and found > today else found
    # Without a year, a date far in the past means next year (in November, "1月5号" is January).
    if found is not None and found < today - timedelta(days=120):
        found = _safe_date(today.year + 1, m, d)
    return found


def _resolve_date(kind: str, mt: re.Match, today: date, text: str) -> date | None:
    g = mt.groupdict()
    if kind in ("ymd", "iso"):
        y, m, d = _n(g["y"]), _n(g["m"]), _n(g["d"])
        return _safe_date(y, m, d) if y and m and d else None
    if kind == "rel_month":
        d = _n(g["d"])
        rel = g["rel"]
        offset = 1 if rel.startswith("下") else -1 if rel.startswith("上") else 0
        y, m = _add_months(today, offset)
        return _safe_date(y, m, d) if d else None
    if kind == "md":
        m, d = _n(g["m"]), _n(g["d"])
        done = bool(_DONE_AFTER.match(text[mt.end():]))
        return _month_day(today, m, d, done) if m and d else None
    if kind == "rel_year":
        m, d = _n(g["m"]), _n(g["d"])
        y = today.year + _RELATIVE_YEARS[g["ry"]]
        return _safe_date(y, m, d) if m and d else None
    if kind == "in_hospital":
        n = _days(g)
        return today - timedelta(days=n) if n is not None else None
    if kind == "nth_day":
        n = _n(g["n"])
        return today - timedelta(days=n - 1) if n else None
    if kind == "after_days":
        n = _days(g)
        return today + timedelta(days=n) if n is not None else None
    if kind == "before_days":
        n = _n(g["n"])
        return today - timedelta(days=n) if n is not None else None
    if kind == "week":
        pre = (g["pre"] or "").rstrip("个")
        wd = _WEEKDAYS[g["wd"]]
        monday = today - timedelta(days=today.weekday())
        weeks = {"下下": 2, "下": 1, "这": 0, "本": 0, "上": -1}.get(pre)
        if weeks is None:  # bare 周五: the coming one
            found = monday + timedelta(days=wd)
            return found if found >= today else found + timedelta(days=7)
        return monday + timedelta(weeks=weeks, days=wd)
    if kind == "rel_day":
        return today + timedelta(days=_RELATIVE_DAYS[mt.group(0)])
    if kind == "day":
        d = _n(g["d"])
        if not d:
            return None
        if _DONE_AFTER.match(text[mt.end():]):
            # 20号住的院: told as done, this month's day or, past today (28号住进去的 said on the
            # 24th), last month's.
            y, m = (today.year, today.month) if d <= today.day else _add_months(today, -1)
            return _safe_date(y, m, d)
        if d >= today.day or _PAST_HINT.search(text[mt.end():mt.end() + 8]):
            return _safe_date(today.year, today.month, d)
        y, m = _add_months(today, 1)
        return _safe_date(y, m, d)
    return None


def parse_start_date(text: str, today: date) -> date | None:
    """The start date a message gives: the last one after 改成/是 or a correction if any, else the
    first, never an end date."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, date]] = []  # (preference, position, date)
    for kind, pattern in _DATE_PATTERNS:
        for mt in pattern.finditer(text):
            a, b = mt.span()
            if any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
            before = text[max(0, a - 4):a]
            if _END_MARK.search(before) or _REJECT_AFTER.match(text[b:]):
                continue
            value = _resolve_date(kind, mt, today, text)
            if value is not None:
                preferred = _PREFER_MARK.search(before) or _CORRECTED_BEFORE.search(text[:a])
                found.append((0, -a, value) if preferred else (1, a, value))
    return min(found)[2] if found else None
