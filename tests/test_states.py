from dataclasses import replace
from datetime import date, timedelta

import pytest
from builders import CONFIG_TOML, make_item

from pipeline.config import ConfigError, Rules, parse_config
from pipeline.deadlines.states import (
    AppraisalRules,
    Standing,
    appraise,
    compute_states,
    item_state,
    report_text,
    total_summary,
    unit_summary,
)
from pipeline.deadlines.workdays import WorkCalendar, provisional_holidays
from pipeline.model import (
    STATE_CLOSED,
    STATE_DONE,
    STATE_DUE_SOON,
    STATE_NEEDS_HELP,
    STATE_ON_TRACK,
    STATE_ONGOING,
    STATE_OVERDUE,
    STATUS_DONE,
    STATUS_IN_PROGRESS,
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


def test_needs_help_past_the_deadline_waits_for_the_higher_level_not_overdue():
    st = state(make_item(status=STATUS_NEEDS_HELP), D(2026, 12, 2))
    assert (st.state, st.overdue_workdays, st.report_missing) == (STATE_NEEDS_HELP, 0, False)


def test_report_missing_after_report_due():
    item = make_item()
    assert state(item, D(2026, 12, 3)).report_missing is False  # report_due itself
    st = state(item, D(2026, 12, 4))
    assert st.report_missing and st.key_supervision
    assert state(replace(item, last_report_on=D(2026, 11, 29)), D(2026, 12, 4)).report_missing
    # A report received on the deadline day counts (issue 16: it used to have to come after it).
    assert not state(replace(item, last_report_on=D(2026, 11, 30)), D(2026, 12, 4)).report_missing
    st = state(replace(item, last_report_on=D(2026, 12, 1)), D(2026, 12, 4))
    assert not st.report_missing and not st.key_supervision and st.state == STATE_OVERDUE
    assert (st.report_on, st.report_late) == (D(2026, 12, 1), False)


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


def test_ongoing_has_no_deadline_and_owes_only_its_periodic_report():
    st = state(make_item(deadline=None, status=STATUS_ONGOING, last_report_on=D(2026, 11, 16)), D(2026, 12, 1))
    assert st.state == STATE_ONGOING
    assert (st.report_due, st.overdue_workdays, st.report_missing, st.key_supervision, st.provisional) == (
        D(2026, 12, 7), 0, False, False, False,  # December's report is due on its 5th working day
    )


ONGOING: dict = dict(deadline=None, status=STATUS_ONGOING, created_on=D(2026, 9, 1))


@pytest.mark.parametrize(("last_report", "as_of", "missing", "late", "text"), [
    (D(2026, 11, 5), D(2026, 12, 4), False, False, "已报送（11月5日）"),  # before 12-07 November's is owed
    (D(2026, 11, 16), D(2026, 12, 4), False, True, "已报送（11月16日）"),  # after November's 5th working day
    (D(2026, 11, 16), D(2026, 12, 7), True, False, "逾期未报送"),  # from December's 5th working day on
    (D(2026, 12, 2), D(2026, 12, 7), False, False, "已报送（12月2日）"),
    (D(2026, 12, 9), D(2026, 12, 9), False, True, "已报送（12月9日）"),  # a late report clears it from its day
    (None, D(2026, 12, 4), True, False, "逾期未报送"),  # nothing in November either
])
def test_an_ongoing_item_not_touched_in_a_month_is_report_missing_from_the_fifth_working_day(
        last_report, as_of, missing, late, text):
    st = state(make_item(last_report_on=last_report, **ONGOING), as_of)
    assert (st.state, st.report_missing, st.key_supervision, st.report_late, report_text(st)) == (
        STATE_ONGOING, missing, missing, late, text)


def test_an_ongoing_item_registered_in_the_period_owes_nothing_yet_and_quarters_are_a_setting():
    fresh = make_item(deadline=None, status=STATUS_ONGOING, created_on=D(2026, 12, 2))
    assert not state(fresh, D(2026, 12, 20)).report_missing
    quarterly = parse_config(CONFIG_TOML + '\n[rules]\nongoing_report_every = "quarter"\n').rules
    item = make_item(last_report_on=D(2026, 11, 16), **ONGOING)
    assert not item_state(item, D(2026, 12, 20), CAL, quarterly).report_missing  # Q4 began 10-01
    assert item_state(make_item(last_report_on=D(2026, 9, 16), **ONGOING), D(2026, 10, 14), CAL,
                      quarterly).report_missing  # Q4's 5th working day: 10-13
    with pytest.raises(ConfigError, match="month"):
        parse_config(CONFIG_TOML + '\n[rules]\nongoing_report_every = "week"\n')


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
        make_item("C2", "菱湖街道", deadline=None, status=STATUS_ONGOING, last_report_on=D(2026, 12, 1)),
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
    # 完成率 = done ÷ (due or done) (issue 16; it was done ÷ all items): 区财政局 1/1 and 菱湖街道 1/1
    # (C3, due tomorrow, is not due yet) share the first place, 区审计局 1/2.
    assert [(s.rank, s.unit) for s in summaries] == [(1, "区财政局"), (1, "菱湖街道"), (3, "区审计局")]
    finance, linghu, audit = summaries
    assert (audit.items, audit.done, audit.done_on_time, audit.overdue, audit.report_missing) == (2, 1, 0, 1, 1)
    assert audit.key_supervision == 1 and audit.due == 2
    assert (finance.done, finance.done_on_time, finance.overdue, finance.due) == (1, 1, 0, 1)
    assert (linghu.done, linghu.closed, linghu.ongoing, linghu.due_soon, linghu.lookback_due) == (1, 1, 1, 1, 1)
    assert linghu.completion_rate == 1.0 and audit.completion_rate == 0.5 and audit.on_time_rate == 0.0
    assert finance.completion_percent == "100.0%"
    total = total_summary(summaries)
    assert (total.items, total.done, total.overdue, total.due_or_done) == (7, 3, 1, 4)
    assert total.completion_rate == pytest.approx(3 / 4)


def test_ranking_ties_share_a_place_and_a_unit_with_nothing_due_or_done_is_last_unranked():
    items = [
        make_item("X1", "乙单位", deadline=D(2026, 11, 1)),
        make_item("X2", "乙单位", deadline=D(2026, 12, 31)),
        make_item("Y1", "甲单位", deadline=D(2026, 11, 1)),
        make_item("Y2", "甲单位", deadline=D(2026, 12, 31)),
        make_item("Z1", "丙单位", deadline=D(2026, 12, 31)),
    ]
    states = compute_states(items, D(2026, 12, 1), CAL, RULES)
    # 丙单位 has nothing due and nothing done: listed last, unranked (it ranked first before issue 16).
    assert [(s.unit, s.rank) for s in unit_summary(items, states)] == [("乙单位", 1), ("甲单位", 1), ("丙单位", None)]
    assert total_summary([]).completion_rate is None



# -- issue 16: the rules written once in states.py ------------------------------------------------

@pytest.mark.parametrize(("last_report", "report_on", "as_of", "missing", "late", "text"), [
    (None, None, D(2026, 12, 3), False, False, "待报送（12月3日前）"),  # report_due itself: not missing yet
    (None, None, D(2026, 12, 4), True, False, "逾期未报送"),
    (D(2026, 11, 29), None, D(2026, 12, 4), True, False, "逾期未报送"),  # before the deadline: does not count
    (D(2026, 11, 30), D(2026, 11, 30), D(2026, 12, 4), False, False, "已报送（11月30日）"),  # on the deadline day
    (D(2026, 12, 8), D(2026, 12, 8), D(2026, 12, 7), True, False, "逾期未报送"),  # late report, not yet received
    (D(2026, 12, 8), D(2026, 12, 8), D(2026, 12, 8), False, True, "已报送（12月8日）"),  # from that day on, late
])
def test_a_report_counts_from_the_deadline_day_and_a_late_one_clears_missing_from_its_day(
        last_report, report_on, as_of, missing, late, text):
    st = state(make_item(last_report_on=last_report, report_on=report_on), as_of)
    assert (st.report_missing, st.report_late, report_text(st)) == (missing, late, text)


def test_report_text_for_items_that_owe_no_report():
    assert report_text(state(make_item(status=STATUS_DONE, done_on=D(2026, 11, 20)), D(2026, 12, 4))) == "—"
    done = make_item(status=STATUS_DONE, done_on=D(2026, 11, 20), report_on=D(2026, 11, 20))
    assert report_text(state(done, D(2026, 12, 4))) == "已报送（11月20日）"


def test_an_item_closed_without_being_reported_done_counts_its_closing_day_not_its_registration():
    closed = make_item(status="未启动", closed_on=D(2026, 12, 5), last_report_on=D(2026, 9, 1))
    st = state(closed, D(2026, 12, 10))
    assert (st.state, st.done_on_time) == (STATE_CLOSED, False)  # it used to count "done on time"


def test_an_item_due_today_does_not_block_commendation_on_its_deadline_day():
    items = [make_item("A1", "甲单位", deadline=D(2026, 11, 20), status=STATUS_DONE, done_on=D(2026, 11, 18)),
             make_item("A2", "甲单位", deadline=D(2026, 11, 30))]
    on_the_day = Standing(D(2026, 11, 30), items, compute_states(items, D(2026, 11, 30), CAL, RULES), CAL, RULES)
    assert on_the_day.commended == ["甲单位"]
    day_after = Standing(D(2026, 12, 1), items, compute_states(items, D(2026, 12, 1), CAL, RULES), CAL, RULES)
    assert day_after.commended == []


def test_status_json_shape_in_ranking_order_with_unranked_units_last():
    items = [make_item("A1", "甲单位", deadline=D(2026, 11, 20), status=STATUS_DONE, done_on=D(2026, 11, 18)),
             make_item("B1", "乙单位", deadline=D(2026, 11, 2)),
             make_item("C1", "丙单位", deadline=D(2027, 1, 31))]
    day = D(2026, 12, 1)
    out = Standing(day, items, compute_states(items, day, CAL, RULES), CAL, RULES).as_json()
    assert out == {
        "as_of": "2026-12-01",
        "units": [
            {"unit": "甲单位", "rank": 1, "items": 1, "due": 1, "done": 1, "done_on_time": 1, "overdue": 0,
             "report_missing": 0, "rate": 1.0},
            {"unit": "乙单位", "rank": 2, "items": 1, "due": 1, "done": 0, "done_on_time": 0, "overdue": 1,
             "report_missing": 1, "rate": 0.0},
            {"unit": "丙单位", "rank": None, "items": 1, "due": 0, "done": 0, "done_on_time": 0, "overdue": 0,
             "report_missing": 0, "rate": None},
        ],
        "commended": ["甲单位"],
        "criticised": [{"unit": "乙单位", "reasons": ["1项整改问题逾期超过10个工作日仍未完成",
                                                    "1项整改问题逾期未报送整改情况"]}],
        "levels": [],  # issue 21: no unit reports up with sancha here
    }


@pytest.mark.parametrize(("a", "b"), [
    # 完成率 first; then 按期完成率; then fewer overdue; then fewer missing reports
    ({"done": 2, "due": 2}, {"done": 1, "due": 2}),
    ({"done": 2, "due": 2, "late": 0}, {"done": 2, "due": 2, "late": 1}),
    ({"done": 1, "due": 2, "overdue_reported": 1}, {"done": 1, "due": 2, "overdue_silent": 1}),
])
def test_ranking_order(a, b):
    def unit_items(name, spec):
        out, n = [], 0
        for _ in range(spec.get("done", 0) - spec.get("late", 0)):
            n += 1
            out.append(make_item(f"{name}{n}", name, deadline=D(2026, 11, 2), status=STATUS_DONE, done_on=D(2026, 11, 1)))
        for _ in range(spec.get("late", 0)):
            n += 1
            out.append(make_item(f"{name}{n}", name, deadline=D(2026, 11, 2), status=STATUS_DONE, done_on=D(2026, 11, 9)))
        for _ in range(spec.get("overdue_reported", 0)):
            n += 1
            out.append(make_item(f"{name}{n}", name, deadline=D(2026, 11, 2), last_report_on=D(2026, 11, 3)))
        for _ in range(spec.get("overdue_silent", 0)):
            n += 1
            out.append(make_item(f"{name}{n}", name, deadline=D(2026, 11, 2)))
        for _ in range(spec["due"] - n):
            n += 1
            out.append(make_item(f"{name}{n}", name, deadline=D(2026, 11, 2)))
        return out

    items = unit_items("乙", a) + unit_items("甲", b)  # 甲 sorts first by name: only the figures put 乙 first
    summaries = unit_summary(items, compute_states(items, D(2026, 11, 10), CAL, RULES))
    assert [(s.unit, s.rank) for s in summaries] == [("乙", 1), ("甲", 2)]


@pytest.mark.parametrize("seed", range(20))
def test_a_commended_unit_never_ranks_below_a_criticised_one(seed):
    import random

    rng = random.Random(seed)
    items = []
    for u in range(8):
        for k in range(rng.randint(1, 5)):
            deadline = D(2026, 10, 1) + timedelta(days=rng.randint(0, 90))
            roll = rng.random()
            status = STATUS_DONE if roll < 0.5 else STATUS_IN_PROGRESS
            done_on = deadline + timedelta(days=rng.randint(-20, 5)) if status == STATUS_DONE else None
            report = deadline + timedelta(days=rng.randint(-5, 10)) if rng.random() < 0.5 else None
            items.append(make_item(f"U{u}-{k}", f"单位{u}", deadline=deadline, status=status,
                                   done_on=min(done_on, D(2026, 11, 30)) if done_on else None, last_report_on=report))
    day = D(2026, 11, 30)
    result = Standing(day, items, compute_states(items, day, CAL, RULES), CAL, RULES)
    ranks = {s.unit: s.rank for s in result.summaries}
    criticised = [ranks[c.unit] for c in result.criticised]
    for unit in result.commended:
        rank = ranks[unit]
        assert rank is not None and all(rank < r for r in criticised if r is not None)


def test_appraisal_rules_keep_a_missing_report_out_of_commendation():
    items = [make_item("A1", "甲单位", deadline=D(2026, 11, 2), status=STATUS_DONE, done_on=D(2026, 11, 1)),
             make_item("A2", "甲单位", deadline=D(2026, 11, 5), status=STATUS_DONE, done_on=D(2026, 11, 4))]
    states = compute_states(items, D(2026, 11, 30), CAL, RULES)
    commended, _ = appraise(items, states, unit_summary(items, states), AppraisalRules(commend_min_due=3))
    assert commended == []  # two items due, three needed


def test_a_unit_that_finished_early_is_commended_and_one_with_an_item_done_late_is_not():
    early = [make_item("A1", "甲单位", deadline=D(2026, 12, 31), status=STATUS_DONE, done_on=D(2026, 11, 20))]
    late = [make_item("B1", "乙单位", deadline=D(2026, 11, 2), status=STATUS_DONE, done_on=D(2026, 11, 9))]
    items = early + late
    day = D(2026, 11, 30)
    result = Standing(day, items, compute_states(items, day, CAL, RULES), CAL, RULES)
    assert result.commended == ["甲单位"]  # nothing due yet, everything done: done ÷ (due or done) = 1
