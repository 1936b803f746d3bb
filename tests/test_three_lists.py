"""Issue 17, point 3 and 9: the three lists complete — every column of a real 三单表 read into
its own field (the two people never collide), kept in the ledger, shown, exported and written
into the 三单工作台帐 workbook."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
from builders import make_config, xlsx_bytes

from pipeline.intake.header import find_header
from pipeline.intake.parse import parse_submission
from pipeline.intake.read import Sheet
from pipeline.ledger.ingest import ingest_paths
from pipeline.ledger.ledger import Ledger
from pipeline.model import Milestone
from pipeline.output.documents.ledger_xlsx import HEADERS, LEDGER_SHEET

FULL_HEADER = ["序号", "问题来源", "整改问题", "整改建议", "整改措施", "整改目标", "整改时限", "时间节点",
               "牵头责任单位", "配合责任单位", "责任领导", "具体责任人", "联系电话", "完成情况", "佐证材料", "销号时间"]


def full_rows(*rows: list, filed: str = "2026年11月20日") -> list[list]:
    return [["“三查三单”整改台账"], ["填报单位：区财政局", "", "", "", f"填报日期：{filed}"], FULL_HEADER, *rows]


ROW = [1, "督查", "政府采购项目验收不及时", "建立验收台账", "逐项督促验收", "年底前全部验收",
       "2026年12月底前取得阶段性成效，2027年6月底前全面完成", "2026年12月15日前完成排查",
       "区财政局", "区审计局", "李强（副局长）", "张明", "0556-5501234", "推进中", "见附件", "—"]


def parse(rows, name="三单.xlsx"):
    return parse_submission(xlsx_bytes(rows), name, make_config(), received=date(2026, 11, 20))


def test_leader_and_owner_are_two_fields_whichever_comes_first():
    for header in (["整改问题", "整改措施", "整改时限", "牵头单位", "责任领导", "具体责任人"],
                   ["整改问题", "整改措施", "整改时限", "牵头单位", "具体责任人", "责任领导"]):
        found = find_header(Sheet("S", [header]))
        assert found is not None
        columns = found.columns
        assert header[columns["leader"]] == "责任领导" and header[columns["owner"]] == "具体责任人"
    found = find_header(Sheet("S", [["整改问题", "整改措施", "整改时限", "牵头单位", "分管领导", "经办人"]]))
    assert found is not None and (found.columns["leader"], found.columns["owner"]) == (4, 5)


def test_every_column_of_the_three_lists_is_read_into_its_field():
    sub = parse(full_rows(ROW))
    assert sub.ok, sub.findings
    row = sub.rows[0]
    assert (row.suggestion, row.target, row.leader, row.owner, row.phone) == (
        "建立验收台账", "年底前全部验收", "李强（副局长）", "张明", "0556-5501234")
    assert row.deadline == date(2027, 6, 30)
    assert row.milestones == (Milestone(date(2026, 12, 31), "2026年12月底前取得阶段性成效"),
                              Milestone(date(2026, 12, 15), "2026年12月15日前完成排查"))


def test_a_recognised_column_sancha_does_not_keep_is_named_in_a_warning():
    sub = parse(full_rows(ROW))
    ignored = [f for f in sub.findings if f.code == "ignored-column"]
    # 佐证材料 (O) is kept as the item's evidence_text (issue 23); 销号时间 (P) is not kept
    assert [(f.cell, f.severity) for f in ignored] == [("P3", "warning")]
    assert "销号时间" in ignored[0].message


def test_a_new_item_without_any_responsible_person_is_accepted_with_no_owner(workspace):
    header = ["序号", "整改问题", "整改措施", "整改时限", "牵头责任单位"]
    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(
        [["填报单位：区财政局"], header, [1, "问题甲", "措施甲", "2026-12-31", "区财政局"]]))
    outcome = ingest_paths(workspace, list(workspace.inbox.iterdir()), date(2026, 11, 20), workers=0)
    [result] = outcome
    assert result.verdict == "accepted"
    assert [(f.code, f.cell) for f in result.findings if f.code == "no-owner"] == [("no-owner", "B3")]


def ingest_full(workspace):
    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(full_rows(ROW)))
    return ingest_paths(workspace, list(workspace.inbox.iterdir()), date(2026, 11, 20), workers=0)


def test_show_and_export_carry_the_new_fields_under_their_pinned_keys(workspace, cli):
    ingest_full(workspace)
    shown = cli.json("show", "2026-0001", "--json", "--as-of", "2026-11-20")
    exported = cli.json("export", "--format", "json", "--as-of", "2026-11-20")[0]
    for record in (shown, exported):
        assert {k: record[k] for k in ("suggestion", "target", "leader", "owner", "phone")} == {
            "suggestion": "建立验收台账", "target": "年底前全部验收", "leader": "李强（副局长）", "owner": "张明",
            "phone": "0556-5501234"}
        assert record["milestones"] == [
            {"due": "2026-12-31", "text": "2026年12月底前取得阶段性成效", "done_on": None},
            {"due": "2026-12-15", "text": "2026年12月15日前完成排查", "done_on": None}]
        assert "inspection" in record and "source_category" in record
    _, out, _ = cli("show", "2026-0001", "--as-of", "2026-11-20")
    assert "责任领导：李强（副局长）" in out and "时间节点：2026年12月底前取得阶段性成效；2026年12月15日前完成排查" in out


def test_csv_export_writes_milestones_as_one_readable_cell(workspace, cli):
    ingest_full(workspace)
    out = workspace.root / "l.csv"
    code, _, err = cli("export", "--format", "csv", "--as-of", "2026-11-20", "-o", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8-sig")
    assert "2026年12月底前取得阶段性成效；2026年12月15日前完成排查" in text and "leader" in text.splitlines()[0]


def test_the_ledger_workbook_has_a_column_for_each_new_field(workspace, cli):
    ingest_full(workspace)
    out = workspace.root / "l.xlsx"
    code, _, err = cli("export", "--format", "xlsx", "--as-of", "2026-11-20", "-o", str(out))
    assert code == 0, err
    ws = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))[LEDGER_SHEET]
    for title in ("检查名称", "问题来源", "整改建议", "整改目标", "责任领导", "责任人", "联系电话", "时间节点", "原整改时限",
                  "销号日期", "回头看日期"):
        assert title in HEADERS
    row = {h: c.value for h, c in zip(HEADERS, ws[3], strict=False)}
    assert (row["整改建议"], row["整改目标"], row["责任领导"], row["责任人"], row["联系电话"]) == (
        "建立验收台账", "年底前全部验收", "李强（副局长）", "张明", "0556-5501234")
    assert row["时间节点"] == "2026年12月底前取得阶段性成效；2026年12月15日前完成排查"


def test_a_resubmission_keeps_the_day_a_milestone_was_done(workspace):
    ingest_full(workspace)
    done = list(ROW)
    done[7] = "2026年12月15日前完成排查（12月10日完成）"
    (workspace.inbox / "b.xlsx").write_bytes(xlsx_bytes(full_rows(done, filed="2026年12月11日")))
    ingest_paths(workspace, list(workspace.inbox.iterdir()), date(2026, 12, 11), workers=0)
    (workspace.inbox / "c.xlsx").write_bytes(xlsx_bytes(full_rows(ROW, filed="2026年12月14日")))  # no day again
    ingest_paths(workspace, list(workspace.inbox.iterdir()), date(2026, 12, 14), workers=0)
    with Ledger.open(workspace.db_path) as ledger:
        item = ledger.item("2026-0001")
    assert item is not None
    assert Milestone(date(2026, 12, 15), "2026年12月15日前完成排查", date(2026, 12, 10)) in item.milestones
    assert json.loads(json.dumps([m.as_dict() for m in item.milestones]))[1]["done_on"] == "2026-12-10"
