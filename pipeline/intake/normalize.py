"""Turn what units type into canonical values: dates, statuses, ledger ids, text.

Pure functions over cell values as python-calamine gives them. A value that cannot be
read raises `Unreadable` (with a hint for the unit); `parse.py` turns it into a finding.
Unit names are `units.py`'s.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
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
    """整改时限 read: a date, or ongoing (长期坚持) with no date."""

    date: date | None
    ongoing: bool = False


_EXCEL_EPOCH = date(1899, 12, 30)
# Serial numbers of 2000-01-01 .. 2099-12-31: a deadline outside these is a typo, not a date
_SERIAL_RANGE = (36526, 73050)

_IMMEDIATE = {"立行立改", "立即整改", "即知即改"}
_ONGOING = {"长期坚持", "持续推进", "长期", "持续整改"}
_YEAR_END = {"年底", "年末", "今年底", "今年年底"}

_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})[日号]?|(\d{4})(\d{2})(\d{2})")
_MD = re.compile(r"(\d{1,2})月(\d{1,2})[日号]")
_YEAR_MONTH_END = re.compile(r"(?:(\d{4})年)?(\d{1,2})月份?(?:底|末)")
_YEAR_END_OF = re.compile(r"(\d{4})年(?:年底|底|年末|末)")
_TIME_SUFFIX = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2})?$")
_BEFORE = re.compile(r"(之前|以前|前)$")
_NUMBER = re.compile(r"\d+(\.\d+)?")

DEADLINE_HINT = "请写成 2026-12-31、2026年12月31日、2026年12月底、年底前、立行立改 或 长期坚持"
DATE_HINT = "请写成 2026-12-31 或 2026年12月31日"


def parse_deadline(value, submitted_on: date) -> Deadline:
    """Read a non-blank 整改时限 cell.

    `submitted_on` is the 填报日期, else the day the file was received: it is what 立行立改
    means, and its year completes forms without one (12月15日前, 年底前).
    """
    if isinstance(value, str):
        form = _deadline_form(value)
        return form if isinstance(form, Deadline) else form(submitted_on)
    return Deadline(_date_from_cell(value, DEADLINE_HINT))


_ONGOING_DEADLINE = Deadline(None, ongoing=True)


# Cached on the text alone (deadlines repeat from file to file, the days they were submitted on
# do not): the Deadline when the text names it by itself, else how to get it from the day.
@lru_cache(maxsize=8192)
def _deadline_form(text: str) -> Deadline | Callable[[date], Deadline]:
    s = squeeze(_TIME_SUFFIX.sub("", text.strip()))
    if s in _IMMEDIATE:
        return _on_the_day
    if s in _ONGOING:
        return _ONGOING_DEADLINE
    s = _BEFORE.sub("", s)
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
    if m := _MD.fullmatch(s):
        return partial(_day_ahead, m[1], m[2])
    if re.fullmatch(r"(\d{4})年(\d{1,2})月", s):
        raise Unreadable("只写到月份无法确定时限，请写明日期，如 2026年12月31日 或 2026年12月底")
    return Deadline(_date_from_text(s, DEADLINE_HINT))


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
    STATUS_DONE: ("已完成", "已整改", "完成整改", "已办结", "完成", "整改完成", "已完成整改", "已整改完成"),
    STATUS_IN_PROGRESS: ("推进中", "正在推进", "正在整改", "部分整改", "序时推进", "基本完成", "整改中", "进行中"),
    STATUS_NOT_STARTED: ("未启动", "未整改", "尚未开展", "未开始", "尚未启动"),
    STATUS_ONGOING: ("长期坚持", "持续整改", "持续推进"),
    STATUS_NEEDS_HELP: ("需上级协调", "无法完成", "需协调"),
}
_STATUS_OF = {word: status for status, words in _STATUS_WORDS.items() for word in words}
STATUS_HINT = "完成情况请填写：" + "、".join(STATUSES)
CLOSED_HINT = "“已销号”由督查室核实后标注，单位请填写 已完成"


def parse_status(value) -> str | None:
    """Canonical status (one of model.STATUSES) of a 完成情况 cell; None if blank."""
    text = clean_text(value)
    if not text:
        return None
    status = _status_of(text)
    if status:
        return status
    raise Unreadable(CLOSED_HINT if "销号" in text else STATUS_HINT)


@lru_cache(maxsize=1024)
def _status_of(text: str) -> str | None:
    return _STATUS_OF.get(squeeze(text))
