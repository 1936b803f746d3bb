"""三单工作台帐 workbook, read back with openpyxl."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest
from builders import make_config
from docfixtures import AS_OF, FORMULA, NASTY, ledger, with_problem
from openpyxl.utils import get_column_letter

from pipeline.output.documents.ledger_xlsx import (
    FONT_PT,
    HEADERS,
    LEDGER_SHEET,
    SUMMARY_SHEET,
    ledger_workbook,
    printed_text_pt,
)


@pytest.fixture(scope="module")
def book():
    items, states, summaries = ledger()
    items = with_problem(items, "2026-0005", "竖\x0b线\x01与\t制表")
    items = with_problem(items, "2026-0006", "-负号开头")
    return openpyxl.load_workbook(io.BytesIO(ledger_workbook(make_config(), items, states, summaries, AS_OF)))


def rows_by_id(ws) -> dict[str, dict]:
    out = {}
    for row in ws.iter_rows(min_row=3):
        values = {h: c for h, c in zip(HEADERS, row, strict=False)}
        out[values["编号"].value] = values
    return out


def test_layout_for_reading_and_printing(book):
    ws = book[LEDGER_SHEET]
    assert book.sheetnames == [LEDGER_SHEET, SUMMARY_SHEET, "督查室操作"]  # issue 19: the action sheet
    assert "三查三单”工作台帐（截至2026年11月30日）" in ws["A1"].value
    assert [c.value for c in ws[2]] == HEADERS
    assert ws.freeze_panes == "B3"
    # issue 17's ten columns after 备注 (S), then 佐证材料情况 (issue 23)
    assert ws.auto_filter.ref == f"A2:AD{2 + 8}"
    assert ws.print_title_rows == "$1:$2" and ws.print_title_cols == "$A:$A"
    # issue 17: 30 columns are printed on two A3 pages side by side, 编号 repeated on the second
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 2
    assert ws.page_setup.fitToHeight == 0 and ws.page_setup.paperSize == 8  # A3, as many pages down as needed
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    assert ws.column_dimensions["F"].width >= 30
    assert ws["F3"].alignment.wrap_text


def test_rows_in_unit_order_with_state_words_and_colours(book):
    rows = rows_by_id(book[LEDGER_SHEET])
    assert list(rows) == [f"2026-000{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8)]
    late = rows["2026-0003"]
    assert late["状态"].value == "逾期" and late["状态"].fill.fgColor.rgb.endswith("FFC7CE")
    assert late["逾期工作日"].value == 32 and late["报送情况"].value == "逾期未报送" and late["重点督查"].value == "是"
    assert rows["2026-0005"]["状态"].value == "临期" and rows["2026-0005"]["状态"].fill.fgColor.rgb.endswith("FFEB9C")
    assert rows["2026-0006"]["状态"].fill.fgColor.rgb.endswith("C6EFCE") and rows["2026-0006"]["日历"].value == "暂定"
    assert late["整改时限"].value == datetime(2026, 10, 15) and late["整改时限"].is_date
    assert rows["2026-0007"]["整改时限"].value == "长期坚持"


def test_user_text_stays_text(book):
    rows = rows_by_id(book[LEDGER_SHEET])
    formula = rows["2026-0002"]["整改问题"]
    assert formula.value == f"{FORMULA} 与 {NASTY}" and formula.data_type == "s" and formula.quotePrefix
    assert rows["2026-0006"]["整改问题"].quotePrefix and rows["2026-0006"]["整改问题"].data_type == "s"
    assert rows["2026-0003"]["整改问题"].value == f"老旧小区改造{NASTY}"
    assert rows["2026-0005"]["整改问题"].value.replace("_x000B_", "\x0b").replace("_x0001_", "\x01") == "竖\x0b线\x01与\t制表"


def test_summary_sheet(book):
    ws = book[SUMMARY_SHEET]
    values = [[c.value for c in r] for r in ws.iter_rows()]
    assert values[2][:8] == [1, "区财政局", 2, 2, 2, 0, 0, 1]
    assert ws.cell(3, 8).number_format == "0.0%"
    counts = {r[0]: r[1] for r in values if r and r[0] in ("逾期", "临期", "合计")}
    assert counts == {"逾期": 2, "临期": 1, "合计": 8}


def test_fitted_to_two_a3_pages_wide_the_text_prints_at_9_pt_or_more(book):
    ws = book[LEDGER_SHEET]
    widths = [ws.column_dimensions[get_column_letter(n)].width for n in range(1, len(HEADERS) + 1)]
    assert ws.page_margins.left == ws.page_margins.right == 0.3
    assert ws["F3"].font.size == FONT_PT and printed_text_pt(widths) >= 9
    # what LibreOffice and Excel do: scale = printable width of the pages / the columns' width
    # (7 px a unit + 5), the repeated 编号 column once more on the second page
    columns_mm = (sum(int(w * 7 + 5) for w in widths) + int(widths[0] * 7 + 5)) * 25.4 / 96
    assert FONT_PT * 2 * (420 - 2 * 0.3 * 25.4) / columns_mm >= 9


def test_rows_with_wrapped_text_are_as_tall_as_their_longest_cell():
    items, states, summaries = ledger()
    items = with_problem(items, "2026-0003", "整改问题的描述很长，" * 12)
    ws = openpyxl.load_workbook(io.BytesIO(ledger_workbook(make_config(), items, states, summaries, AS_OF)))[LEDGER_SHEET]
    heights = {row[0].value: ws.row_dimensions[row[0].row].height for row in ws.iter_rows(min_row=3)}
    assert heights["2026-0003"] >= 120 / 16 * 14.3  # 120 characters in a column of about 16 a line
    assert heights["2026-0007"] is None  # one line: the default height
    assert ws.row_dimensions[2].height >= 2 * 14.3  # headers such as 逾期工作日 take two lines


def test_text_that_looks_like_rich_text_xml_or_holds_non_characters_stays_the_same_text():
    """XlsxWriter writes a constant-memory string framed by <r>…</r> as raw XML; ours stays text, and
    a carriage return or a non-character does not stop the workbook."""
    from python_calamine import CalamineWorkbook

    items, states, summaries = ledger()
    texts = {"2026-0003": "<r><t>伪造</t></r>", "2026-0004": "<r>", "2026-0005": "行一\r\n行二 _x000B_ \ufffe 尾 ",
             "2026-0006": '=HYPERLINK("http://x")'}
    for item_id, text in texts.items():
        items = with_problem(items, item_id, text)
    data = ledger_workbook(make_config(), items, states, summaries, AS_OF)
    rows = rows_by_id(openpyxl.load_workbook(io.BytesIO(data))[LEDGER_SHEET])
    assert rows["2026-0003"]["整改问题"].value == "<r><t>伪造</t></r>"
    assert rows["2026-0004"]["整改问题"].value == "<r>"
    assert rows["2026-0006"]["整改问题"].data_type == "s" and rows["2026-0006"]["整改问题"].quotePrefix
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(LEDGER_SHEET).to_python()
    problems = {r[0]: str(r[HEADERS.index("整改问题")]) for r in sheet[2:]}
    # calamine decodes the _xHHHH_ escapes back (not the one of U+FFFE, a non-character that
    # openpyxl refused to write at all), and a literal _x000B_ stays literal
    assert {k: problems[k].replace("_xFFFE_", "\ufffe") for k in texts} == texts
