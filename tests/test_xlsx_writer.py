"""The big sheets' direct row writer (`StreamSheet.rows`, issue 20) against XlsxWriter's own cell
methods: the same XML for the same cells, and text that reads back verbatim in openpyxl and
python-calamine — formulas never, the quote prefix on a formula-like start, control characters,
literal `_xHHHH_`, edge white space, Excel's length limit, dates and numbers."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from pipeline.output.documents.xlsx_stream import DATE, NUMBER, TEXT, StreamBook

TEXTS = [
    "A&B<二期>",
    "=HYPERLINK(\"http://x\",\"点我\")",
    "+1", "-2", "@SUM(A1)", "\t制表开头", "\r回车开头",
    "含\x0b垂直制表\x1f与\x00", "字面_x000B_转义", "前_x005F_后",
    " 前有空格", "后有空格 ", "全角（括号）、“引号”；", "换行\n第二行\r\n第三行",
    "\ufffe与\uffff", "😀" * 10, "汉" * 40000, "😀" * 20000, "#N/A", "TRUE", "007",
    "<r>看似富文本</r>",
]
NUMBERS = [0, 1, 17, 3.25, -4, 1e20]
DATES = [date(1900, 1, 1), date(1900, 2, 28), date(1900, 3, 1), date(2026, 11, 27), date(2099, 12, 31)]


def _rows():
    rows = []
    for n, text in enumerate(TEXTS):
        height = None if n % 3 else 14.3 * (n % 4 + 1) + 2
        rows.append((height, [(TEXT, text, "wrap"), (NUMBER, NUMBERS[n % len(NUMBERS)], "int"),
                              (DATE, DATES[n % len(DATES)], "date"), (TEXT, None, "wrap"), (TEXT, "", "text"),
                              (NUMBER, None, "int"), (TEXT, n, "text")]))
    return rows


def _book(direct: bool) -> bytes:
    book = StreamBook()
    sh = book.sheet("表")
    sh.define("head", bold=True, fill="D9E1F2")
    sh.define("wrap", wrap=True)
    sh.define("text")
    sh.define("int", align="center")
    sh.define("date", fmt="yyyy-mm-dd", align="center")
    sh.text(0, 0, "标题", "head")
    sh.text(1, 0, "表头", "head")
    rows = _rows()
    if direct:
        sh.rows(2, rows)
    else:
        for r, (height, cells) in enumerate(rows, 2):
            if height is not None:
                sh.height(r, height)
            for col, (kind, value, style) in enumerate(cells):
                if kind == TEXT:
                    sh.text(r, col, value, style)
                else:
                    sh.value(r, col, value, style)
    sh.text(len(rows) + 2, 0, "合计", "head")  # the cell methods again after the direct rows
    return book.close()


def _ooxml(text: str) -> str:
    """openpyxl leaves OOXML's `_xHHHH_` escapes in the text; Excel, WPS and calamine decode them."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _sheet_rows(data: bytes) -> list[bytes]:
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    return [part.split(b"</row>")[0] for part in xml.split(b"<row ")[1:]]


def test_the_direct_rows_are_xlsxwriters_own_xml():
    old, new = _sheet_rows(_book(False)), _sheet_rows(_book(True))
    assert len(old) == len(new) == len(TEXTS) + 3
    rich = TEXTS.index("<r>看似富文本</r>") + 2
    for n, (a, b) in enumerate(zip(old, new, strict=True)):
        if n != rich:  # XlsxWriter needs two plain runs there; written here as one escaped text
            assert a == b, n
    docs = [zipfile.ZipFile(io.BytesIO(_book(d))) for d in (False, True)]
    for name in docs[0].namelist():
        if name not in ("xl/worksheets/sheet1.xml", "docProps/core.xml"):
            assert docs[0].read(name) == docs[1].read(name), name


@pytest.mark.parametrize("direct", [False, True])
def test_every_text_reads_back_verbatim(direct):
    data = _book(direct)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cal = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    for n, text in enumerate(TEXTS):
        cell = ws.cell(n + 3, 1)
        expected = text
        if len(text.encode("utf-16-le")) // 2 > 32767:  # Excel's limit, in UTF-16 units
            expected = text[:32767] if not text.startswith("😀") else text[:16383]
        assert cell.data_type == "s", text[:20]
        assert _ooxml(cell.value) == expected, text[:20]
        # calamine leaves the two non-characters U+FFFE and U+FFFF in their escaped form
        assert cal[n + 2][0] == expected.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_"), text[:20]
        assert bool(cell.quotePrefix) == text.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert cell.alignment.wrap_text is True
        assert ws.cell(n + 3, 3).value.date() == DATES[n % len(DATES)]
        assert ws.cell(n + 3, 3).number_format == "yyyy-mm-dd"
        assert ws.cell(n + 3, 2).value == NUMBERS[n % len(NUMBERS)]
        assert ws.cell(n + 3, 4).value is None and ws.cell(n + 3, 4).alignment.wrap_text is True
        assert ws.cell(n + 3, 7).value == str(n)
        if n % 3 == 0:
            assert ws.row_dimensions[n + 3].height == pytest.approx(14.3 * (n % 4 + 1) + 2, abs=0.75)
    assert ws.cell(len(TEXTS) + 3, 1).value == "合计" and ws.cell(len(TEXTS) + 3, 1).font.b
    assert ws.max_row == len(TEXTS) + 3 and ws.max_column == 7


def test_the_direct_rows_need_a_constant_memory_book():
    book = StreamBook(small=True)
    with pytest.raises(ValueError):
        book.sheet("表").rows(0, [])
    book.close()
