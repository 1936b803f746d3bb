"""The pure merge plan: ids, matching by problem text, blanks never erase, deadlines are the office's."""

from dataclasses import replace
from datetime import date

from builders import make_item

from pipeline.ledger.merge import plan_merge
from pipeline.model import Item, Row, Submission

RECEIVED = date(2026, 11, 20)


def row(problem="非税收入收缴不及时", *, item_id=None, unit="区财政局", deadline=date(2026, 12, 31), **kw) -> Row:
    values = dict(
        sheet="三单", row=4, item_id=item_id, source="督查", problem=problem, measures="督促上缴",
        deadline=deadline, deadline_text=str(deadline), ongoing=False, lead_unit=unit, co_units=(), owner="张明",
        progress=None, status=None, done_on=None, remark=None,
        cells={"item_id": "B4", "problem": "D4", "deadline": "F4", "lead_unit": "G4"},
    )
    values.update(kw)
    return Row(**values)


def sub(*rows, unit="区财政局") -> Submission:
    return Submission("x.xlsx", "三单", unit, "A2", RECEIVED, None, tuple(rows), ())


def item(item_id="2026-0001", problem="非税收入收缴不及时", unit="区财政局", **kw) -> Item:
    """An item as a row like `row()` made it on 1 November."""
    values = dict(source="督查", problem=problem, measures="督促上缴", deadline=date(2026, 12, 31), owner="张明",
                  status=None, created_on=date(2026, 11, 1), updated_at="2026-11-01T09:00:00",
                  last_report_on=date(2026, 11, 1))
    values.update(kw)
    return make_item(item_id, unit, **values)


def plan(s, existing=(), by_office=False, next_seq=1):
    return plan_merge(s, list(existing), received=RECEIVED, now="2026-11-20T10:00:00", year=2026,
                      next_seq=next_seq, by_office=by_office)


def codes(p):
    return [(f.code, f.sheet, f.cell) for f in p.findings]


def test_new_rows_get_running_ids_of_the_year():
    p = plan(sub(row("问题一"), row("问题二")), next_seq=7)
    assert [i.id for i in p.added] == ["2026-0007", "2026-0008"]
    assert all(i.created_on == RECEIVED and i.last_report_on == RECEIVED for i in p.added)
    assert p.reported == ("2026-0007", "2026-0008")


def test_a_new_item_holds_every_field_of_its_row_where_the_ledger_expects_it():
    r = row("问题一", co_units=("区审计局",), owner="李华", progress="已部署", status="已完成", remark="备注",
            source="巡察", done_on=None)
    (new,) = plan(sub(r), next_seq=3).added
    assert new == Item(
        id="2026-0003", unit="区财政局", co_units=("区审计局",), source="巡察", problem="问题一", measures="督促上缴",
        deadline=date(2026, 12, 31), deadline_text="2026-12-31", ongoing=False, owner="李华", progress="已部署",
        status="已完成", done_on=RECEIVED, remark="备注", created_on=RECEIVED, updated_at="2026-11-20T10:00:00",
        closed_on=None, last_report_on=RECEIVED, lookback_on=None, original_deadline=None,
    )
    assert hash(new) == hash(replace(new))


def test_row_with_id_updates_that_item_and_records_changes():
    p = plan(sub(row(item_id="2026-0001", progress="已上缴80%", status="推进中")), [item()])
    assert not p.added
    (new,) = p.updated
    assert (new.progress, new.status, new.last_report_on) == ("已上缴80%", "推进中", RECEIVED)
    assert {(c.field, c.old, c.new) for c in p.changes} == {("progress", None, "已上缴80%"), ("status", None, "推进中")}


def test_row_without_id_matches_same_problem_text_ignoring_spaces_and_punctuation():
    p = plan(sub(row("非税收入 收缴不及时。", progress="已完成")), [item()])
    assert not p.added and p.updated[0].id == "2026-0001"


def test_blank_cell_never_erases_and_unchanged_row_is_still_a_report():
    old = item(progress="已建立台账", owner="张明")
    p = plan(sub(row(item_id="2026-0001", progress=None, owner=None)), [old])
    assert not p.changes
    assert p.updated[0].progress == "已建立台账" and p.updated[0].last_report_on == RECEIVED
    assert p.reported == ("2026-0001",)


def test_done_without_date_counts_from_the_day_received():
    p = plan(sub(row(item_id="2026-0001", status="已完成")), [item()])
    assert p.updated[0].done_on == RECEIVED


def test_unknown_and_foreign_ids_are_errors_at_the_id_cell():
    p = plan(sub(row(item_id="2026-0099"), row("别的问题", item_id="2026-0002", cells={"item_id": "B5"})),
             [item("2026-0002", unit="区住房城乡建设局", problem="别的问题")])
    assert codes(p) == [("unknown-id", "三单", "B4"), ("foreign-id", "三单", "B5")]
    assert not p.ok


def test_the_office_may_update_any_units_item_and_move_its_deadline():
    other = item("2026-0002", unit="区住房城乡建设局")
    r = row(item_id="2026-0002", unit="区住房城乡建设局", deadline=date(2027, 1, 31), deadline_text="2027年1月31日")
    p = plan(sub(r, unit="大观区人民政府办公室"), [other], by_office=True)
    assert p.ok and p.updated[0].deadline == date(2027, 1, 31)


def test_a_unit_cannot_move_its_own_deadline():
    p = plan(sub(row(item_id="2026-0001", deadline=date(2027, 3, 31), deadline_text="2027年3月底")), [item()])
    assert codes(p) == [("deadline-change-ignored", "三单", "F4")]
    assert p.ok and p.updated[0].deadline == date(2026, 12, 31)


def test_same_id_twice_in_one_file():
    p = plan(sub(row(item_id="2026-0001"), row(item_id="2026-0001", cells={"item_id": "B9"})), [item()])
    assert codes(p) == [("duplicate-id", "三单", "B9")]


def test_open_item_wins_over_closed_one_with_same_text():
    closed = item("2026-0001", closed_on=date(2026, 6, 1))
    open_ = replace(item("2026-0005"), closed_on=None)
    p = plan(sub(row(progress="新进展")), [closed, open_])
    assert p.updated[0].id == "2026-0005"
