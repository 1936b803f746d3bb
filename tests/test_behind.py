"""Issue 17, point 5: a passed milestone not reported done makes the item 滞后 (yellow) — in
states, the export, the ledger workbook, the dashboard's counts and the circular's overview."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
from builders import data_row, make_config, make_item, submission_rows, xlsx_bytes

from pipeline.deadlines.states import standing, unit_summary
from pipeline.ledger.ingest import ingest_paths
from pipeline.model import STATE_BEHIND, STATE_DUE_SOON, STATE_ON_TRACK, STATE_ONGOING, STATE_OVERDUE, Milestone
from pipeline.output.documents.contexts import OWNER_UNKNOWN
from pipeline.output.documents.ledger_xlsx import HEADERS, LEDGER_SHEET

STEP = Milestone(date(2026, 12, 15), "2026年12月15日前完成排查")


def state_of(item, day):
    return standing(make_config(), [item], day).states[item.id]


def test_a_milestone_passed_without_being_done_makes_the_item_behind():
    item = make_item(deadline=date(2027, 6, 30), milestones=(STEP,))
    assert state_of(item, date(2026, 12, 15)).state == STATE_ON_TRACK  # due today is not passed
    behind = state_of(item, date(2026, 12, 16))
    assert behind.state == STATE_BEHIND and behind.missed == (STEP,)


def test_a_milestone_reported_done_keeps_the_item_on_track():
    done = Milestone(STEP.due, STEP.text, date(2026, 12, 14))
    assert state_of(make_item(deadline=date(2027, 6, 30), milestones=(done,)), date(2026, 12, 20)).state == STATE_ON_TRACK
    late = Milestone(STEP.due, STEP.text, date(2026, 12, 18))  # done after it was due: behind until that day
    item = make_item(deadline=date(2027, 6, 30), milestones=(late,))
    assert state_of(item, date(2026, 12, 17)).state == STATE_BEHIND
    assert state_of(item, date(2026, 12, 18)).state == STATE_ON_TRACK


def test_overdue_wins_over_behind_and_behind_over_due_soon_and_ongoing():
    assert state_of(make_item(deadline=date(2026, 12, 10), milestones=(STEP,)), date(2026, 12, 20)).state == STATE_OVERDUE
    soon = make_item(deadline=date(2026, 12, 17), milestones=(STEP,))
    assert state_of(soon, date(2026, 12, 16)).state == STATE_BEHIND
    assert state_of(make_item(deadline=date(2026, 12, 17)), date(2026, 12, 16)).state == STATE_DUE_SOON
    ongoing = make_item(deadline=None, milestones=(Milestone(date(2026, 11, 5), "立行立改"),))
    assert state_of(ongoing, date(2026, 11, 5)).state == STATE_ONGOING
    assert state_of(ongoing, date(2026, 11, 6)).state == STATE_BEHIND


def test_units_count_their_items_behind():
    items = [make_item("2026-0001", deadline=date(2027, 6, 30), milestones=(STEP,)), make_item("2026-0002")]
    st = standing(make_config(), items, date(2026, 11, 20)).states
    assert unit_summary(items, st)[0].behind == 0
    st = standing(make_config(), items, date(2026, 12, 16)).states
    assert [s.behind for s in unit_summary(items, st)] == [1]


def test_a_staged_deadline_sent_in_is_behind_after_its_first_stage(workspace, cli):
    rows = submission_rows(data_row(deadline="2026年12月15日前完成排查，2027年6月底前全面完成"), data_row(seq=2))
    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(rows))
    ingest_paths(workspace, list(workspace.inbox.iterdir()), date(2026, 11, 20), workers=0)
    [first, second] = cli.json("export", "--format", "json", "--as-of", "2026-12-16")
    assert (first["state"], first["deadline"]) == (STATE_BEHIND, "2027-06-30")
    assert first["milestones"] == [{"due": "2026-12-15", "text": "2026年12月15日前完成排查", "done_on": None}]
    assert second["state"] == STATE_ON_TRACK
    out = workspace.root / "l.xlsx"
    assert cli("export", "--format", "xlsx", "--as-of", "2026-12-16", "-o", str(out))[0] == 0
    ws = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))[LEDGER_SHEET]
    cell = ws.cell(3, HEADERS.index("状态") + 1)
    assert cell.value == STATE_BEHIND and cell.fill.fgColor.rgb.endswith("FFEB9C")  # yellow


def test_the_circular_counts_the_items_behind_and_rows_name_an_unknown_owner():
    from pipeline.output.documents import contexts
    config = make_config()
    items = [make_item("2026-0001", deadline=date(2027, 6, 30), milestones=(STEP,))]
    now = standing(config, items, date(2026, 12, 16))
    overview = contexts._overview(now.summaries)
    assert overview["behind"] == 1
    row = contexts._item_row(items[0], now.states["2026-0001"])
    assert row["owner"] == OWNER_UNKNOWN and row["missed"] == STEP.text


def test_a_notice_lists_the_units_items_behind_and_marks_an_unknown_owner():
    from docx import Document

    from pipeline.output.documents import contexts, render
    from pipeline.output.documents.templates import NOTICE, build_template

    config = make_config()
    items = [make_item("2026-0001", deadline=date(2026, 11, 30), problem="逾期的问题"),
             make_item("2026-0002", deadline=date(2027, 6, 30), milestones=(STEP,), problem="滞后的问题",
                       owner="张明")]
    now = standing(config, items, date(2026, 12, 16))
    ctx = contexts.notice_context(config, "区财政局", items, now.states, date(2026, 12, 16), date(2026, 12, 21))
    assert (ctx["count"], ctx["behind_count"]) == (2, 1)
    doc = Document(io.BytesIO(render.render_docx(build_template(NOTICE), ctx, name=NOTICE)))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "逾期的问题\n（责任人未明确）" in cells
    assert f"滞后的问题\n滞后：{STEP.text}" in cells
    assert "未按时间节点推进1个" in "\n".join(p.text for p in doc.paragraphs)
