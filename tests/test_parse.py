import random
from datetime import date

import pytest
from builders import (
    HEADER,
    csv_bytes,
    data_row,
    encrypted_xlsx_bytes,
    make_config,
    sample_bytes,
    submission_rows,
    xls_bytes,
    xlsx_bytes,
)

from pipeline import model
from pipeline.intake.parse import parse_submission

CONFIG = make_config()
RECEIVED = date(2026, 11, 28)


def parse(data, filename="三单.xlsx", *, config=CONFIG, folder_unit=None, received=RECEIVED):
    return parse_submission(data, filename, config, folder_unit=folder_unit, received=received)


def parse_rows(rows, filename="三单.xlsx", **kw):
    return parse(xlsx_bytes(rows), filename, **kw)


def found(sub, severity=None):
    return [(f.code, f.sheet, f.cell) for f in sub.findings if severity in (None, f.severity)]


# ---------------------------------------------------------------- the three samples


def test_sample_caizhengju():
    sub = parse(sample_bytes("区财政局_三单_2026年第四季度督查.xlsx"), "区财政局_三单_2026年第四季度督查.xlsx")
    assert found(sub, model.ERROR) == []
    assert (sub.unit, sub.unit_cell, sub.report_date, sub.sheet) == ("区财政局", "A2", date(2026, 11, 20), "三单")
    assert sub.inspection == "2026年第四季度重点工作督查"
    assert [r.row for r in sub.rows] == [4, 5, 6, 7]
    first, second, third, fourth = sub.rows
    assert (first.deadline, first.co_units, first.status, first.source) == (date(2026, 12, 31), ("区政府办公室",), "推进中", "督查")
    assert (second.deadline, second.deadline_text, second.co_units) == (date(2026, 12, 31), "2026年12月底", ("各预算单位",))
    assert (third.deadline, third.ongoing, third.co_units, third.remark) == (None, True, ("区审计局", "区发展改革委"), "审计整改事项")
    assert (fourth.status, fourth.done_on, fourth.co_units) == (model.STATUS_DONE, date(2026, 11, 12), ())
    assert first.cells["deadline"] == "F4" and fourth.cells["lead_unit"] == "G7"


def test_sample_zhujianju():
    sub = parse(sample_bytes("区住建局_整改进展.xlsx"), "区住建局_整改进展.xlsx")
    assert found(sub, model.ERROR) == []
    assert (sub.unit, sub.report_date) == ("区住房城乡建设局", date(2026, 11, 27))
    done, ongoing = sub.rows
    assert (done.deadline, done.lead_unit, done.co_units, done.owner) == (date(2026, 11, 30), "区住房城乡建设局", ("区生态环境分局",), "孙涛")
    assert (done.status, done.done_on, done.progress) == (model.STATUS_DONE, date(2026, 11, 25), "已检查工地42个，责令停工整改3个，全部整改到位")
    assert (ongoing.deadline, ongoing.status, ongoing.done_on) == (date(2026, 12, 31), model.STATUS_IN_PROGRESS, None)


def test_sample_linghu_grouped_header():
    sub = parse(sample_bytes("菱湖街道_三单清单.xlsx"), "菱湖街道_三单清单.xlsx")
    assert sub.findings == ()
    assert (sub.unit, sub.report_date) == ("菱湖街道", None)  # from the file name; no 填报日期 line
    old_houses, streets, hotline = sub.rows
    assert old_houses.problem == "老旧小区改造项目推进缓慢，3个小区未按期开工"
    assert old_houses.measures == "倒排工期，每周调度，12月15日前全部开工"
    assert (old_houses.deadline, old_houses.co_units) == (date(2026, 12, 15), ("区住房城乡建设局", "区财政局"))
    assert (streets.deadline, streets.deadline_text) == (RECEIVED, "立行立改")
    assert (hotline.deadline, hotline.remark, hotline.cells["remark"]) == (date(2027, 1, 31), "需跨年", "H6")


def test_sample_linghu_immediate_fix_without_report_date_is_due_on_receipt():
    sub = parse(sample_bytes("菱湖街道_三单清单.xlsx"), "菱湖街道_三单清单.xlsx", received=date(2026, 12, 2))
    assert sub.rows[1].deadline == date(2026, 12, 2)


def test_legacy_xls_grouped_header():
    sub = parse(xls_bytes(), "海口镇.xls")
    assert sub.findings == ()
    assert (sub.unit, sub.report_date) == ("海口镇", date(2026, 11, 18))
    assert [(r.row, r.deadline, r.co_units) for r in sub.rows] == [
        (5, date(2026, 12, 31), ("区城管局", "区生态环境分局")),
        (6, date(2027, 3, 31), ()),
    ]


# ---------------------------------------------------------------- layouts


def test_built_grouped_header_with_meta_in_one_cell_and_numbering_column():
    rows: list[list] = [
        ["海口镇“三查三单”清单"],
        ["填报单位：海口镇　填报日期：2026年11月18日　检查名称：第四季度督查"],
        ["整改问题", "", "整改措施", "", "", "整改责任", "", "", "备注"],
        ["编号", "具体内容", "具体内容", "整改\n时限*", "", "牵头责任单位", "配合责任单位", "责任人", ""],
        [1, "问题一", "措施一", "12月15日前", "", "海口镇", "各乡镇街道", "钱进", "备"],
        ["2", "问题二", "措施二", "长期坚持", "", "海口镇人民政府", "", "钱进", ""],
    ]
    config = make_config()
    merged = ("A1:I1", "A3:B3", "C3:E3", "F3:H3", "I3:I4")
    sub = parse(xlsx_bytes(rows, merged=merged), "x.xlsx", config=config)
    assert found(sub) == [("unknown-unit", "Sheet1", "F6")]  # 海口镇人民政府 is not an alias in the test config
    first, second = sub.rows
    assert (sub.unit, sub.report_date, sub.inspection) == ("海口镇", date(2026, 11, 18), "第四季度督查")
    assert (first.item_id, first.problem, first.measures, first.deadline, first.co_units, first.remark) == (
        None, "问题一", "措施一", date(2026, 12, 15), ("各乡镇街道",), "备")
    assert (second.ongoing, first.cells["remark"], first.cells["deadline"]) == (True, "I5", "D5")



@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_submission(encoding):
    rows = submission_rows(data_row(deadline="２０２６年１２月３１日", co_units="区审计局，各预算单位"))
    sub = parse(csv_bytes(rows, encoding), "区财政局.csv")
    assert sub.findings == ()
    (row,) = sub.rows
    assert (row.deadline, row.co_units, row.cells["deadline"]) == (date(2026, 12, 31), ("区审计局", "各预算单位"), "F4")


def test_instructions_sheet_hidden_columns_blank_and_numbered_rows_and_footer():
    rows = submission_rows(data_row(1), [], ["", "", "", "", "", "", "", "", "", "", "", "", "", "内部备查"], data_row(2), [3], [4])
    data = xlsx_bytes(rows, sheet="三单", extra_sheets={"填表说明": [["填表说明"], HEADER, ["1. 整改时限请写具体日期"]]}, hidden_columns=("B",))
    sub = parse(data)
    assert sub.findings == ()
    assert sub.sheet == "三单"
    assert [r.row for r in sub.rows] == [4, 7]


def test_shuffled_aliased_columns_and_serial_dates():
    rows = [
        ["牵头单位", "问题描述", "完成时限", "措施", "协办单位", "备用列", "整改状态", "办结时间"],
        ["财政局", "a", 46387, "b", "区审计局 区城管局", "x", "已整改", "46351"],
    ]
    sub = parse_rows(rows, folder_unit="区财政局")
    assert sub.findings == ()
    (row,) = sub.rows
    assert (row.lead_unit, row.deadline, row.co_units, row.status, row.done_on) == (
        "区财政局", date(2026, 12, 31), ("区审计局", "区城管局"), model.STATUS_DONE, date(2026, 11, 25))


def test_text_is_kept_verbatim():
    problem = "  A&B<二期>，=HYPERLINK(\"x\")\n第二行\u3000"
    sub = parse_rows(submission_rows(data_row(problem=problem, owner=" 张明 ", seq=1.0)))
    assert sub.rows[0].problem == "A&B<二期>，=HYPERLINK(\"x\")\n第二行"
    assert sub.rows[0].owner == "张明"


def test_immediate_fix_is_due_on_the_report_date():
    sub = parse_rows(submission_rows(data_row(deadline="立行立改"), report_date="2026年11月20日"))
    assert (sub.rows[0].deadline, sub.rows[0].deadline_text) == (date(2026, 11, 20), "立行立改")


def test_year_context_is_the_report_date_else_received():
    rows = submission_rows(data_row(deadline="1月15日前"), report_date="2027年1月3日")
    assert parse_rows(rows).rows[0].deadline == date(2027, 1, 15)
    rows = submission_rows(data_row(deadline="年底前"), report_date="")
    assert parse_rows(rows, received=date(2027, 2, 1)).rows[0].deadline == date(2027, 12, 31)


def test_item_ids_are_normalised():
    sub = parse_rows(submission_rows(data_row(item_id="２０２６－０００３")))
    assert sub.rows[0].item_id == "2026-0003"


# ---------------------------------------------------------------- who submits


def test_submitter_from_meta_line_alias():
    sub = parse_rows(submission_rows(data_row(lead_unit="区住建局"), unit="区住建局"))
    assert (sub.unit, sub.rows[0].lead_unit, sub.findings) == ("区住房城乡建设局", "区住房城乡建设局", ())


def test_submitter_from_folder_then_file_name_then_lead_units():
    rows = submission_rows(data_row(), unit="")
    assert parse_rows(rows, "x.xlsx", folder_unit="区财政局").unit == "区财政局"
    assert parse_rows(rows, "财政局_三单.xlsx").unit == "区财政局"
    assert parse_rows(rows, "区 住建局 三单.xlsx").unit == "区住房城乡建设局"
    assert parse_rows(rows, "三单.xlsx").unit == "区财政局"


def test_unknown_submitter():
    rows = submission_rows(data_row(), data_row(2, lead_unit="区审计局"), unit="")
    assert ("unknown-submitter", "Sheet1", None) in found(parse_rows(rows, "三单.xlsx"))
    sub = parse_rows(submission_rows(data_row(), unit="区财务局"))
    assert found(sub) == [("unknown-submitter", "Sheet1", "A2")]
    assert "区财政局" in sub.findings[0].hint
    assert found(parse_rows(submission_rows(data_row(), unit=""), folder_unit="财务科")) == [("unknown-submitter", None, None)]


def test_submitter_mismatch():
    sub = parse_rows(submission_rows(data_row(), unit="区财政局"), folder_unit="区审计局")
    assert ("submitter-mismatch", "Sheet1", "A2") in found(sub)


def test_lead_unit_mismatch_and_office_submitting_for_anyone():
    rows = submission_rows(data_row(1), data_row(2, lead_unit="区审计局"))
    assert found(parse_rows(rows)) == [("lead-unit-mismatch", "Sheet1", "G5")]
    office = submission_rows(data_row(1), data_row(2, lead_unit="区审计局"), unit="督查室")
    sub = parse_rows(office, folder_unit="区委区政府督查室")
    assert (sub.unit, sub.findings) == ("大观区人民政府办公室", ())


# ---------------------------------------------------------------- one test per finding


@pytest.mark.parametrize(
    "data, filename, code",
    [
        (b"\x00\x01garbage", "a.xlsx", "unreadable-file"),
        (encrypted_xlsx_bytes([HEADER]), "a.xlsx", "encrypted-file"),
        (b"PK", "a.docx", "unsupported-format"),
        (xlsx_bytes([]), "a.xlsx", "empty-workbook"),
    ],
)
def test_file_level_findings(data, filename, code):
    sub = parse(data, filename)
    assert found(sub) == [(code, None, None)]
    assert (sub.ok, sub.rows) == (False, ())


def test_file_too_large_and_zip_bomb_limits_come_from_config():
    data = xlsx_bytes(submission_rows())
    assert found(parse(data, config=make_config(max_file_mb=0.001))) == [("file-too-large", None, None)]
    assert found(parse(data, config=make_config(max_compression_ratio=1.0))) == [("zip-bomb", None, None)]


def test_no_header():
    sub = parse_rows([["关于报送整改情况的说明"], ["请各单位于月底前报送"]])
    assert found(sub) == [("no-header", "Sheet1", None)]
    assert "整改时限" in sub.findings[0].hint


def test_missing_columns_at_the_header_row():
    rows = [["填报单位：区财政局"], ["", "序号", "整改问题", "整改措施", "责任人"], ["", 1, "a", "b", "张明"]]
    assert found(parse_rows(rows)) == [("missing-column", "Sheet1", "B2"), ("missing-column", "Sheet1", "B2")]


def test_no_rows():
    assert found(parse_rows([["填报单位：区财政局"], HEADER, [], ["填表人：张明"], ["", "", "", "", "", "", "", "", "", "", "", "", "", "x"]])) == [("no-rows", "Sheet1", "A2")]


def test_empty_required():
    rows = submission_rows(data_row(problem="", measures=" ", deadline="", lead_unit=""))
    assert found(parse_rows(rows, folder_unit="区财政局")) == [
        ("empty-required", "Sheet1", "D4"),
        ("empty-required", "Sheet1", "E4"),
        ("empty-required", "Sheet1", "F4"),
        ("empty-required", "Sheet1", "G4"),
    ]


@pytest.mark.parametrize("deadline", ["0000年底", "0000年12月底", "0000年12月31日"])
def test_a_deadline_in_year_zero_is_a_bad_deadline_of_its_cell_not_an_unreadable_file(deadline):
    sub = parse_rows(submission_rows(data_row(deadline=deadline)))
    assert found(sub) == [("bad-deadline", "Sheet1", "F4")]


def test_bad_deadline_names_cell_and_value():
    sub = parse_rows(submission_rows(data_row(deadline="2026.13.01")))
    assert found(sub) == [("bad-deadline", "Sheet1", "F4")]
    assert "Sheet1!F4" in sub.findings[0].message and "2026.13.01" in sub.findings[0].message


def test_bad_done_date():
    rows = submission_rows(data_row(status="已完成", done_on="上周"))
    assert found(parse_rows(rows), model.ERROR) == [("bad-date", "Sheet1", "L4")]


def test_unknown_units_with_suggestions():
    rows = submission_rows(data_row(lead_unit="区财正局", co_units="区审计局、区教委，各乡镇街道"))
    sub = parse_rows(rows)
    assert found(sub) == [("unknown-unit", "Sheet1", "G4"), ("unknown-unit", "Sheet1", "H4")]
    assert "区财政局" in sub.findings[0].hint
    assert sub.rows[0].co_units == ("区审计局", "区教委", "各乡镇街道")


def test_several_lead_units_are_one_unknown_unit():
    sub = parse_rows(submission_rows(data_row(lead_unit="区财政局、区审计局")))
    assert found(sub) == [("unknown-unit", "Sheet1", "G4")]


def test_duplicate_problem_names_both_cells():
    rows = submission_rows(data_row(1, problem="预算执行滞后"), data_row(2), data_row(3, problem=" 预算执行滞后。"))
    sub = parse_rows(rows)
    assert found(sub) == [("duplicate-problem", "Sheet1", "D6")]
    assert "D4" in sub.findings[0].message


def test_unknown_status_and_closed_by_unit():
    rows = submission_rows(data_row(1, status="差不多"), data_row(2, status="已销号"))
    sub = parse_rows(rows)
    assert found(sub) == [("unknown-status", "Sheet1", "K4"), ("unknown-status", "Sheet1", "K5")]
    assert sub.findings[0].hint != sub.findings[1].hint


def test_bad_item_id():
    assert found(parse_rows(submission_rows(data_row(item_id="第3项")))) == [("bad-item-id", "Sheet1", "B4")]


def test_done_and_date_warnings_do_not_reject():
    rows = submission_rows(data_row(1, status="已完成"), data_row(2, status="推进中", done_on="2026-11-01"))
    sub = parse_rows(rows)
    assert found(sub) == [("done-without-date", "Sheet1", "L4"), ("date-without-done", "Sheet1", "K5")]
    assert sub.ok


def test_bad_report_date_falls_back_to_received():
    sub = parse_rows(submission_rows(data_row(deadline="立行立改"), report_date="2026年13月1日"))
    assert found(sub) == [("bad-report-date", "Sheet1", "E2")]
    assert (sub.ok, sub.report_date, sub.rows[0].deadline) == (True, None, RECEIVED)


def test_second_data_sheet_is_reported_as_ignored():
    data = xlsx_bytes(submission_rows(data_row()), sheet="第二批", extra_sheets={"第一批": submission_rows(data_row(), data_row(2))})
    sub = parse(data)
    assert sub.sheet == "第一批" and len(sub.rows) == 2
    assert found(sub) == [("ignored-sheet", "第二批", "A3")]


def test_findings_are_capped():
    rows = submission_rows(*[data_row(i, deadline="不知道") for i in range(1, 8)])
    sub = parse_rows(rows, config=make_config(max_findings=5))
    assert [c for c, _, _ in found(sub)] == ["bad-deadline"] * 5 + ["too-many-findings"]


def test_an_error_behind_the_cap_still_rejects_the_file():
    rows = submission_rows(*[data_row(i, status="已完成") for i in range(1, 7)], data_row(7, deadline="不知道"))
    sub = parse_rows(rows, config=make_config(max_findings=5))
    assert [c for c, _, _ in found(sub)] == ["done-without-date"] * 5 + ["too-many-findings"]
    assert not sub.ok and sub.findings[-1].severity == model.ERROR and "其中 1 处错误" in sub.findings[-1].message


def test_every_finding_is_collected():
    rows = submission_rows(data_row(1, deadline="下月", status="好"), data_row(2, lead_unit="区不存在局", problem=""))
    assert {c for c, _, _ in found(parse_rows(rows))} == {"bad-deadline", "unknown-status", "unknown-unit", "empty-required"}


def test_no_exception_for_any_bytes():
    good = xlsx_bytes(submission_rows(data_row()))
    rng = random.Random(7)
    for _ in range(30):
        noisy = bytearray(good)
        for _ in range(20):
            noisy[rng.randrange(len(noisy))] = rng.randrange(256)
        sub = parse(bytes(noisy))
        assert isinstance(sub, model.Submission)
    for data in (b"", good[:100], bytes(range(256)) * 10, "填报单位：区财政局".encode("utf-16")):
        for name in ("a.xlsx", "a.xls", "a.csv", "a.ods"):
            assert isinstance(parse(data, name), model.Submission)


def test_an_unexpected_error_becomes_unreadable_file(monkeypatch):
    def broken(sheet):
        raise RuntimeError("boom")

    monkeypatch.setattr("pipeline.intake.parse.top_header", broken)
    sub = parse(xlsx_bytes(submission_rows()))
    assert found(sub) == [("unreadable-file", None, None)]


def test_a_submission_crosses_processes_unchanged():
    # Workers parse ahead and send Submissions back pickled (rows as flat tuples): every field,
    # dates, cells and the problem key come back equal, also for rows built by hand.
    import pickle

    sub = parse(sample_bytes("区财政局_三单_2026年第四季度督查.xlsx"), "区财政局_三单_2026年第四季度督查.xlsx")
    assert sub.rows and any(r.deadline for r in sub.rows)
    back = pickle.loads(pickle.dumps(sub))
    assert back == sub
    for a, b in zip(back.rows, sub.rows, strict=False):
        assert (a.key, dict(a.cells), a.deadline, a.done_on) == (b.key, dict(b.cells), b.deadline, b.done_on)
    done = model.Row("S", 5, None, None, "问题", "措施", None, "长期坚持", True, "区财政局", (), None, None,
                     model.STATUS_DONE, date(2026, 11, 2), None, {"problem": "B5"})
    odd = model.Submission("x.xlsx", "S", "区财政局", None, None, None, (done,), ())
    again = pickle.loads(pickle.dumps(odd))
    assert again == odd and again.rows[0].key == done.key and again.rows[0].done_on == date(2026, 11, 2)
