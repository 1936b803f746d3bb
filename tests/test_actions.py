"""The office's actions as library functions: checked against the item on their day, one event
each, the days before them left as they were."""

from __future__ import annotations

from datetime import date

import pytest
from builders import data_row, make_config, submission_rows, xlsx_bytes

from pipeline.ledger import actions
from pipeline.ledger.actions import ActionError
from pipeline.ledger.ingest import ingest_paths
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.view import item_on, items_on

D = date
TODAY = D(2026, 12, 3)


@pytest.fixture
def ledger(workspace):
    """区财政局's 2026-0001 (deadline 11-30) and 2026-0002 (12-31, reported done on 11-25), registered 11-20."""
    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(submission_rows(
        data_row(1, deadline="2026-11-30"), data_row(2, deadline="2026-12-31"))))
    ingest_paths(workspace, list(workspace.inbox.iterdir()), D(2026, 11, 20), workers=0)
    (workspace.inbox / "b.xlsx").write_bytes(xlsx_bytes(submission_rows(
        data_row(2, item_id="2026-0002", deadline="2026-12-31", status="已完成", done_on="2026-11-24"),
        report_date="2026年11月25日")))
    ingest_paths(workspace, list(workspace.inbox.iterdir()), D(2026, 11, 25), workers=0)
    with Ledger.open(workspace.db_path) as led:
        yield led


def on(ledger, item_id, day):
    return item_on(ledger, make_config(), item_id, day)


def test_an_extension_holds_from_its_day_and_one_after_the_deadline_needs_late(ledger):
    with pytest.raises(ActionError, match="--late"):  # 11-30 had passed on 12-02
        actions.extend(ledger, "2026-0001", to=D(2026, 12, 31), note="批准", on=D(2026, 12, 2), today=TODAY)
    r = actions.extend(ledger, "2026-0001", to=D(2026, 12, 31), note="批准", on=D(2026, 12, 2), late=True,
                       today=TODAY, operator="clerk")
    assert (r.event.kind, r.event.data, r.event.operator, r.event.command) == ("extend", {"late": True}, "clerk",
                                                                              "extend")
    assert "整改时限：2026年11月30日 → 2026年12月31日" in r.text and "逾期后延期" in r.text
    assert on(ledger, "2026-0001", D(2026, 12, 1)).deadline == D(2026, 11, 30)  # the past stays as it was
    assert on(ledger, "2026-0001", D(2026, 12, 2)).deadline == D(2026, 12, 31)
    assert ledger.item("2026-0001").original_deadline == D(2026, 11, 30)
    with pytest.raises(ActionError, match="应晚于现时限"):
        actions.extend(ledger, "2026-0001", to=D(2026, 12, 20), note="再批", today=TODAY)
    with pytest.raises(ActionError, match="已完成"):
        actions.extend(ledger, "2026-0002", to=D(2027, 1, 29), note="批准", on=D(2026, 11, 26), today=TODAY)
    with pytest.raises(ActionError, match="理由"):
        actions.extend(ledger, "2026-0001", to=D(2027, 1, 29), note=" ", today=TODAY)


def test_every_action_refuses_a_future_day_a_day_before_the_item_and_an_unknown_id(ledger):
    with pytest.raises(ActionError, match="将来"):
        actions.close(ledger, "2026-0002", on=D(2026, 12, 4), today=TODAY)
    with pytest.raises(ActionError, match="才登记"):
        actions.close(ledger, "2026-0002", on=D(2026, 11, 19), today=TODAY, force=True)
    with pytest.raises(ActionError, match="没有编号"):
        actions.void(ledger, "2026-0099", note="重复", today=TODAY)


def test_close_needs_a_report_of_done_unless_forced_and_a_forced_closing_is_recorded(ledger):
    with pytest.raises(ActionError, match="尚未报送完成"):
        actions.close(ledger, "2026-0002", on=D(2026, 11, 24), today=TODAY)  # reported done only on 11-25
    r = actions.close(ledger, "2026-0002", on=D(2026, 11, 26), note="现场核实", today=TODAY)
    assert r.event.data == {} and r.item.closed_on == D(2026, 11, 26)
    with pytest.raises(ActionError, match="已于"):
        actions.close(ledger, "2026-0002", today=TODAY)
    forced = actions.close(ledger, "2026-0001", force=True, note="另案处理", today=TODAY)
    assert forced.event.data == {"forced": True} and "强制销号" in forced.text


def test_lookback_only_on_done_items_and_a_failed_one_reopens_with_a_new_deadline(ledger):
    with pytest.raises(ActionError, match="尚未完成"):
        actions.lookback(ledger, "2026-0001", result="通过", today=TODAY)
    with pytest.raises(ActionError, match="--to"):
        actions.lookback(ledger, "2026-0002", result="反弹", today=TODAY)
    with pytest.raises(ActionError, match="只能是"):
        actions.lookback(ledger, "2026-0002", result="良好", today=TODAY)
    r = actions.lookback(ledger, "2026-0002", result="反弹", to=D(2027, 1, 15), note="复查发现反弹", on=D(2026, 12, 1),
                         today=TODAY)
    assert (r.item.status, r.item.deadline, r.item.done_on, r.item.lookback_on) == (
        "推进中", D(2027, 1, 15), None, D(2026, 12, 1))
    assert on(ledger, "2026-0002", D(2026, 11, 30)).status == "已完成"


def test_reopen_puts_a_done_item_back_to_in_progress_with_a_new_deadline(ledger):
    with pytest.raises(ActionError, match="无需重新打开"):
        actions.reopen(ledger, "2026-0001", to=D(2027, 1, 15), note="x", today=TODAY)
    actions.close(ledger, "2026-0002", on=D(2026, 11, 26), today=TODAY)
    r = actions.reopen(ledger, "2026-0002", to=D(2027, 1, 15), note="回头看反弹", on=D(2026, 12, 2), today=TODAY)
    assert (r.item.status, r.item.closed_on, r.item.deadline, r.item.reopened_on) == (
        "推进中", None, D(2027, 1, 15), D(2026, 12, 2))
    assert on(ledger, "2026-0002", D(2026, 12, 1)).closed_on == D(2026, 11, 26)


def test_a_voided_item_is_out_of_every_count_from_its_day_and_takes_no_more_actions(ledger, workspace):
    actions.void(ledger, "2026-0001", note="重复登记", on=D(2026, 11, 28), today=TODAY)
    config = make_config()
    assert [i.id for i in items_on(ledger, config, D(2026, 11, 27))] == ["2026-0001", "2026-0002"]
    assert [i.id for i in items_on(ledger, config, D(2026, 11, 28))] == ["2026-0002"]
    assert ledger.item("2026-0001").voided_on == D(2026, 11, 28)  # kept for show
    with pytest.raises(ActionError, match="作废"):
        actions.close(ledger, "2026-0001", force=True, on=D(2026, 11, 25), today=TODAY)


def test_a_reassigned_item_belongs_to_the_other_unit_from_its_day(ledger):
    config = make_config()
    with pytest.raises(ActionError, match="是否应为"):
        actions.reassign(ledger, config, "2026-0001", to="区财政厅", note="x", today=TODAY)
    with pytest.raises(ActionError, match="已是"):
        actions.reassign(ledger, config, "2026-0001", to="财政局", note="x", today=TODAY)
    r = actions.reassign(ledger, config, "2026-0001", to="审计局", note="职能调整", on=D(2026, 12, 1), today=TODAY)
    assert "牵头责任单位：区财政局 → 区审计局" in r.text
    assert on(ledger, "2026-0001", D(2026, 11, 30)).unit == "区财政局"
    assert on(ledger, "2026-0001", D(2026, 12, 1)).unit == "区审计局"


def test_a_preview_checks_and_describes_an_action_and_records_nothing(ledger):
    before = ledger.events("2026-0001")
    p = actions.preview(lambda: actions.extend(ledger, "2026-0001", to=D(2026, 12, 31), note="批准",
                                               on=D(2026, 11, 28), today=TODAY))
    assert "整改时限：2026年11月30日 → 2026年12月31日" in p.text
    assert ledger.events("2026-0001") == before and ledger.item("2026-0001").deadline == D(2026, 11, 30)
    with pytest.raises(ActionError, match="--late"):
        actions.preview(lambda: actions.extend(ledger, "2026-0001", to=D(2026, 12, 31), note="批准", today=TODAY))
    done = actions.extend(ledger, "2026-0001", to=D(2026, 12, 31), note="批准", on=D(2026, 11, 28), today=TODAY)
    assert done.text == p.text  # what was shown is what was done


def test_undo_takes_back_the_last_office_action_from_its_day_and_only_that(ledger):
    actions.extend(ledger, "2026-0001", to=D(2026, 12, 31), note="批准", on=D(2026, 11, 28), today=TODAY)
    r = actions.undo_last(ledger, "2026-0001", on=D(2026, 12, 2), operator="clerk", note="录错了", today=TODAY)
    assert (r.event.kind, r.event.operator, r.event.command) == ("undo", "clerk", "undo")
    assert r.event.data["event"] == next(e for e in ledger.events("2026-0001") if e.kind == "extend").id
    assert r.text.splitlines()[0].startswith("2026-0001（") and "已撤销 2026年11月28日 的延期" in r.text
    assert "整改时限：2026年12月31日 → 2026年11月30日" in r.text and "说明：录错了" in r.text
    assert ledger.item("2026-0001").deadline == D(2026, 11, 30)
    assert on(ledger, "2026-0001", D(2026, 12, 1)).deadline == D(2026, 12, 31)  # what the ledger said then
    with pytest.raises(ActionError, match="已是一次撤销"):
        actions.undo_last(ledger, "2026-0001", today=TODAY)


def test_undo_refuses_a_units_report_a_future_day_and_a_day_before_the_action(ledger):
    with pytest.raises(ActionError, match="不是督查室的操作"):
        actions.undo_last(ledger, "2026-0002", today=TODAY)  # its last event came from 区财政局's file
    actions.void(ledger, "2026-0002", note="重复登记", on=D(2026, 12, 1), today=TODAY)
    with pytest.raises(ActionError, match="早于"):
        actions.undo_last(ledger, "2026-0002", on=D(2026, 11, 30), today=TODAY)
    with pytest.raises(ActionError, match="将来"):
        actions.undo_last(ledger, "2026-0002", on=D(2026, 12, 4), today=TODAY)
    r = actions.undo_last(ledger, "2026-0002", on=D(2026, 12, 1), today=TODAY)  # a void can be undone
    assert r.item.voided_on is None and "作废日期：2026年12月1日 → 无" in r.text
    with pytest.raises(ActionError, match="没有编号"):
        actions.undo_last(ledger, "2026-0099", today=TODAY)
