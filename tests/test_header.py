from datetime import date

from builders import FIELDS, data_row, sample_bytes, submission_rows

from pipeline.config import Limits
from pipeline.intake.cells import cell_name
from pipeline.intake.header import find_header, header_text, is_footer, read_meta
from pipeline.intake.read import Sheet, read_workbook

GROUPED = [
    ["菱湖街道重大决策部署落实“三查三单”清单"],
    ["整改问题", "", "整改措施", "", "整改责任", "", "", "备注"],
    ["序号", "具体内容", "具体内容", "整改时限", "牵头责任单位", "配合责任单位", "责任人", ""],
    ["1", "问题", "措施", "2026-12-31", "菱湖街道", "", "陈刚", ""],
]
GROUPED_MERGES = ((1, 0, 1, 1), (1, 2, 1, 3), (1, 4, 1, 6), (0, 0, 0, 7), (1, 7, 2, 7))


def test_header_text_normalises_markers_and_width():
    assert header_text(" *整改\n时限（必填）") == "整改时限"
    assert header_text("牵头责任单位＊") == "牵头责任单位"
    assert header_text(46387) == ""


def test_single_row_header_below_title_and_meta():
    header = find_header(Sheet("三单", submission_rows(data_row())))
    assert header.row == 2 and header.first_row == 2
    assert header.columns == {f: c for c, f in enumerate(FIELDS)}
    assert header.missing == ()


def test_seed_grouped_header_with_merged_cells():
    header = find_header(Sheet("Sheet1", GROUPED, GROUPED_MERGES))
    assert (header.first_row, header.row) == (1, 2)
    assert header.columns == {"seq": 0, "problem": 1, "measures": 2, "deadline": 3, "lead_unit": 4, "co_units": 5, "owner": 6, "remark": 7}


def test_grouped_header_typed_without_merging():
    header = find_header(Sheet("Sheet1", GROUPED))
    assert header.columns["problem"] == 1 and header.columns["measures"] == 2


def test_grouped_header_with_groups_swapped():
    rows = [["整改措施", "", "整改问题", ""], ["具体内容", "整改时限", "具体内容", "牵头责任单位"]]
    header = find_header(Sheet("Sheet1", rows, ((0, 0, 0, 1), (0, 2, 0, 3))))
    assert header.columns == {"measures": 0, "deadline": 1, "problem": 2, "lead_unit": 3}


def test_aliases_shuffled_and_extra_columns():
    rows = [["联系方式", "牵头单位", "时限要求", "措施清单", "问题描述", "协办单位", "具体责任人", "落实情况", "整改状态", "办结时间", "检查类别", "台账编号"]]
    header = find_header(Sheet("Sheet1", rows))
    assert header.columns == {
        "lead_unit": 1, "deadline": 2, "measures": 3, "problem": 4, "co_units": 5, "owner": 6,
        "progress": 7, "status": 8, "done_on": 9, "source": 10, "item_id": 11,
        "phone": 0,  # 联系方式 is the 联系电话 column since issue 17
    }


def test_canonical_name_wins_over_alias_for_the_same_field():
    header = find_header(Sheet("Sheet1", [["责任单位", "整改问题", "牵头责任单位", "整改时限"]]))
    assert header.columns["lead_unit"] == 2


def test_numbering_column_holding_row_numbers_is_seq():
    rows: list[list] = [["编号", "整改问题", "整改措施", "整改时限", "牵头责任单位"], [1.0, "a", "b", "年底前", "区财政局"], ["2", "c", "d", "年底前", "区财政局"]]
    assert find_header(Sheet("Sheet1", rows)).columns["seq"] == 0
    rows[1][0] = "2026-0001"
    assert find_header(Sheet("Sheet1", rows)).columns["item_id"] == 0


def test_missing_columns_are_listed():
    header = find_header(Sheet("Sheet1", [["序号", "整改问题", "整改措施", "责任人"]]))
    assert header.missing == ("deadline", "lead_unit")


def test_no_header_in_prose_or_one_label():
    assert find_header(Sheet("Sheet1", [["请按要求填写整改问题和整改措施"], ["整改时限"], ["整改时限", "填写具体日期"]])) is None


def test_footers():
    assert is_footer(["填表人：张明", "", "审核人：刘伟"])
    assert is_footer(["", "联系电话: 0556-5500000"])
    assert is_footer(["单位负责人（签字）：", ""])
    assert is_footer(["填报日期：2026年11月20日"])
    assert not is_footer(["1", "联系电话不通", "措施"])
    assert not is_footer(["", ""])


def test_meta_in_one_cell_spread_over_cells_and_padded():
    one_cell = [(0, ["填报单位：区财政局  填报日期：2026年11月20日  检查名称：第四季度督查"])]
    meta = read_meta(one_cell)
    assert {k: (v.value, v.cell) for k, v in meta.items()} == {
        "unit": ("区财政局", "A1"), "report_date": ("2026年11月20日", "A1"), "inspection": ("第四季度督查", "A1"),
    }
    spread = [(1, ["填 报 单 位:", "区财政局（盖章）", "", "填报日期：", date(2026, 11, 20)])]
    meta = read_meta(spread)
    assert (meta["unit"].value, meta["unit"].cell) == ("区财政局", "B2")
    assert (meta["report_date"].value, meta["report_date"].cell) == (date(2026, 11, 20), "E2")


def test_samples_headers():
    limits = Limits()
    expected = {
        "菱湖街道_三单清单.xlsx": (2, {"seq", "problem", "measures", "deadline", "lead_unit", "co_units", "owner", "remark"}),
        "区财政局_三单_2026年第四季度督查.xlsx": (2, set(FIELDS)),
        "区住建局_整改进展.xlsx": (1, {"seq", "problem", "measures", "deadline", "lead_unit", "co_units", "owner", "progress", "status", "done_on"}),
    }
    for name, (row, fields) in expected.items():
        (sheet,), _ = read_workbook(sample_bytes(name), name, limits)
        header = find_header(sheet)
        assert (header.row, set(header.columns)) == (row, fields), name


def test_cell_name():
    assert [cell_name(0, 0), cell_name(4, 25), cell_name(9, 26), cell_name(0, 701)] == ["A1", "Z5", "AA10", "ZZ1"]
