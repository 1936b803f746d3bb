"""Safe, fast cells for the workbooks we write (ledger, feedback forms).

User text always stays text (`xlsx_text.put_text`: never a formula, quotePrefix on `= + - @`,
control characters escaped the way Excel stores them). `CellMaker` adds shared styles for the
write-only sheets of big workbooks.
"""

from __future__ import annotations

from copy import copy
from datetime import date

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.properties import PageSetupProperties

from pipeline.model import MADE_ON_PROPERTY
from pipeline.output.xlsx_text import put_text

DATE_FORMAT = "yyyy-mm-dd"

# The day a workbook sancha writes was made (its figures as of that day): a document property
# the reader of a file sent back looks for, and a visible line with this label. A value in such
# a file never overwrites a change the ledger recorded after that day (merge: stale-value).


def mark_made_on(wb, day: date) -> None:
    """Record in the workbook's custom properties the day it was made."""
    from openpyxl.packaging.custom import StringProperty

    wb.custom_doc_props.append(StringProperty(name=MADE_ON_PROPERTY, value=day.isoformat()))

THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")

# Traffic lights (fill, font colour) with the state word written in the cell as well.
GREEN = ("C6EFCE", "006100")
YELLOW = ("FFEB9C", "9C5700")
RED = ("FFC7CE", "9C0006")
GREY = ("EDEDED", "404040")
BLUE = ("DDEBF7", "1F4E78")


class CellMaker:
    """Write-only cells with shared styles (copying a style array is much cheaper than
    setting font/fill/alignment on each of a few hundred thousand cells)."""

    def __init__(self, ws):
        self.ws = ws
        self._styles: dict[str, object] = {}

    def define(self, name: str, *, wrap=False, bold=False, size=None, fill=None, color=None, fmt=None,
               align="left", border=True, locked=True) -> None:
        c = WriteOnlyCell(self.ws)
        c.font = Font(name="宋体", bold=bold, size=size or 10, color=color)
        c.alignment = Alignment(horizontal=align, vertical="center" if not wrap else "top", wrap_text=wrap)
        if border:
            c.border = GRID
        if fill:
            c.fill = PatternFill("solid", fgColor=fill)
        if fmt:
            c.number_format = fmt
        if not locked:  # only matters on a protected sheet
            c.protection = Protection(locked=False)
        self._styles[name] = c._style

    def _cell(self, value, style: str):
        c = WriteOnlyCell(self.ws, value)
        c._style = copy(self._styles[style])
        return c

    def text(self, value: str | None, style: str):
        c = self._cell(None, style)
        if value != "":
            put_text(c, value)
        return c

    def value(self, value: int | float | date | None, style: str):
        return self._cell(value, style)


A4, A3 = 9, 8  # paperSize codes


def print_landscape(ws, title_rows: str, paper: int = A4, pages_wide: int = 1) -> None:
    """Landscape, fit to the page width (`pages_wide` pages side by side), `title_rows` (e.g.
    "1:2") repeated on every page, page numbers in the footer."""
    ws.print_title_rows = title_rows
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = paper
    ws.page_setup.fitToWidth = pages_wide
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.3  # inches (ledger_xlsx.PAGE_WIDTH_MM counts on it)
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
