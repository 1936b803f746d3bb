from datetime import date, timedelta

import chinese_calendar
import pytest

from pipeline.deadlines.workdays import (
    LUNAR_HOLIDAYS,
    SOURCE_CONFIG,
    SOURCE_PACKAGE,
    SOURCE_PROVISIONAL,
    WorkCalendar,
    provisional_holidays,
)

D = date
CAL = WorkCalendar()


def test_n_th_working_day_strictly_after():
    assert CAL.add_workdays(D(2026, 9, 30), 5) == D(2026, 10, 13)
    assert CAL.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)  # make-up Saturday
    assert CAL.add_workdays(D(2026, 11, 20), 1) == D(2026, 11, 23)  # Friday -> Monday
    assert CAL.add_workdays(D(2026, 11, 18), 0) == D(2026, 11, 18)
    with pytest.raises(ValueError):
        CAL.add_workdays(D(2026, 11, 18), -1)


def test_national_day_2026():
    assert CAL.is_workday(D(2026, 9, 20))  # Sunday, make-up workday
    assert CAL.is_workday(D(2026, 10, 10))  # Saturday, make-up workday
    assert not any(CAL.is_workday(D(2026, 10, d)) for d in range(1, 8))
    assert CAL.is_workday(D(2026, 10, 8))
    assert CAL.makeup_workdays(2026)[-2:] == [D(2026, 9, 20), D(2026, 10, 10)]


def test_spring_festival_2026():
    assert not any(CAL.is_workday(D(2026, 2, d)) for d in range(15, 24))
    assert CAL.is_workday(D(2026, 2, 14))  # Saturday before, make-up workday
    assert CAL.is_workday(D(2026, 2, 28))  # Saturday after, make-up workday
    assert CAL.add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert CAL.add_workdays(D(2026, 2, 14), 1) == D(2026, 2, 24)
    assert CAL.workdays_between(D(2026, 2, 14), D(2026, 2, 24)) == 1


def test_workdays_between_is_after_a_up_to_and_including_b():
    assert CAL.workdays_between(D(2026, 9, 30), D(2026, 10, 13)) == 5
    assert CAL.workdays_between(D(2026, 11, 20), D(2026, 11, 21)) == 0  # Friday -> Saturday
    assert CAL.workdays_between(D(2026, 11, 20), D(2026, 11, 20)) == 0
    assert CAL.workdays_between(D(2026, 11, 23), D(2026, 11, 20)) == 0
    for start in (D(2026, 1, 1), D(2026, 9, 18), D(2026, 12, 20)):
        for n in (1, 3, 10, 40):
            assert CAL.workdays_between(start, CAL.add_workdays(start, n)) == n


def test_agrees_with_the_package_over_its_years():
    start = D(2025, 6, 1)
    for i in range(0, 500, 7):
        d = start + timedelta(days=i)
        assert CAL.is_workday(d) == chinese_calendar.is_workday(d)
        if d.year == 2025 and CAL.is_workday(d):  # find_workday counts from d when d works
            assert CAL.add_workdays(d, 5) == chinese_calendar.find_workday(5, d)


def test_unknown_year_never_reaches_the_package():
    # chinesecalendar 1.11.0 raises for 2027, also from find_workday crossing the year.
    assert CAL.add_workdays(D(2026, 12, 30), 3) == D(2027, 1, 5)  # 元旦 1 Jan 2027 off
    assert CAL.is_provisional(D(2027, 1, 5))
    assert not CAL.is_provisional(D(2026, 12, 30))
    assert CAL.spans_provisional(D(2026, 12, 30), D(2027, 1, 5))
    assert CAL.workdays_between(D(2026, 12, 1), D(2028, 12, 31)) > 500
    assert CAL.add_workdays(D(2040, 6, 1), 1) == D(2040, 6, 4)


def test_config_year_wins_and_is_not_provisional():
    # A whole schedule: 元旦 and 1 Jan 4 plus as many other weekdays off as the Law makes.
    rest = sorted(provisional_holidays(2027) - {D(2027, 1, 1), D(2027, 2, 8)})
    cal = WorkCalendar(holidays=[D(2027, 1, 1), D(2027, 1, 4), *rest], workdays=[D(2027, 1, 9)])
    assert cal.add_workdays(D(2026, 12, 30), 3) == D(2027, 1, 6)
    assert not cal.is_provisional(D(2027, 1, 6))
    assert cal.is_workday(D(2027, 1, 9))  # listed Saturday workday
    assert cal.is_workday(D(2027, 2, 8))  # config year: nothing provisional added
    assert cal.coverage([2027, 2026, 2028]) == [
        (2026, SOURCE_PACKAGE),
        (2027, SOURCE_CONFIG),
        (2028, SOURCE_PROVISIONAL),
    ]


def test_a_partly_listed_year_stays_provisional_with_its_listed_days():
    cal = WorkCalendar(holidays=[D(2027, 1, 1)])
    assert cal.source(2027) == SOURCE_PROVISIONAL
    assert not cal.is_workday(D(2027, 1, 1))
    assert not cal.is_workday(D(2027, 2, 8))  # Spring Festival still off by the rule
    assert cal.is_provisional(D(2027, 1, 6))


def test_config_overrides_the_package():
    cal = WorkCalendar(holidays=[D(2026, 11, 20)], workdays=[D(2026, 10, 5)])
    assert not cal.is_workday(D(2026, 11, 20))
    assert cal.is_workday(D(2026, 10, 5))
    assert cal.source(2026) == SOURCE_PACKAGE


def test_a_date_in_both_config_lists_is_a_holiday():
    cal = WorkCalendar(holidays=[D(2027, 3, 1)], workdays=[D(2027, 3, 1)])
    assert not cal.is_workday(D(2027, 3, 1))


def test_workdays_only_leave_a_year_provisional():
    cal = WorkCalendar(workdays=[D(2027, 2, 20)])
    assert cal.source(2027) == SOURCE_PROVISIONAL
    assert cal.is_workday(D(2027, 2, 20))


def test_provisional_rule_2027():
    assert sorted(provisional_holidays(2027)) == [
        D(2027, 1, 1),
        D(2027, 2, 5), D(2027, 2, 8), D(2027, 2, 9), D(2027, 2, 10),  # 除夕–初三 + 补假 for Sat/Sun
        D(2027, 4, 5),
        D(2027, 5, 3), D(2027, 5, 4),  # 1–2 May are Sat/Sun
        D(2027, 6, 9),
        D(2027, 9, 15),
        D(2027, 10, 1), D(2027, 10, 4), D(2027, 10, 5),
    ]
    assert CAL.makeup_workdays(2027) == []
    assert CAL.days_off(2027) == sorted(provisional_holidays(2027))


@pytest.mark.parametrize("year", [2025, 2026])
def test_provisional_rule_matches_the_official_count(year):
    # Under the 2024 Law the official schedule only shuffles days; the rule must lose as many.
    days = [D(year, 1, 1) + timedelta(days=i) for i in range(365)]
    off = provisional_holidays(year)
    rule = sum(1 for d in days if d.weekday() < 5 and d not in off)
    assert rule == sum(1 for d in days if chinese_calendar.is_workday(d))


def test_lunar_table_has_4_dates_per_year():
    for year, dates in LUNAR_HOLIDAYS.items():
        assert len(dates) == 4 and all(d.year == year for d in dates)
