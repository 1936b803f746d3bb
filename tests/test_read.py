import io
import re
import zipfile
from datetime import date

import hostile
import pytest
from builders import HEADER, csv_bytes, data_row, encrypted_xlsx_bytes, xls_bytes, xlsx_bytes

from pipeline.config import Limits
from pipeline.intake.read import read_workbook

LIMITS = Limits()


def codes(findings):
    return [(f.code, f.sheet, f.cell) for f in findings]


def test_xlsx_rows_start_at_a1_whatever_the_used_range():
    data = xlsx_bytes([[], [], ["", "", "整改问题"]], sheet="三单")
    sheets, findings = read_workbook(data, "a.xlsx", LIMITS)
    assert findings == []
    assert sheets[0].name == "三单"
    assert sheets[0].rows[2][2] == "整改问题"


def test_merged_ranges_and_hidden_sheets():
    data = xlsx_bytes([["整改问题", "", "整改措施"]], merged=("A1:B1", "C1:C2"), extra_sheets={"下拉": [["x"]]}, hidden_sheets=("下拉",))
    sheets, _ = read_workbook(data, "a.xlsx", LIMITS)
    hidden, main = sheets
    assert (hidden.name, hidden.visible) == ("下拉", False)
    assert set(main.merged) == {(0, 0, 0, 1), (0, 2, 1, 2)}
    assert main.visible


def test_cell_types_come_through():
    data = xlsx_bytes([[46387, date(2026, 12, 31), "1"]])
    (sheet,), _ = read_workbook(data, "a.xlsx", LIMITS)
    assert sheet.rows[0] == [46387, date(2026, 12, 31), "1"]


def test_legacy_xls():
    sheets, findings = read_workbook(xls_bytes(), "海口镇.xls", LIMITS)
    assert findings == []
    assert sheets[0].rows[3][:2] == ["序号", "具体内容"]
    assert (2, 0, 2, 1) in sheets[0].merged


def test_et_file_is_read_by_its_content():
    sheets, findings = read_workbook(xlsx_bytes([HEADER]), "三单.et", LIMITS)
    assert findings == [] and sheets[0].rows[0] == HEADER


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings(encoding):
    rows = [["填报单位：区财政局"], HEADER, data_row(problem="“以拨代支”，全角标点")]
    (sheet,), findings = read_workbook(csv_bytes(rows, encoding), "区财政局.csv", LIMITS)
    assert findings == []
    assert sheet.name == "区财政局"
    assert sheet.rows[0][0] == "填报单位：区财政局"
    assert sheet.rows[2][3] == "“以拨代支”，全角标点"


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiters(delimiter):
    (sheet,), _ = read_workbook(csv_bytes([HEADER, data_row()], delimiter=delimiter), "a.csv", LIMITS)
    assert sheet.rows[0] == HEADER
    assert len(sheet.rows[1]) == len(HEADER)


def test_unsupported_extension():
    _, findings = read_workbook(b"hello", "说明.docx", LIMITS)
    assert codes(findings) == [("unsupported-format", None, None)]


@pytest.mark.parametrize("data", [b"", b"not a spreadsheet at all", b"PK\x03\x04truncated"])
def test_unreadable(data):
    sheets, findings = read_workbook(data, "a.xlsx", LIMITS)
    assert sheets == [] and codes(findings) == [("unreadable-file", None, None)]
    assert "a.xlsx" in findings[0].message


def test_truncated_xlsx_still_being_copied():
    data = xlsx_bytes([HEADER])
    _, findings = read_workbook(data[: len(data) // 2], "a.xlsx", LIMITS)
    assert codes(findings) == [("unreadable-file", None, None)]


def test_encrypted():
    _, findings = read_workbook(encrypted_xlsx_bytes([HEADER]), "a.xlsx", LIMITS)
    assert codes(findings) == [("encrypted-file", None, None)]


def test_file_too_large():
    _, findings = read_workbook(xlsx_bytes([HEADER]), "a.xlsx", Limits(max_file_mb=0.001))
    assert codes(findings) == [("file-too-large", None, None)]


def test_zip_bomb_by_ratio_and_by_size():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"0" * 5_000_000)
    bomb = out.getvalue()
    assert codes(read_workbook(bomb, "a.xlsx", LIMITS)[1]) == [("zip-bomb", None, None)]
    small = xlsx_bytes([HEADER])
    assert codes(read_workbook(small, "a.xlsx", Limits(max_uncompressed_mb=0.001))[1]) == [("zip-bomb", None, None)]


def test_empty_workbook():
    _, findings = read_workbook(xlsx_bytes([]), "a.xlsx", LIMITS)
    assert codes(findings) == [("empty-workbook", None, None)]
    _, findings = read_workbook(csv_bytes([["", " "]]), "a.csv", LIMITS)
    assert codes(findings) == [("empty-workbook", None, None)]


def _sheet_xml(cells: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([HEADER]))) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(rb"<sheetData>.*</sheetData>", lambda _: b"<sheetData>" + cells + b"</sheetData>", body, flags=re.S)
            zout.writestr(info.filename, body)
    return out.getvalue()


@pytest.mark.parametrize("cells, refused", [
    (b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>', False),
    # the extent is counted where a cell has no usable r= reference, or a prefix, like calamine places it
    (b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>', True),
    (b'<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></x:row><x:row r="9000"><x:c r="ZZZ9000" t="inlineStr"><x:is><x:t>y</x:t></x:is></x:c></x:row>', True),
    (b'<row r="1"><c t="inlineStr" r="A1"><is><t>x</t></is></c></row><row r="9000"><c t="inlineStr" r="ZZZ9000"><is><t>y</t></is></c></row>', True),
    (b'<row r="9000">' + b'<c t="inlineStr"><is><t>y</t></is></c>' * 700 + b'</row>', True),
    (b'<row r="9000">' + b'<c t="inlineStr"><is><t>y</t></is></c>' * 500 + b'</row>', False),
    # a bound over the limit made of style-only cells is counted, and not refused
    (b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="1048576"><c r="XFD1048576" s="1"/></row>', False),
])
def test_sheet_extent_whatever_the_cell_references(cells, refused):
    findings = read_workbook(_sheet_xml(cells), "a.xlsx", Limits(max_sheet_cells=5_000_000))[1]
    assert [f.code for f in findings if f.code == "sheet-too-large"] == (["sheet-too-large"] if refused else [])


def test_the_formula_and_error_cell_search_is_the_pattern_search():
    import random
    import re

    from pipeline.intake.safety import _holds_formula_or_error

    pattern = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?f[\s>/]|\st="e"')
    pieces = [b'<c r="A1" t="s"><v>0</v></c>', b'<c r="B1"><f>SUM(A1:A2)</f><v>3</v></c>', b'<x:f>A1</x:f>',
              b'<c r="C1" t="e"><v>#REF!</v></c>', b'<f t="shared" si="0"/>', b'<filter val="1"/>', b'ref="A1:C9"',
              b'<dimension ref="A1"/>', b'ht="e"', b'<fx>', b'f>', b'<c r="D1"\nt="e">', b'<ff ', b'<a:fill>', b'ft="e"']
    rnd = random.Random(7)
    for _ in range(3000):
        text = b"".join(rnd.choices(pieces, k=rnd.randint(0, 5)))
        assert _holds_formula_or_error(text) == bool(pattern.search(text)), text


@pytest.mark.parametrize("disguise", [
    lambda data: bytes([data[0] ^ 1]) + data[1:],  # the first member's header damaged: no zip magic in front
    lambda data: b"junk" * 100 + data,  # bytes put in front of the zip
    lambda data: hostile._patch(data, "xl/worksheets/sheet1.xml", lambda xml: b"garbage" + xml),  # a sheet not starting with a tag
])
def test_a_disguised_sheet_bomb_is_still_scanned(disguise):
    """calamine reads each of these as the sparse sheet bomb (and aborts the process asking for
    512 GB), so the safety scan must look at them too."""
    findings = read_workbook(disguise(hostile.sparse_sheet_bomb().data), "a.xlsx", LIMITS)[1]
    assert [f.code for f in findings] in (["sheet-too-large"], ["unreadable-file"])
