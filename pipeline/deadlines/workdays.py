"""The official working-day calendar (工作日): chinesecalendar + sancha.toml + a provisional rule.

Every deadline rule of the office is counted in working days: weekends off except make-up
workdays (调休上班), statutory holidays off. Where a day's answer comes from, per year:

- **package**: `chinese_calendar` knows the year (1.11.0: 2004–2026). It is only ever asked
  about years it knows; it raises `NotImplementedError` for any other (also from its
  `find_workday` once the walk crosses into an unknown year), so this module never lets a
  call reach it for such a year.
- **config**: `[calendar] holidays` lists at least as many weekdays off in the year as the
  Law's statutory days and 补假 make (so the office has entered the State Council's whole
  schedule): weekends off, the listed holidays off, the listed `workdays` on. Nothing
  provisional is added to such a year.
- **provisional**: neither of the above. Counted by the rule below, and every date derived
  from such a year is flagged `provisional` so that it can be shown as “暂定”. Dates the
  config lists for such a year (say only 元旦) still apply on top of the rule: listing one
  holiday must not silently turn the year's Spring Festival into working days.

In every year the config's lists win over the package and the rule (a date in both lists
counts as a holiday).

Provisional rule, after 《全国年节及纪念日放假办法》 as amended in 2024 (in force 2025):
weekends are off, and the statutory days of the holidays for all citizens —
元旦 1 Jan; 春节 4 days, 除夕 to 正月初三; 清明 1 day; 劳动节 1–2 May; 端午 1 day;
中秋 1 day; 国庆 1–3 Oct — plus, as Article 6 requires, one weekday off (补假) for each of
those days that falls on a Saturday or Sunday, taken on the first weekdays after that
holiday. The lunar holidays and 清明 cannot be computed without a lunar calendar, so their
dates for 2025–2035 are embedded below (checked against a lunar-calendar library and
chinesecalendar's solar terms); outside that range only the fixed-date holidays count.
No make-up workdays (调休) are invented: the State Council shuffles days differently every
year, but the Law's 补假 already gives the right *number* of working days lost — for 2025
and 2026 the rule yields exactly the official 248 working days — so counts across a holiday
come out close to the official ones.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
from chinese_calendar import constants as _cc_constants

SOURCE_PACKAGE = "package"
SOURCE_CONFIG = "config"
SOURCE_PROVISIONAL = "provisional"

# Shown after every date or count derived from a provisional year (CLI, exports, documents).
PROVISIONAL_MARK = "（暂定）"

PACKAGE_YEARS = range(
    min(_cc_constants.holidays).year,
    max(_cc_constants.holidays).year + 1,
)

# year: (春节 正月初一, 清明, 端午 五月初五, 中秋 八月十五)
# 2025–2026 are known to the package; they are here so tests can check the rule against it.
LUNAR_HOLIDAYS: dict[int, tuple[date, date, date, date]] = {
    2025: (date(2025, 1, 29), date(2025, 4, 4), date(2025, 5, 31), date(2025, 10, 6)),
    2026: (date(2026, 2, 17), date(2026, 4, 5), date(2026, 6, 19), date(2026, 9, 25)),
    2027: (date(2027, 2, 6), date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15)),
    2028: (date(2028, 1, 26), date(2028, 4, 4), date(2028, 5, 28), date(2028, 10, 3)),
    2029: (date(2029, 2, 13), date(2029, 4, 4), date(2029, 6, 16), date(2029, 9, 22)),
    2030: (date(2030, 2, 3), date(2030, 4, 5), date(2030, 6, 5), date(2030, 9, 12)),
    2031: (date(2031, 1, 23), date(2031, 4, 5), date(2031, 6, 24), date(2031, 10, 1)),
    2032: (date(2032, 2, 11), date(2032, 4, 4), date(2032, 6, 12), date(2032, 9, 19)),
    2033: (date(2033, 1, 31), date(2033, 4, 4), date(2033, 6, 1), date(2033, 9, 8)),
    2034: (date(2034, 2, 19), date(2034, 4, 5), date(2034, 6, 20), date(2034, 9, 27)),
    2035: (date(2035, 2, 8), date(2035, 4, 5), date(2035, 6, 10), date(2035, 9, 16)),
}


def statutory_days(year: int) -> list[date]:
    """The statutory days off of `year` under the 2024 Law (no 补假), sorted."""
    days = {date(year, 1, 1), date(year, 5, 1), date(year, 5, 2)}
    days.update(date(year, 10, d) for d in (1, 2, 3))
    lunar = LUNAR_HOLIDAYS.get(year)
    if lunar:
        new_year, qingming, duanwu, zhongqiu = lunar
        days.update(new_year + timedelta(days=k) for k in (-1, 0, 1, 2))  # 除夕 … 初三
        days.update((qingming, duanwu, zhongqiu))
    return sorted(days)


def provisional_holidays(year: int) -> frozenset[date]:
    """Weekdays off in a year counted by the provisional rule: statutory days plus 补假."""
    statutory = statutory_days(year)
    off = set(statutory)
    # Group consecutive statutory days into holidays; each weekend day of a holiday is made
    # up on the next free weekday after it (Article 6).
    blocks: list[list[date]] = []
    for d in statutory:
        if blocks and d - blocks[-1][-1] == timedelta(days=1):
            blocks[-1].append(d)
        else:
            blocks.append([d])
    for block in blocks:
        owed = sum(1 for d in block if d.weekday() >= 5)
        d = block[-1]
        while owed:
            d += timedelta(days=1)
            if d.weekday() < 5 and d not in off:
                off.add(d)
                owed -= 1
    return frozenset(d for d in off if d.weekday() < 5)


@dataclass(frozen=True)
class _Year:
    first: int  # ordinal of 1 January
    flags: bytes  # 1 for a working day, indexed by ordinal - first
    days: list[int]  # ordinals of the working days, sorted (for bisect)


class WorkCalendar:
    """Working days on the official calendar, with the workspace's own holidays and workdays.

    Build once per run (`WorkCalendar.from_config(config)`); per-year answers are computed on
    first use and cached, so counting for tens of thousands of items is a few bisects each.
    """

    def __init__(self, holidays: Iterable[date] = (), workdays: Iterable[date] = ()):
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays) - self.holidays
        self.config_years = frozenset(d.year for d in self.holidays)
        listed = Counter(d.year for d in self.holidays if d.weekday() < 5)
        self.complete_config_years = frozenset(
            y for y in self.config_years if listed[y] >= len(provisional_holidays(y))
        )
        self._years: dict[int, _Year] = {}

    @classmethod
    def from_config(cls, config) -> WorkCalendar:
        return cls(config.holidays, config.workdays)

    # -- where a year's answers come from

    def source(self, year: int) -> str:
        if year in PACKAGE_YEARS:
            return SOURCE_PACKAGE
        if year in self.complete_config_years:
            return SOURCE_CONFIG
        return SOURCE_PROVISIONAL

    def coverage(self, years: Iterable[int]) -> list[tuple[int, str]]:
        return [(y, self.source(y)) for y in sorted(set(years))]

    def is_provisional(self, d: date) -> bool:
        return self.source(d.year) == SOURCE_PROVISIONAL

    def spans_provisional(self, a: date, b: date) -> bool:
        """Whether any year from a to b (either order) is counted by the provisional rule."""
        lo, hi = sorted((a.year, b.year))
        return any(self.source(y) == SOURCE_PROVISIONAL for y in range(lo, hi + 1))

    # -- questions

    def is_workday(self, d: date) -> bool:
        y = self._year(d.year)
        return bool(y.flags[d.toordinal() - y.first])

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day strictly after d (n ≥ 1); d itself when n is 0.

        2026-09-30 + 3 = 2026-10-10 (a make-up Saturday), + 5 = 2026-10-13.
        """
        if n < 0:
            raise ValueError("add_workdays counts forward only")
        if n == 0:
            return d
        year = d.year
        idx = bisect_right(self._year(year).days, d.toordinal())
        while True:
            days = self._year(year).days
            if idx + n <= len(days):
                return date.fromordinal(days[idx + n - 1])
            n -= len(days) - idx
            year, idx = year + 1, 0

    def workdays_between(self, a: date, b: date) -> int:
        """How many working days d there are with a < d ≤ b (after a, up to and including b).

        0 when b ≤ a. So `workdays_between(d, add_workdays(d, n)) == n`, and a deadline
        followed by the as-of date gives the working days overdue.
        """
        if b <= a:
            return 0
        a_ord, b_ord = a.toordinal(), b.toordinal()
        total = 0
        for year in range(a.year, b.year + 1):
            days = self._year(year).days
            hi = bisect_right(days, b_ord) if year == b.year else len(days)
            lo = bisect_right(days, a_ord) if year == a.year else 0
            total += hi - lo
        return total

    def days_off(self, year: int) -> list[date]:
        """Monday–Friday dates of `year` that are not working days (holidays and 补假)."""
        return [d for d in _dates(year) if d.weekday() < 5 and not self.is_workday(d)]

    def makeup_workdays(self, year: int) -> list[date]:
        """Saturdays and Sundays of `year` that are working days (调休上班)."""
        return [d for d in _dates(year) if d.weekday() >= 5 and self.is_workday(d)]

    # -- per-year tables

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            cached = self._years[year] = self._build(year)
        return cached

    def _build(self, year: int) -> _Year:
        source = self.source(year)
        if source == SOURCE_PACKAGE:
            base = chinese_calendar.is_workday
        else:
            off = provisional_holidays(year) if source == SOURCE_PROVISIONAL else frozenset()

            def base(d: date) -> bool:
                return d.weekday() < 5 and d not in off

        flags = bytearray()
        for d in _dates(year):
            if d in self.holidays:
                flags.append(0)
            elif d in self.workdays:
                flags.append(1)
            else:
                flags.append(1 if base(d) else 0)
        first = date(year, 1, 1).toordinal()
        days = [first + i for i, f in enumerate(flags) if f]
        return _Year(first, bytes(flags), days)


def _dates(year: int) -> list[date]:
    first = date(year, 1, 1)
    n = (date(year + 1, 1, 1) - first).days
    return [first + timedelta(days=i) for i in range(n)]
