from dataclasses import replace
from datetime import date

import pytest
from builders import make_item

from pipeline.config import Rules
from pipeline.deadlines.states import compute_states, item_state, total_summary, unit_summary
from pipeline.deadlines.workdays import WorkCalendar, provisional_holidays
from pipeline.model import (
    STATE_CLOSED,
    STATE_DONE,
    STATE_DUE_SOON,
    STATE_ON_TRACK,
    STATE_ONGOING,
    STATE_OVERDUE,
    STATUS_DONE,
    STATUS_NEEDS_HELP,
    STATUS_ONGOING,
)

D = date
CAL = WorkCalendar()
RULES = Rules()


def state(item, as_of, cal=CAL, rules=RULES):
    return item_state(item, as_of, cal, rules)


# Deadline Monday 2026-11-30; report_due = 3rd working day after = Thursday 2026-12-03.


def test_on_track_due_soon_overdue():
    item = make_item()
    assert state(item, D(2026, 11, 20)).state == STATE_ON_TRACK  # Friday: 6 working days left
    assert state(item, D(2026, 11, 24)).state == STATE_ON_TRACK  # 4 working days left
    assert state(item, D(2026, 11, 25)).state == STATE_DUE_SOON  # 3 left
    assert state(item, D(2026, 11, 30)).state == STATE_DUE_SOON  # the deadline itself
    st = state(item, D(2026, 12, 1))
    assert (st.state, st.overdue_workdays, st.report_due) == (STATE_OVERDUE, 1, D(2026, 12, 3))
    assert st.report_missing is False and st.key_supervision is False
    assert st.done_on_time is None and st.provisional is False


def test_due_soon_is_configurable():
    rules = replace(RULES, due_soon_workdays=5)
    assert state(make_item(), D(2026, 11, 23), rules=rules).state == STATE_DUE_SOON


def test_due_soon_counts_working_days_across_national_day():
    item = make_item(deadline=D(2026, 10, 9))
    # From 2026-09-30 the working days are 10-08, 10-09, 10-10: the deadline is 2 away.
    assert state(item, D(2026, 9, 30)).state == STATE_DUE_SOON
    assert state(item, D(2026, 9, 29)).state == STATE_DUE_SOON
    assert state(item, D(2026, 9, 28)).state == STATE_ON_TRACK


def test_overdue_over_a_weekend_counts_no_working_days():
    st = state(make_item(deadline=D(2026, 11, 27)), D(2026, 11, 28))  # Friday deadline, Saturday
    assert (st.state, st.overdue_workdays) == (STATE_OVERDUE, 0)


def test_needs_help_past_the_deadline_is_still_overdue():
    st = state(make_item(status=STATUS_NEEDS_HELP), D(2026, 12, 2))
    assert st.state == STATE_OVERDUE


def test_report_missing_after_report_due():
    item = make_item()
    assert state(item, D(2026, 12, 3)).report_missing is False  # report_due itself
    st = state(item, D(2026, 12, 4))
    assert st.report_missing and st.key_supervision
    assert state(replace(item, last_report_on=D(2026, 11, 30)), D(2026, 12, 4)).report_missing
    st = state(replace(item, last_report_on=D(2026, 12, 1)), D(2026, 12, 4))
    assert not st.report_missing and not st.key_supervision and st.state == STATE_OVERDUE


def test_key_supervision_when_overdue_more_than_m_workdays():
    item = make_item(last_report_on=D(2026, 12, 1))
    assert state(item, D(2026, 12, 14)).overdue_workdays == 10
    assert state(item, D(2026, 12, 14)).key_supervision is False
    st = state(item, D(2026, 12, 15))
    assert (st.overdue_workdays, st.key_supervision) == (11, True)
    assert state(item, D(2026, 12, 15), rules=replace(RULES, key_overdue_workdays=11)).key_supervision is False


def test_done_on_time_and_late():
    on_time = make_item(status=STATUS_DONE, done_on=D(2026, 11, 28))
    st = state(on_time, D(2026, 12, 10))
    assert (st.state, st.done_on_time, st.overdue_workdays, st.report_missing) == (STATE_DONE, True, 0, False)
    late = make_item(status=STATUS_DONE, done_on=D(2026, 12, 2))
    st = state(late, D(2026, 12, 10))
    assert (st.state, st.done_on_time) == (STATE_DONE, False)
    assert st.report_due == D(2026, 12, 3)


def test_done_after_as_of_is_not_yet_done():
    item = make_item(status=STATUS_DONE, done_on=D(2026, 12, 2))
    st = state(item, D(2026, 12, 1))
    assert (st.state, st.overdue_workdays, st.done_on_time) == (STATE_OVERDUE, 1, None)


def test_done_without_a_date_uses_the_latest_report():
    item = make_item(status=STATUS_DONE, last_report_on=D(2026, 11, 20))
    assert state(item, D(2026, 12, 10)).done_on_time is True
    assert state(make_item(status=STATUS_DONE), D(2026, 12, 10)).done_on_time is None
    assert state(make_item(status=STATUS_DONE), D(2026, 12, 10)).state == STATE_DONE


def test_ongoing_has_no_deadline():
    st = state(make_item(deadline=None, status=STATUS_ONGOING), D(2027, 3, 1))
    assert st.state == STATE_ONGOING
    assert (st.report_due, st.overdue_workdays, st.report_missing, st.key_supervision, st.provisional) == (
        None, 0, False, False, False,
    )


def test_closed_from_its_closing_date():
    item = make_item(status=STATUS_DONE, done_on=D(2026, 11, 25), closed_on=D(2026, 12, 5))
    assert state(item, D(2026, 12, 4)).state == STATE_DONE
    st = state(item, D(2026, 12, 5))
    assert (st.state, st.done_on_time) == (STATE_CLOSED, True)
    # Closed by the office while the unit still said in progress: closing date stands in.
    closed = make_item(closed_on=D(2026, 12, 5))
    st = state(closed, D(2026, 12, 10))
    assert (st.state, st.done_on_time, st.report_missing) == (STATE_CLOSED, False, False)


def test_lookback_due():
    item = make_item(status=STATUS_DONE, done_on=D(2026, 11, 10))
    assert state(item, D(2026, 12, 9)).lookback_due is False  # 29 days
    assert state(item, D(2026, 12, 10)).lookback_due is True  # 30 days
    assert state(replace(item, lookback_on=D(2026, 12, 1)), D(2026, 12, 10)).lookback_due is False
    assert state(replace(item, lookback_on=D(2026, 12, 11)), D(2026, 12, 10)).lookback_due is True
    # A look back before the latest done date does not count.
    assert state(replace(item, lookback_on=D(2026, 11, 1)), D(2026, 12, 10)).lookback_due is True
    assert state(replace(item, closed_on=D(2026, 11, 20)), D(2026, 12, 10)).lookback_due is True
    assert state(make_item(), D(2026, 12, 10)).lookback_due is False


@pytest.mark.parametrize(
    ("holidays", "provisional", "report_due"),
    # "with 2027": the office entered a whole schedule (the Law's days off plus a 4 Jan bridge day)
    [((), True, D(2027, 1, 5)), ((*provisional_holidays(2027), D(2027, 1, 4)), False, D(2027, 1, 6))],
)
def test_deadline_2026_12_30_with_and_without_2027_in_the_config(holidays, provisional, report_due):
    cal = WorkCalendar(holidays=holidays)
    item = make_item(deadline=D(2026, 12, 30))
    st = state(item, D(2026, 12, 1), cal=cal)
    assert (st.report_due, st.provisional, st.state) == (report_due, provisional, STATE_ON_TRACK)


def test_as_of_in_a_provisional_year_makes_an_open_item_provisional():
    item = make_item()
    st = state(item, D(2027, 1, 8))
    assert st.state == STATE_OVERDUE and st.provisional
    assert not state(replace(item, status=STATUS_DONE, done_on=D(2026, 11, 1)), D(2027, 1, 8)).provisional


def make_ledger():
    return [
        make_item("A1", "区财政局", status=STATUS_DONE, done_on=D(2026, 11, 20)),
        make_item("A2", "区财政局", deadline=D(2026, 12, 31)),
        make_item("B1", "区审计局", status=STATUS_DONE, done_on=D(2026, 12, 2)),
        make_item("B2", "区审计局", deadline=D(2026, 11, 20)),
        make_item("C1", "菱湖街道", closed_on=D(2026, 12, 1), status=STATUS_DONE, done_on=D(2026, 11, 1)),
        make_item("C2", "菱湖街道", deadline=None, status=STATUS_ONGOING),
        make_item("C3", "菱湖街道", deadline=D(2026, 12, 8)),
    ]


def test_compute_states_and_unit_summary():
    items = make_ledger()
    states = compute_states(items, D(2026, 12, 7), CAL, RULES)
    assert {k: s.state for k, s in states.items()} == {
        "A1": STATE_DONE,
        "A2": STATE_ON_TRACK,
        "B1": STATE_DONE,
        "B2": STATE_OVERDUE,
        "C1": STATE_CLOSED,
        "C2": STATE_ONGOING,
        "C3": STATE_DUE_SOON,
    }
    summaries = unit_summary(items, states)
    # 1/2 done for both: no overdue ranks before one overdue.
    assert [(s.rank, s.unit) for s in summaries] == [(1, "区财政局"), (2, "区审计局"), (3, "菱湖街道")]
    finance, audit, linghu = summaries
    assert (audit.items, audit.done, audit.done_on_time, audit.overdue, audit.report_missing) == (2, 1, 0, 1, 1)
    assert audit.key_supervision == 1 and audit.due == 2
    assert (finance.done, finance.done_on_time, finance.overdue, finance.due) == (1, 1, 0, 1)
    assert (linghu.done, linghu.closed, linghu.ongoing, linghu.due_soon, linghu.lookback_due) == (1, 1, 1, 1, 1)
    assert linghu.completion_rate == pytest.approx(1 / 3)
    assert finance.completion_percent == "50.0%"
    total = total_summary(summaries)
    assert (total.items, total.done, total.overdue, total.completion_rate) == (7, 3, 1, pytest.approx(3 / 7))


def test_ranking_ties_fall_back_to_overdue_then_name():
    items = [
        make_item("X1", "乙单位", deadline=D(2026, 11, 1)),
        make_item("X2", "乙单位", deadline=D(2026, 12, 31)),
        make_item("Y1", "甲单位", deadline=D(2026, 11, 1)),
        make_item("Y2", "甲单位", deadline=D(2026, 12, 31)),
        make_item("Z1", "丙单位", deadline=D(2026, 12, 31)),
    ]
    states = compute_states(items, D(2026, 12, 1), CAL, RULES)
    assert [s.unit for s in unit_summary(items, states)] == ["丙单位", "乙单位", "甲单位"]
    assert total_summary([]).completion_rate == 0.0

