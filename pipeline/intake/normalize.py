"""Turn what units type into canonical values: dates, statuses, ledger ids, text.

Pure functions over cell values as python-calamine gives them. A value that cannot be
read raises `Unreadable` (with a hint for the unit); `parse.py` turns it into a finding.
Unit names are `units.py`'s.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial

from pipeline.model import (
    STATUS_DONE,
    STATUS_IN_PROGRESS,
    STATUS_NEEDS_HELP,
    STATUS_NOT_STARTED,
    STATUS_ONGOING,
    STATUSES,
    Milestone,
    nfkc,
)


class Unreadable(ValueError):
    """A cell value that means nothing we know; `hint` tells the unit what to write instead."""

    def __init__(self, hint: str):
        super().__init__(hint)
        self.hint = hint


# ---------------------------------------------------------------- text

_ZERO_WIDTH = "\u200b\ufeff"  # not whitespace to str.strip(), but invisible in a cell
# Invisible characters text pasted from WeChat or a web page brings along: zero-width spaces and
# joiners, the word joiner, the soft hyphen, bidi marks, embeddings, overrides and isolates.
INVISIBLE = ("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u061c\u200e\u200f"
             "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_INVISIBLE = re.compile(f"[{INVISIBLE}]+")
_ODD_SPACE = re.compile(r"[^\S\n\r\t ]")  # NBSP, the ideographic space and every other kind of space
_SPACE = re.compile(f"[\\s{INVISIBLE}]+")
# What is trimmed off a cell: every character str.isspace() (and the regex \s) knows — the last
# is U+3000, the ideographic space — and the zero-width ones.
TRIM = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()) + _ZERO_WIDTH


def clean_text(value) -> str:
    """Cell value as text, trimmed at both ends only; '' for an empty cell."""
    if isinstance(value, str):
        return value.strip(TRIM)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def is_blank(value) -> bool:
    if value.__class__ is str:  # most cells: clean_text inlined
        return not value.strip(TRIM)
    return value is None or value == "" or (isinstance(value, str) and not clean_text(value))


def visible(text: str) -> str:
    """Text as it is compared (never as it is stored): invisible characters (`INVISIBLE`) gone,
    NBSP and full-width spaces plain spaces."""
    if text.isascii():
        return text
    return _ODD_SPACE.sub(" ", _INVISIBLE.sub("", text))


def squeeze(text: str) -> str:
    """NFKC (full-width → half-width) and no whitespace or invisible character at all: the form
    names, statuses, ids and dates are compared in."""
    return _SPACE.sub("", nfkc(text))


# ---------------------------------------------------------------- ledger ids

_ITEM_ID = re.compile(r"(\d{4})[-‐‑‒–—―−﹣－](\d{4,})")


def parse_item_id(value) -> str | None:
    """A ledger id such as 2026-0001 (full-width digits and dash variants accepted), else None."""
    m = _ITEM_ID.fullmatch(squeeze(clean_text(value)))
    return f"{m[1]}-{m[2]}" if m else None


def is_row_number(value) -> bool:
    """A plain row number such as 1, 1.0 or "1": what a 序号 column holds."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return float(value).is_integer()
    return squeeze(str(value)).isdigit()


# ---------------------------------------------------------------- dates

@dataclass(frozen=True)
class Deadline:
    """整改时限 read: a date, or ongoing (长期坚持) with no date; the dated steps before it
    (a staged text, 立行立改并长期坚持), and whether only a month was written."""

    date: date | None
    ongoing: bool = False
    milestones: tuple[Milestone, ...] = ()
    month_only: bool = False  # 2026年12月: the month's last day (warning month-only-deadline)


_EXCEL_EPOCH = date(1899, 12, 30)
# Serial numbers of 2000-01-01 .. 2099-12-31: a deadline outside these is a typo, not a date
_SERIAL_RANGE = (36526, 73050)

_IMMEDIATE = {"立行立改", "立即整改", "即知即改", "立查立改", "即查即改"}
_ONGOING = {"长期坚持", "持续推进", "长期", "持续整改", "常态化", "常态长效", "长效常态", "常态化推进", "常态推进",
            "长期坚持推进", "长期推进", "持续坚持", "常态化开展", "长效推进"}
_YEAR_END = {"年底", "年末", "今年底", "今年年底"}

_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})[日号]?|(\d{4})(\d{2})(\d{2})")
_MD = re.compile(r"(\d{1,2})月(\d{1,2})[日号]")
_YEAR_MONTH_END = re.compile(r"(?:(\d{4})年)?(\d{1,2})月份?(?:底|末)")
_YEAR_END_OF = re.compile(r"(\d{4})年(?:年底|底|年末|末)")
_QUARTER = re.compile(r"(?:(\d{4})年)?第?([一二三四1-4])季度(?:末|底)?|(\d{4})年?[Qq]([1-4])(?:末|底)?")
_TEN_DAYS = re.compile(r"(?:(\d{4})年)?(\d{1,2})月份?(上|中|下)旬")
_MONTH_ONLY = re.compile(r"(?:(\d{4})年)?(\d{1,2})月份?")
_IMMEDIATE_THEN_ONGOING = re.compile(
    "(" + "|".join(sorted(_IMMEDIATE)) + ")[并和及与、,;]?(" + "|".join(sorted(_ONGOING, key=len, reverse=True)) + ")")
_TIME_SUFFIX = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2})?$")
_BEFORE = re.compile(r"(之前|以前|前)$")
_DONE = re.compile(r"(全面完成整改|完成整改|全部完成|全面完成|完成|办结|整改到位|到位)$")
_NUMBER = re.compile(r"\d+(\.\d+)?")
_QUARTER_MONTH = {"一": 3, "二": 6, "三": 9, "四": 12, "1": 3, "2": 6, "3": 9, "4": 12}
_TEN_DAY = {"上": 10, "中": 20}
# The parts of a staged 整改时限 or a 时间节点 cell: 2026年12月底前取得阶段性成效，2027年6月底前全面完成
_PARTS = re.compile(r"[，,；;。\n\r]+|(?<=\D)(?=\d{4}年)")
_JOINER = re.compile(r"^(并且|并|且|和|及|然后|同时|再)")

DEADLINE_HINT = "请写成 2026-12-31、2026年12月31日、2026年12月底、年底前、立行立改 或 长期坚持"
DATE_HINT = "请写成 2026-12-31 或 2026年12月31日"


def parse_deadline(value, submitted_on: date) -> Deadline:
    """Read a non-blank 整改时限 cell (every form README lists).

    `submitted_on` is the 填报日期, else the day the file was received: it is what 立行立改
    means, and its year completes forms without one (12月15日前, 年底前).
    """
    if isinstance(value, str):
        form = _deadline_form(value)
        return form if isinstance(form, Deadline) else form(submitted_on)
    return Deadline(_date_from_cell(value, DEADLINE_HINT))


def milestone_parts(value, submitted_on: date) -> tuple[Milestone, ...]:
    """A 时间节点 cell: each dated part a milestone (the last one too), read as 整改时限 is."""
    if not isinstance(value, str):
        day = _date_from_cell(value, DEADLINE_HINT)
        return (Milestone(day, f"{day.year}年{day.month}月{day.day}日"),)
    text = value.strip(TRIM)
    parts = _staged_parts(text)
    if not parts:
        raise Unreadable(DEADLINE_HINT)
    out = []
    for form, part in parts:
        if form is None:
            raise Unreadable(DEADLINE_HINT)
        read = form if isinstance(form, Deadline) else form(submitted_on)
        if read.date is None:  # 长期坚持 as a step: no day
            continue
        step, done_on = _done_mark(part, submitted_on)
        out.append(Milestone(read.date, step, done_on))
    return tuple(out)


# A step marked done in a 时间节点 cell: …（已完成）, …（12月10日完成）, …√ — as milestones_text writes it.
_DONE_MARK = re.compile(r"\s*(?:[(（]\s*(?:(\d{1,2})月(\d{1,2})日\s*)?已?完成\s*[)）]|[√✓✔])$")


def _done_mark(part: str, submitted_on: date) -> tuple[str, date | None]:
    """(the step's text, the day it was done) from a part of a 时间节点 cell."""
    m = _DONE_MARK.search(part)
    if not m:
        return part, None
    if m[1]:
        done = _forward(lambda y: _make_date(y, m[1], m[2], DATE_HINT), submitted_on)
        if done > submitted_on:  # 12月10日完成 written in January: last year's December
            done = _make_date(done.year - 1, m[1], m[2], DATE_HINT)
    else:
        done = submitted_on
    return part[:m.start()], done


_ONGOING_DEADLINE = Deadline(None, ongoing=True)
_Form = Deadline | Callable[[date], Deadline]


# Cached on the text alone (deadlines repeat from file to file, the days they were submitted on
# do not): the Deadline when the text names it by itself, else how to get it from the day.
@lru_cache(maxsize=8192)
def _deadline_form(text: str) -> _Form:
    s = squeeze(_TIME_SUFFIX.sub("", text.strip()))
    try:
        return _single_form(s)
    except Unreadable as e:
        unread = e
    parts = _staged_parts(text.strip(TRIM))
    if not parts or parts[0][0] is None:
        raise unread
    ongoing = False
    if parts[-1][0] is None or parts[-1][0] is _ONGOING_DEADLINE:
        tail = _JOINER.sub("", squeeze(parts[-1][1]))
        if parts[-1][0] is None and not any(word in tail for word in _ONGOING):
            raise unread
        ongoing, parts = True, parts[:-1]
    if any(form is None for form, _ in parts):
        raise unread
    return partial(_staged, tuple((form, text) for form, text in parts if form is not None), ongoing)


def _staged_parts(text: str) -> list[tuple[_Form | None, str]]:
    """The parts of a text, each with the form of its leading deadline (None without one)."""
    parts = [p.strip(TRIM) for p in _PARTS.split(text)]
    return [(_leading_form(squeeze(p)), p) for p in parts if p]


def _leading_form(s: str) -> _Form | None:
    """The form of the longest start of `s` that reads as a deadline by itself."""
    s = _JOINER.sub("", s)
    if _IMMEDIATE_THEN_ONGOING.match(s):
        return _immediate_then_ongoing
    for n in range(len(s), 1, -1):
        if n < len(s) and s[n].isdigit() and s[n - 1].isdigit():
            continue  # never a date cut inside a number: 2026-02-3|0
        try:
            return _single_form(s[:n])
        except Unreadable:
            continue
    return None


def _staged(parts: tuple[tuple[_Form, str], ...], ongoing: bool, submitted_on: date) -> Deadline:
    read = [(form if isinstance(form, Deadline) else form(submitted_on), text) for form, text in parts]
    steps = [Milestone(d.date, text) for d, text in read if d.date is not None]
    for d, _ in read:
        steps[:0] = [m for m in d.milestones if m not in steps]
    if ongoing or read[-1][0].ongoing:
        return Deadline(None, ongoing=True, milestones=tuple(steps))
    final = read[-1][0]
    return Deadline(final.date, milestones=tuple(steps[:-1]), month_only=final.month_only)


def _single_form(s: str) -> _Form:
    """One deadline written by itself (squeezed text), or Unreadable."""
    if s in _IMMEDIATE:
        return _on_the_day
    if s in _ONGOING:
        return _ONGOING_DEADLINE
    if _IMMEDIATE_THEN_ONGOING.fullmatch(s):
        return _immediate_then_ongoing
    s = _BEFORE.sub("", _DONE.sub("", s) or s)
    if s in _YEAR_END:
        return _year_end
    if m := _YEAR_END_OF.fullmatch(s):
        return Deadline(_make_date(m[1], 12, 31, DEADLINE_HINT))  # 0000年底: no such year
    if m := _YEAR_MONTH_END.fullmatch(s):
        month = int(m[2])
        if not 1 <= month <= 12:
            raise Unreadable(DEADLINE_HINT)
        if m[1]:
            return Deadline(_month_end(int(m[1]), month))
        return partial(_month_end_ahead, month)
    if m := _QUARTER.fullmatch(s):
        year, quarter = (m[1], m[2]) if m[2] else (m[3], m[4])
        month = _QUARTER_MONTH[quarter]
        if year:
            return Deadline(_month_end(int(year), month))
        return partial(_month_end_ahead, month)
    if m := _TEN_DAYS.fullmatch(s):
        month = int(m[2])
        if not 1 <= month <= 12:
            raise Unreadable(DEADLINE_HINT)
        if m[3] == "下":
            return Deadline(_month_end(int(m[1]), month)) if m[1] else partial(_month_end_ahead, month)
        day = str(_TEN_DAY[m[3]])
        if m[1]:
            return Deadline(_make_date(m[1], month, day, DEADLINE_HINT))
        return partial(_day_ahead, str(month), day)
    if m := _MD.fullmatch(s):
        return partial(_day_ahead, m[1], m[2])
    if m := _MONTH_ONLY.fullmatch(s):
        month = int(m[2])
        if not 1 <= month <= 12:
            raise Unreadable(DEADLINE_HINT)
        if m[1]:
            return Deadline(_month_end(int(m[1]), month), month_only=True)
        return partial(_month_only_ahead, month)
    return Deadline(_date_from_text(s, DEADLINE_HINT))


def _immediate_then_ongoing(submitted_on: date) -> Deadline:
    """立行立改并长期坚持: due the day it was filed, then ongoing."""
    return Deadline(None, ongoing=True, milestones=(Milestone(submitted_on, "立行立改"),))


def _month_only_ahead(month: int, submitted_on: date) -> Deadline:
    return Deadline(_month_end_ahead(month, submitted_on).date, month_only=True)


def _on_the_day(submitted_on: date) -> Deadline:
    return Deadline(submitted_on)


def _year_end(submitted_on: date) -> Deadline:
    return Deadline(date(submitted_on.year, 12, 31))


def _month_end_ahead(month: int, submitted_on: date) -> Deadline:
    return Deadline(_forward(lambda y: _month_end(y, month), submitted_on))


def _day_ahead(month: str, day: str, submitted_on: date) -> Deadline:
    _make_date(submitted_on.year, month, day, DEADLINE_HINT)  # 2月30日 is unreadable in any year
    return Deadline(_forward(lambda y: _make_date(y, month, day, DEADLINE_HINT), submitted_on))


# A deadline written without a year is taken in the first year that puts it no more than this
# many days before the submission: deadlines lie ahead, so "1月15日前" filed in November means
# next January; a few weeks back still reads as the date just past (an item reported late).
_YEARLESS_LOOKBACK = timedelta(days=30)


def _forward(make, submitted_on: date) -> date:
    for year in (submitted_on.year - 1, submitted_on.year, submitted_on.year + 1):
        try:
            candidate = make(year)
        except Unreadable:  # 2月29日 in a year without one
            continue
        if candidate >= submitted_on - _YEARLESS_LOOKBACK:
            return candidate
    raise Unreadable(DEADLINE_HINT)


def _month_end(year: int, month: int) -> date:
    if not 1 <= year <= 9999:
        raise Unreadable(DEADLINE_HINT)  # 0000年12月底
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_date(value) -> date | None:
    """Read a plain date (完成日期, 填报日期): a date cell, serial number or written date; None if blank."""
    if is_blank(value):
        return None
    if isinstance(value, str):
        return _date_of_text(value)
    return _date_from_cell(value, DATE_HINT)


@lru_cache(maxsize=4096)  # written dates repeat from row to row and file to file
def _date_of_text(text: str) -> date:
    return _date_from_text(squeeze(_TIME_SUFFIX.sub("", text.strip())), DATE_HINT)


def _date_from_cell(value, hint: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 19000101 <= value <= 21001231:  # 20261231 typed as a number
            return _date_from_text(str(int(value)), hint)
        return _from_serial(value, hint)
    raise Unreadable(hint)


def _date_from_text(s: str, hint: str) -> date:
    if m := _YMD.fullmatch(s):
        y, mo, d = (g for g in m.groups() if g is not None)
        return _make_date(int(y), mo, d, hint)
    if _NUMBER.fullmatch(s):  # a serial number typed or stored as text: "46387"
        return _from_serial(float(s), hint)
    raise Unreadable(hint)


def _from_serial(serial: float, hint: str) -> date:
    if not _SERIAL_RANGE[0] <= serial <= _SERIAL_RANGE[1] + 1:
        raise Unreadable(hint)
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def _make_date(year, month, day, hint: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise Unreadable(hint) from None


# ---------------------------------------------------------------- statuses

_STATUS_WORDS = {
    STATUS_DONE: ("已完成", "已整改", "已整改到位", "办结", "完成整改", "已办结", "完成", "整改完成", "已完成整改",
                  "已整改完成", "整改到位", "已落实", "落实到位", "已解决", "已完结", "完结", "全面完成",
                  "已全面完成", "基本整改到位并完成", "已完成整改任务", "完成销号", "已完工", "完工"),
    STATUS_IN_PROGRESS: ("推进中", "正在推进", "部分完成", "正在实施", "已启动", "正在整改", "部分整改", "序时推进",
                         "基本完成", "整改中", "进行中", "实施中", "有序推进", "按序时推进", "正在办理", "办理中",
                         "正在落实", "落实中", "持续整改中", "已开工", "在建", "正在进行", "已部分完成", "稳步推进",
                         "加快推进", "推进", "整改推进中"),
    STATUS_NOT_STARTED: ("未启动", "未开工", "暂未启动", "未整改", "尚未开展", "未开始", "尚未启动", "尚未开工",
                         "暂未开展", "未开展", "待启动", "尚未整改", "暂未开工", "未实施", "尚未实施"),
    STATUS_ONGOING: ("长期坚持", "常态化推进", "持续整改", "持续推进", "常态化", "常态长效", "长期推进", "长效推进",
                     "常态化开展", "长期坚持推进"),
    STATUS_NEEDS_HELP: ("需上级协调", "无法完成", "需协调", "需要协调", "需区级协调", "需上级支持", "难以推进",
                        "需协调解决"),
}
_STATUS_OF = {squeeze(word): status for status, words in _STATUS_WORDS.items() for word in words}
STATUS_HINT = "完成情况请填写：" + "、".join(STATUSES)
CLOSED_HINT = "“已销号”由督查室核实后标注，单位请填写 已完成"


def status_words(extra: Iterable[tuple[str, Iterable[str]]] = ()) -> dict[str, str]:
    """Every word read as a status (squeezed word → status): the built-in ones, then `[statuses]`'s."""
    words = dict(_STATUS_OF)
    for status, more in extra:
        words.update((squeeze(word), status) for word in more)
    return words


# Words shown in the hint besides the five statuses: the ones real 整改台账 use most.
_HINT_WORDS = ("未开工", "部分完成", "已整改到位", "办结", "常态化推进")


def status_hint(words: Mapping[str, str] | None = None) -> str:
    """The hint for a 完成情况 not recognised: the five statuses, then other words accepted
    (the office's own `[statuses]` words first)."""
    own = [w for w in (words or {}) if w not in _STATUS_OF][:5]
    return f"{STATUS_HINT}（也可写{'、'.join([*own, *_HINT_WORDS])}等）"


def parse_status(value, words: Mapping[str, str] | None = None) -> str | None:
    """Canonical status (one of model.STATUSES) of a 完成情况 cell; None if blank. `words`:
    `status_words` of the configuration (default the built-in words)."""
    text = clean_text(value)
    if not text:
        return None
    status = _status_of(text) if words is None else words.get(squeeze(text))
    if status:
        return status
    raise Unreadable(CLOSED_HINT if "销号" in text else status_hint(words))


@lru_cache(maxsize=1024)
def _status_of(text: str) -> str | None:
    return _STATUS_OF.get(squeeze(text))
