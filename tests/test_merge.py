"""The pure merge plan: ids, matching by problem text, blanks never erase, deadlines are the office's."""

from dataclasses import replace
from datetime import date

from builders import make_item

from pipeline.ledger.merge import plan_merge
from pipeline.model import Item, Row, Submission, field_day

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
        report_on=RECEIVED,  # reported done as it entered the ledger: that report counts (issue 16)
    )
    assert hash(new) == hash(replace(new))


def test_row_with_id_updates_that_item_and_records_changes():
    p = plan(sub(row(item_id="2026-0001", progress="已上缴80%", status="推进中")), [item()])
    assert not p.added
    (new,) = p.updated
    assert (new.progress, new.status, new.last_report_on) == ("已上缴80%", "推进中", RECEIVED)
    assert {(e.field, e.old, e.new) for e in p.events if e.kind == "change"} == {
        ("progress", None, "已上缴80%"), ("status", None, "推进中")}
    assert [e.kind for e in p.events if e.kind != "change"] == ["report"]


def test_row_without_id_matches_same_problem_text_ignoring_spaces_and_punctuation():
    p = plan(sub(row("非税收入 收缴不及时。", progress="已完成")), [item()])
    assert not p.added and p.updated[0].id == "2026-0001"


def test_blank_cell_never_erases_and_unchanged_row_is_still_a_report():
    old = item(progress="已建立台账", owner="张明")
    p = plan(sub(row(item_id="2026-0001", progress=None, owner=None)), [old])
    assert [(e.kind, e.item_id, e.on) for e in p.events] == [("report", "2026-0001", RECEIVED)]
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


# -- issue 16: stale values, regressions, mistyped ids, reworded problems, the office's changes ----

def plan_from(s, existing=(), *, made_on=None, canonical=None, open_problems=(), by_office=False):
    return plan_merge(s, list(existing), received=RECEIVED, now="2026-11-20T10:00:00", year=2026, next_seq=9,
                      by_office=by_office, made_on=made_on, canonical=canonical, open_problems=open_problems)


def days(**fields) -> str:
    from pipeline.model import field_days_text

    return field_days_text(fields)


def test_a_value_from_a_file_made_before_a_later_change_does_not_overwrite_it():
    newer = item(progress="已上缴90%", status="推进中", field_days=days(progress=date(2026, 11, 15)))
    p = plan_from(sub(row(item_id="2026-0001", progress="已上缴50%", owner="李华",
                          cells={"item_id": "B4", "problem": "D4", "progress": "J4", "owner": "I4"})),
                  [newer], made_on=date(2026, 11, 10))
    assert codes(p) == [("stale-value", "三单", "J4")]
    assert "已上缴50%" in p.findings[0].message and "已上缴90%" in p.findings[0].message  # both values
    (new,) = p.updated
    assert (new.progress, new.owner) == ("已上缴90%", "李华")  # the field changed since stays, the others apply
    same_day = plan_from(sub(row(item_id="2026-0001", progress="已上缴95%")), [newer], made_on=date(2026, 11, 15))
    assert not same_day.findings and same_day.updated[0].progress == "已上缴95%"


def test_the_fill_in_date_stands_for_the_day_a_file_was_made_and_never_after_the_day_received():
    newer = item(progress="新", field_days=days(progress=date(2026, 11, 15)))
    old_form = Submission("x.xlsx", "三单", "区财政局", "A2", date(2026, 11, 12), None,
                          (row(item_id="2026-0001", progress="旧"),), ())
    assert [f.code for f in plan_from(old_form, [newer]).findings] == ["stale-value"]


def test_a_value_is_as_new_as_the_file_that_brought_it_not_as_the_day_it_arrived():
    """Forms filled in on the same day and sent on different days: the later one is no stale form."""
    p = plan_from(sub(row(item_id="2026-0001", progress="第二版")), [item(progress="第一版")],
                  made_on=date(2026, 11, 12))
    (new,) = p.updated
    assert field_day(new, "progress") == date(2026, 11, 12)  # made on, not received (11-20)
    assert [e.data for e in p.events if e.kind == "change"] == [{"made_on": "2026-11-12"}]
    again = plan_from(sub(row(item_id="2026-0001", progress="第三版")), [new], made_on=date(2026, 11, 12))
    assert not again.findings and again.updated[0].progress == "第三版"


def test_a_unit_cannot_turn_a_done_item_back_to_not_done():
    done = item(status="已完成", done_on=date(2026, 11, 10), progress="已完成")
    p = plan_from(sub(row(item_id="2026-0001", status="推进中", progress="继续推进",
                          cells={"item_id": "B4", "problem": "D4", "status": "K4"})), [done])
    assert codes(p) == [("status-regression", "三单", "K4")]
    assert p.ok and p.updated[0].status == "已完成" and p.updated[0].progress == "已完成"  # the row not applied
    assert [e.kind for e in p.events] == ["report"]
    closed = item(status="已完成", closed_on=date(2026, 11, 12))
    assert [f.code for f in plan_from(sub(row(item_id="2026-0001", status="未启动")), [closed]).findings] == [
        "status-regression"]


def test_a_mistyped_id_pointing_at_another_problem_is_an_error_naming_the_items_text():
    other = item("2026-0002", problem="政务服务热线工单办结率偏低")
    p = plan_from(sub(row("背街小巷环境卫生整治不彻底", item_id="2026-0002", status="已完成")), [other])
    assert codes(p) == [("id-mismatch", "三单", "D4")] and not p.ok
    assert "政务服务热线工单办结率偏低" in p.findings[0].hint
    reworded = plan_from(sub(row("政务服务热线工单办结率偏低的问题", item_id="2026-0002")), [other])
    assert reworded.ok and reworded.updated[0].problem == "政务服务热线工单办结率偏低的问题"


def test_a_new_problem_very_close_to_an_open_item_of_the_unit_is_a_warning_naming_it():
    open_ = [("2026-0003", "建筑工地扬尘管控措施落实不到位", "建筑工地扬尘管控措施落实不到位")]
    p = plan_from(sub(row("建筑工地扬尘管控措施落实不到位的问题")), open_problems=open_)
    assert codes(p) == [("similar-problem", "三单", "D4")] and p.ok
    assert "2026-0003" in p.findings[0].message and p.added[0].id == "2026-0009"
    assert not plan_from(sub(row("政府采购项目验收不及时")), open_problems=open_).findings


def test_a_done_date_after_the_fill_in_date_or_the_day_received_is_an_error():
    p = plan_from(sub(row("问题一", status="已完成", done_on=date(2026, 11, 21),
                          cells={"problem": "D4", "done_on": "L4"})))
    assert codes(p) == [("done-in-future", "三单", "L4")] and not p.ok
    filled = Submission("x.xlsx", "三单", "区财政局", "A2", date(2026, 11, 18), None,
                        (row("问题一", status="已完成", done_on=date(2026, 11, 19)),), ())
    assert [f.code for f in plan_from(filled).findings] == ["done-in-future"]


def test_a_voided_item_takes_no_more_reports():
    voided = item(voided_on=date(2026, 11, 15))
    p = plan_from(sub(row(item_id="2026-0001", progress="新进展")), [voided])
    assert [f.code for f in p.findings] == ["voided-id"] and p.ok and not p.updated and not p.events


def test_an_office_file_records_a_new_deadline_as_an_extension_and_a_new_lead_unit_as_a_reassignment():
    other = item("2026-0002", unit="区住房城乡建设局", deadline=date(2026, 11, 10))
    r = row(item_id="2026-0002", unit="区审计局", deadline=date(2027, 1, 31), deadline_text="2027年1月31日",
            remark="经区政府同意")
    p = plan_from(sub(r, unit="大观区人民政府办公室"), [other], by_office=True)
    kinds = {e.kind: e for e in p.events}
    assert kinds["extend"].note == "经区政府同意" and kinds["extend"].data["late"] is True
    assert (kinds["extend"].old, kinds["extend"].new) == (date(2026, 11, 10), date(2027, 1, 31))
    assert (kinds["reassign"].old, kinds["reassign"].new) == ("区住房城乡建设局", "区审计局")
    assert p.replayed == ["2026-0002"]


def test_an_item_stored_under_a_units_old_name_is_the_renamed_units():
    renamed = item(unit="区发展改革委")  # the old name, now an alias of 区发展和改革委员会
    canonical = {"区发展改革委": "区发展和改革委员会"}.get
    p = plan_from(sub(row(item_id="2026-0001", unit="区发展和改革委员会", progress="已推进"),
                      unit="区发展和改革委员会"), [renamed], canonical=lambda n: canonical(n) or n)
    assert p.ok and p.updated[0].progress == "已推进" and p.updated[0].unit == "区发展改革委"  # stored as it was
    by_text = plan_from(sub(row(unit="区发展和改革委员会", progress="按文本"), unit="区发展和改革委员会"), [renamed],
                        canonical=lambda n: canonical(n) or n)
    assert not by_text.added and by_text.updated[0].id == "2026-0001"


def test_a_form_made_before_an_item_moved_to_another_unit_is_a_stale_value_not_an_error():
    moved = item(unit="区审计局", field_days=days(unit=date(2026, 11, 15)))
    p = plan_from(sub(row(item_id="2026-0001", progress="旧表")), [moved], made_on=date(2026, 11, 10))
    assert [f.code for f in p.findings] == ["stale-value"] and p.ok and not p.updated
    after = plan_from(sub(row(item_id="2026-0001", progress="新表")), [moved], made_on=date(2026, 11, 16))
    assert [f.code for f in after.findings] == ["foreign-id"]
