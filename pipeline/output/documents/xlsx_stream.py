"""Big workbooks written by XlsxWriter in constant-memory mode (issue 20): each row goes to disk
as it is written, about three times faster than openpyxl's write-only mode.

The guarantees of `xlsx_text.put_text` hold here too, and tests read the files back:
- user text is always written as a string (`write_string`; never `write`, which would make
  `=…` a formula or a URL), with Excel's invisible quote prefix when it starts like a formula;
- control characters are escaped as `_xHHHH_` and a literal `_xHHHH_` as `_x005F_xHHHH_` —
  XlsxWriter does exactly what `xlsx_text.xlsx_safe` does, so the text is passed to it raw;
- XlsxWriter writes a constant-memory string that starts with `<r>` and ends with `</r>` as
  raw rich-text XML: such a text is written as a rich string of two plain runs instead, which
  reads back as the same text.
`StreamSheet.rows` writes many rows as XML straight into the row stream, escaped exactly as
XlsxWriter escapes (tests/test_xlsx_writer.py compares the bytes); there a `<r>…</r>` text is
one escaped string.
Column widths are set in pixels so that the stored width is the one given (what openpyxl
stores), and the print setup is `xlsx_cells.print_landscape`'s.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from pipeline.intake.cells import column_letters
from pipeline.model import MADE_ON_PROPERTY
from pipeline.output.xlsx_text import looks_like_formula

GRID_COLOUR = "#808080"
MAX_TEXT = 32767  # Excel's limit for a cell's text; XlsxWriter refuses longer strings

# `StreamSheet.rows`: a sheet's rows as XML written straight into XlsxWriter's row stream, the
# text escaped exactly as XlsxWriter escapes it (xmlwriter._escape_control_characters, then
# _escape_data; xml:space="preserve" for leading or trailing white space)
_LITERAL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_NEEDS_WORK = re.compile(r"[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_EDGE_SPACE = re.compile(r"^\s|\s$")
# a text with none of these is written as it is: no escape, no xml:space, no quote prefix
_PLAIN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^[\s=+\-@]|\s$")
_EPOCH = date(1899, 12, 31).toordinal()  # Excel's day 0 (1900 date system)
TEXT, NUMBER, DATE = 0, 1, 2  # the kinds of a cell given to `StreamSheet.rows`


def _utf16_cut(text: str, limit: int = MAX_TEXT) -> str:
    """The text cut to `limit` UTF-16 units (Excel's measure), never inside a character."""
    if len(text) <= limit // 2 or len(text.encode("utf-16-le", "surrogatepass")) // 2 <= limit:
        return text
    units = 0
    for n, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return text[:n]
    return text


def _xml_text(text: str) -> str:
    if _NEEDS_WORK.search(text):
        text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class _Worksheet(Worksheet):
    """Two details written as openpyxl writes them, so that every reader sees the same sheet:
    `fitToWidth="1"` (XlsxWriter leaves out the schema's default, which openpyxl then reads as
    None), and one `<col>` per column (XlsxWriter joins neighbours of equal width into one,
    which openpyxl reads as the first column's width only)."""

    def _write_cols(self) -> None:
        if not self.col_info:
            return
        self._xml_start_tag("cols")
        for col in sorted(self.col_info):
            self._write_col_info(col, col, self.col_info[col])
        self._xml_end_tag("cols")

    def _xml_empty_tag(self, tag, attributes=()):
        if tag == "pageSetup" and self.fit_page and all(k != "fitToWidth" for k, _ in attributes):
            attributes = [*attributes, ("fitToWidth", self.fit_width)]
        super()._xml_empty_tag(tag, attributes)


class StreamBook:
    """A constant-memory workbook whose bytes `close()` returns. Sheets are written row by row,
    top to bottom (what constant-memory mode requires). `constant_memory=False`: the cells kept
    in memory until `close()` and texts shared — about a third faster for many short, repeated
    texts (the 考核得分表's 明细), at the cost of memory."""

    def __init__(self, *, small: bool = False, constant_memory: bool = True) -> None:
        """`small`: a workbook of a few thousand cells, kept in memory (no temporary files);
        the rows must still be written top to bottom, as for a big one."""
        self._dir = tempfile.mkdtemp(prefix="sancha-xlsx-") if not small else None
        self._out = io.BytesIO()
        options = ({"in_memory": True} if small
                   else {"constant_memory": constant_memory, "tmpdir": self._dir})
        self.wb = xlsxwriter.Workbook(self._out, {**options, "default_date_format": "yyyy-mm-dd"})

    def sheet(self, name: str) -> StreamSheet:
        return StreamSheet(self, self.wb.add_worksheet(name, worksheet_class=_Worksheet))

    def made_on(self, day: date) -> None:
        """The day the workbook was made, as the custom property `xlsx_cells.mark_made_on` writes."""
        self.wb.set_custom_property(MADE_ON_PROPERTY, day.isoformat())

    def close(self) -> bytes:
        try:
            self.wb.close()
        finally:
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
        return self._out.getvalue()


class StreamSheet:
    """Named styles (as `xlsx_cells.CellMaker.define`) and safe cells on one worksheet."""

    def __init__(self, book: StreamBook, ws) -> None:
        self.book, self.ws = book, ws
        self._styles: dict[str, dict[str, Any]] = {}
        self._formats: dict[tuple[str, bool], Any] = {}

    def define(self, name: str, *, wrap=False, bold=False, size=None, fill=None, color=None, fmt=None,
               align="left", border=True, locked=True) -> None:
        props: dict[str, Any] = {"font_name": "宋体", "font_size": size or 10, "bold": bold, "align": align,
                                 "valign": "top" if wrap else "vcenter", "text_wrap": wrap}
        if color:
            props["font_color"] = f"#{color}"
        if border:
            props.update(border=1, border_color=GRID_COLOUR)
        if fill:
            props.update(pattern=1, bg_color=f"#{fill}")
        if fmt:
            props["num_format"] = fmt
        if not locked:  # only matters on a protected sheet
            props["locked"] = False
        self._styles[name] = props

    def _format(self, style: str, quoted: bool = False):
        key = (style, quoted)
        if key not in self._formats:
            self._formats[key] = self.book.wb.add_format({**self._styles[style], **({"quote_prefix": True}
                                                                                    if quoted else {})})
        return self._formats[key]

    def text(self, row: int, col: int, value: str | None, style: str) -> None:
        """User text as text (None or '' an empty styled cell)."""
        if value is None or value == "":
            self.ws.write_blank(row, col, None, self._format(style))
            return
        text = str(value)[:MAX_TEXT]
        fmt = self._format(style, looks_like_formula(text))
        if text.startswith("<r>") and text.endswith("</r>"):  # else written as raw rich-text XML
            self.ws.write_rich_string(row, col, text[:1], text[1:2], text[2:], fmt)
        else:
            self.ws.write_string(row, col, text, fmt)

    def value(self, row: int, col: int, value: int | float | date | None, style: str) -> None:
        """A number or a date (None: an empty styled cell)."""
        if value is None:
            self.ws.write_blank(row, col, None, self._format(style))
        elif isinstance(value, date):
            self.ws.write_datetime(row, col, value, self._format(style))
        else:
            self.ws.write_number(row, col, value, self._format(style))

    def rows(self, first_row: int, rows: Iterable[tuple[float | None, Sequence[tuple[int, Any, str]]]]) -> None:
        """Many rows, top to bottom from `first_row`, each `(height in points or None, cells)`,
        a cell `(kind, value, style)` per column from A: kind TEXT (user text, as `text`), NUMBER
        or DATE (as `value`); None or '' an empty styled cell. Written as XML straight into the
        row stream (issue 20: XlsxWriter's per-cell work was most of a 200,000-row ledger's
        time); each cell reads back as `text` and `value` would have written it — text as text,
        the quote prefix on a formula-like start, control characters escaped."""
        ws = self.ws
        if not ws.constant_memory:
            raise ValueError("StreamSheet.rows needs a constant-memory workbook")
        if first_row > ws.previous_row:
            ws._write_single_row(first_row)  # the rows written before, through the cell methods
        plain: dict[str, int] = {}  # style → XlsxWriter's xf index, without and with the quote prefix
        quoted: dict[str, int] = {}

        def xf(style: str, quote: bool = False) -> int:
            index = self._format(style, quote)._get_xf_index()
            (quoted if quote else plain)[style] = index
            return index

        letters: list[str] = []
        write = ws.fh.write
        r = first_row - 1
        last_col = -1
        for r, (height, cells) in enumerate(rows, first_row):
            n = r + 1
            while len(letters) < len(cells):
                letters.append(column_letters(len(letters)))
            last_col = max(last_col, len(cells) - 1)
            if height is None:
                out = [f'<row r="{n}">']
            else:
                px = math.ceil(height * 4 / 3 - 1e-9)
                out = [f'<row r="{n}" ht="{px * 0.75:.16g}" customHeight="1">']
            for col, (kind, value, style) in enumerate(cells):
                if value is None or value == "":
                    out.append(f'<c r="{letters[col]}{n}" s="{plain.get(style) or xf(style)}"/>')
                elif kind == TEXT:
                    text = value if type(value) is str else str(value)
                    if len(text) > MAX_TEXT // 2:
                        text = _utf16_cut(text[:MAX_TEXT])
                    if _PLAIN_TEXT.search(text) is None:  # most texts: nothing to escape or mark
                        out.append(f'<c r="{letters[col]}{n}" s="{plain.get(style) or xf(style)}" t="inlineStr">'
                                   f'<is><t>{text}</t></is></c>')
                        continue
                    if looks_like_formula(text):
                        s = quoted.get(style) or xf(style, True)
                    else:
                        s = plain.get(style) or xf(style)
                    text = _xml_text(text)
                    space = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
                    out.append(f'<c r="{letters[col]}{n}" s="{s}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
                else:
                    number = value
                    if kind == DATE:  # as XlsxWriter counts: day 60 is Excel's 1900-02-29
                        number = value.toordinal() - _EPOCH
                        number += number > 59
                    out.append(f'<c r="{letters[col]}{n}" s="{plain.get(style) or xf(style)}"><v>{number:.16G}</v></c>')
            out.append("</row>")
            write("".join(out))
        if r >= first_row:
            ws._check_dimensions(first_row, 0)
            ws._check_dimensions(r, max(last_col, 0))
            ws.previous_row = r + 1  # nothing of these rows is left to the row stream

    def height(self, row: int, points: float) -> None:
        """A row's height, rounded up to whole pixels (XlsxWriter stores pixels; rounding down
        could cut a line of wrapped text)."""
        self.ws.set_row_pixels(row, math.ceil(points * 4 / 3 - 1e-9))

    def widths(self, widths) -> None:
        """Column widths in characters, stored as given (pixels = 7 a character)."""
        for n, width in enumerate(widths):
            self.ws.set_column_pixels(n, n, round(width * 7))

    def print_landscape(self, first_title_row: int, last_title_row: int, paper: int, pages_wide: int = 1) -> None:
        """As `xlsx_cells.print_landscape`: landscape, fitted to the width, title rows repeated,
        page numbers in the footer."""
        ws = self.ws
        ws.repeat_rows(first_title_row, last_title_row)
        ws.set_landscape()
        ws.set_paper(paper)
        ws.fit_to_pages(pages_wide, 0)
        ws.center_horizontally()
        ws.set_margins(left=0.3, right=0.3, top=0.6, bottom=0.6)
        ws.set_footer("&C第 &P 页，共 &N 页")
