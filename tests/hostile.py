"""A corpus of hostile and broken submissions, built in code: one named builder per case.

Each builder returns a `Case`: the bytes, the file name (and inbox/<folder>/ if any) and the one
finding code `sancha ingest` must give it (None: it must be accepted). `CASES` lists them all,
so one batch can hold every case at once.

    case = formula_without_value()
    drop(ws, case) ; … ; assert code_of(result) == case.code
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from builders import HEADER, csv_bytes, data_row, encrypted_xlsx_bytes, submission_rows, xls_bytes, xlsx_bytes

from pipeline.intake.cells import cell_name
from pipeline.output.xlsx_text import xlsx_safe

# Text that every writer must carry verbatim (Word drops only what XML 1.0 cannot hold).
TRICKY_PROBLEM = "A&B<二期> \"引号\" '单引号' 😀🏗️ 工地\t围挡\x0b破损\x01"
TRICKY_MEASURES = '=HYPERLINK("http://x","整改")'
TRICKY_PROGRESS = "+1 完成８０％；-2 待复查"
TRICKY_REMARK = "@SUM(A1) " + "长" * 30_000
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Case:
    name: str  # the builder's name, for test ids
    filename: str
    data: bytes
    code: str | None  # the finding code that decides the verdict; None: accepted
    folder: str | None = None  # inbox/<folder>/
    cells: tuple[str, ...] = ()  # where the finding must point, when it points at cells
    warning: str | None = None  # a warning code the verdict must carry as well


def _rows(*rows, **kw) -> list[list]:
    return submission_rows(*(rows or [data_row(1)]), **kw)


def _patch(data: bytes, member: str, change) -> bytes:
    """The zip `data` with one member's bytes passed through `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            zout.writestr(info.filename, change(body) if info.filename == member else body)
    return out.getvalue()


def _with_sheet_data(data: bytes, sheet_data: bytes) -> bytes:
    return _patch(data, "xl/worksheets/sheet1.xml",
                  lambda b: re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>", lambda _: sheet_data, b, flags=re.S))


def fast_sheet_data(rows: list[list]) -> bytes:
    """<sheetData> of inline strings, written directly (openpyxl takes ~20 s for 100,000 rows)."""
    out = ["<sheetData>"]
    for r, row in enumerate(rows):
        cells = "".join(f'<c r="{cell_name(r, c)}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>'
                        for c, v in enumerate(row) if v != "")
        out.append(f'<row r="{r + 1}">{cells}</row>')
    out.append("</sheetData>")
    return "".join(out).encode()


def _billion_laughs(levels: int = 9) -> bytes:
    entities = [b'<!ENTITY lol0 "lol">']
    entities += [b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10))) for i in range(1, levels + 1)]
    return b'<?xml version="1.0"?><!DOCTYPE lolz [' + b"".join(entities) + b"]>"


def ods_bytes(rows: list[list] | None = None, *, table: str = "三单", body: str | None = None) -> bytes:
    """A minimal OpenDocument spreadsheet (what LibreOffice and WPS can save), no odfpy needed."""
    def cell(v):
        if v == "":
            return "<table:table-cell/>"
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'

    body = body if body is not None else "".join(
        f"<table:table-row>{''.join(cell(v) for v in row)}</table:table-row>" for row in rows or [])
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{escape(table)}">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")  # stored, first
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return out.getvalue()


# -- not a readable spreadsheet --------------------------------------------------------------


def renamed_pdf() -> Case:
    return Case("renamed_pdf", "区财政局_三单.xlsx", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "unreadable-file")


def truncated_xlsx() -> Case:
    data = xlsx_bytes(_rows(data_row(1), data_row(2)))
    return Case("truncated_xlsx", "区财政局_半截.xlsx", data[: len(data) * 2 // 3], "unreadable-file")


def empty_workbook() -> Case:
    return Case("empty_workbook", "区财政局_空表.xlsx", xlsx_bytes([]), "empty-workbook")


def header_without_rows() -> Case:
    rows = _rows()
    header_at = rows.index(HEADER)
    return Case("header_without_rows", "区财政局_无事项.xlsx", xlsx_bytes(rows[: header_at + 1]), "no-rows")


def encrypted_workbook() -> Case:
    return Case("encrypted_workbook", "区财政局_加密.xlsx", encrypted_xlsx_bytes(_rows()), "encrypted-file")


def zip_bomb() -> Case:
    """A 200 MB member of zeros in a few hundred KB: over the size and the ratio limits."""
    out = io.BytesIO()
    with (zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z,
          z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member):
        block = b"\0" * (1 << 20)
        for _ in range(200):
            member.write(block)
    return Case("zip_bomb", "区财政局_炸弹.xlsx", out.getvalue(), "zip-bomb")


def xml_bomb_in_sheet() -> Case:
    """Billion laughs in the sheet XML: a DTD no Excel/WPS file has."""
    def bomb(body: bytes) -> bytes:
        body = re.sub(rb"^<\?xml[^>]*\?>", b"", body)
        body = body.replace(b"<sheetData>", b'<sheetData><row r="99"><c r="A99" t="inlineStr"><is><t>&lol9;</t></is></c></row>', 1)
        return _billion_laughs() + body
    return Case("xml_bomb_in_sheet", "区财政局_实体.xlsx", _patch(xlsx_bytes(_rows()), "xl/worksheets/sheet1.xml", bomb), "xml-bomb")


def xml_bomb_in_shared_strings() -> Case:
    data = _patch(xlsx_bytes(_rows()), "xl/worksheets/sheet1.xml",
                  lambda b: b.replace(b'<c r="A1" t="inlineStr"><is><t>', b'<c r="A1" t="s"><v>0</v></c><c r="Z1" t="inlineStr"><is><t>', 1))
    strings = _billion_laughs() + (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                                   b'uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                    b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
            zout.writestr(info.filename, body)
        zout.writestr("xl/sharedStrings.xml", strings)
    return Case("xml_bomb_in_shared_strings", "区财政局_共享字符串.xlsx", out.getvalue(), "xml-bomb")


def sparse_sheet_bomb() -> Case:
    """Two cells, A1 and XFD1048576: a few KB that calamine would allocate as 17 billion cells."""
    data = _with_sheet_data(xlsx_bytes(_rows()), (
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row></sheetData>'))
    return Case("sparse_sheet_bomb", "区财政局_稀疏.xlsx", data, "sheet-too-large")


def ods_repeat_bomb() -> Case:
    body = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string" '
            'table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell></table:table-row>')
    return Case("ods_repeat_bomb", "区财政局_重复.ods", ods_bytes(body=body), "sheet-too-large")


def hundred_thousand_rows() -> Case:
    rows = _rows(*(data_row(k, problem=f"问题{k}：采购验收不及时") for k in range(1, 100_001)))
    return Case("hundred_thousand_rows", "区财政局_十万行.xlsx", _with_sheet_data(xlsx_bytes(_rows()), fast_sheet_data(rows)),
                "too-many-rows")


# -- readable, but a cell is not what it seems ------------------------------------------------


def _formula_book(formulas: dict[str, str], errors: dict[str, str]) -> bytes:
    """Two valid rows, then some cells replaced by formulas saved without a value / error values."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(_rows(data_row(1), data_row(2), data_row(3)))))
    ws = wb.active
    for ref, formula in formulas.items():
        ws[ref] = formula  # openpyxl writes <f> and no cached value, as any generator does
    for ref, error in errors.items():
        ws[ref] = error
        ws[ref].data_type = "e"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def formula_without_value() -> Case:
    data = _formula_book({"D4": '=CONCATENATE("问题","1")', "F5": "=DATE(2026,12,31)"}, {})
    return Case("formula_without_value", "区财政局_公式.xlsx", data, "formula-no-value", cells=("D4", "F5"))


def error_cells() -> Case:
    data = _formula_book({}, {"F4": "#REF!", "G5": "#N/A", "D6": "#VALUE!"})
    return Case("error_cells", "区财政局_错误值.xlsx", data, "error-cell", cells=("D6", "F4", "G5"))


# -- readable and acceptable --------------------------------------------------------------------


def legacy_xls() -> Case:
    return Case("legacy_xls", "海口镇_三单.xls", xls_bytes(), None)


def csv_utf8_bom() -> Case:
    rows = _rows(data_row(1, problem="CSV（UTF-8 BOM）：“以拨代支”问题"))
    return Case("csv_utf8_bom", "区财政局_utf8.csv", csv_bytes(rows, "utf-8-sig"), None)


def csv_gbk() -> Case:
    rows = _rows(data_row(1, problem="CSV（GBK）：非税收入收缴不及时"))
    return Case("csv_gbk", "区财政局_gbk.csv", csv_bytes(rows, "gbk"), None)


def ods_workbook() -> Case:
    return Case("ods_workbook", "区财政局_三单.ods", ods_bytes(_rows(data_row(1, problem="ODS：公务用车管理不规范"))), None)


def et_workbook() -> Case:
    """WPS's .et: an xlsx or xls inside; read by its content."""
    return Case("et_workbook", "区财政局_三单.et", xlsx_bytes(_rows(data_row(1, problem="ET：会议费报销不规范"))), None)


def merged_lead_unit() -> Case:
    """One lead unit and one deadline merged down over three items (G4:G6, F4:F6)."""
    rows = _rows(data_row(1, problem="合并1：项目验收不及时"),
                 data_row(2, problem="合并2：资金拨付滞后", lead_unit="", deadline=""),
                 data_row(3, problem="合并3：台账不完整", lead_unit="", deadline=""))
    return Case("merged_lead_unit", "区财政局_合并.xlsx", xlsx_bytes(rows, merged=("G4:G6", "F4:F6")), None)


def hidden_rows_and_columns() -> Case:
    """Hidden rows and columns are read like any other: the unit submitted them."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(_rows(*(data_row(k, problem=f"隐藏{k}：问题") for k in (1, 2, 3))))))
    ws = wb.active
    ws.row_dimensions[5].hidden = True
    ws.column_dimensions["D"].hidden = True
    out = io.BytesIO()
    wb.save(out)
    return Case("hidden_rows_and_columns", "区财政局_隐藏.xlsx", out.getvalue(), None)


def tricky_text() -> Case:
    """Control characters, emoji, & < > " ', formula triggers and a 30,000-character cell.

    Written as Excel stores them (control characters as _xHHHH_ escapes), as text cells."""
    row = data_row(1, problem=TRICKY_PROBLEM, measures=TRICKY_MEASURES, progress=TRICKY_PROGRESS, remark=TRICKY_REMARK)
    return Case("tricky_text", "区财政局_特殊字符.xlsx", xlsx_bytes(_rows([xlsx_safe(v) if isinstance(v, str) else v for v in row])), None)


# -- names that try to leave their folder ---------------------------------------------------------


def submitter_path_traversal() -> Case:
    return Case("submitter_path_traversal", "路径.xlsx", xlsx_bytes(_rows(unit="../../x")), "unknown-submitter")


def submitter_absolute_path() -> Case:
    return Case("submitter_absolute_path", "绝对路径.xlsx", xlsx_bytes(_rows(unit="/etc/cron.d/x")), "unknown-submitter")


def folder_with_forbidden_characters() -> Case:
    """A folder and a file named with \\ : * ? " < > | and dots (legal on a Linux share): the
    folder is no registered unit, so the file counts as dropped in inbox/ itself (a warning) and
    its lead unit submits it; its receipt goes to that unit's folder, under a sanitised name."""
    return Case("folder_with_forbidden_characters", 'a\\..\\..\\b:*?"<>|.xlsx', xlsx_bytes(_rows(unit="")),
                None, folder='x\\..\\..\\y:*?"<>|', warning="unknown-folder")


CASES = [
    renamed_pdf, truncated_xlsx, empty_workbook, header_without_rows, encrypted_workbook, zip_bomb,
    xml_bomb_in_sheet, xml_bomb_in_shared_strings, sparse_sheet_bomb, ods_repeat_bomb, hundred_thousand_rows,
    formula_without_value, error_cells, legacy_xls, csv_utf8_bom, csv_gbk, ods_workbook, et_workbook,
    merged_lead_unit, hidden_rows_and_columns, tricky_text, submitter_path_traversal, submitter_absolute_path,
    folder_with_forbidden_characters,
]


# -- legacy .xls built by hand (BIFF8 records in an OLE compound file) -------------------------


def _record(typ: int, body: bytes) -> bytes:
    return struct.pack("<HH", typ, len(body)) + body


def _biff_sheet(cells: Sequence[tuple[int, int, object]], dims: tuple[int, int, int, int] | None) -> bytes:
    body = [_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06))]
    if dims is None:
        rows = max((r for r, _, _ in cells), default=-1) + 1
        cols = max((c for _, c, _ in cells), default=-1) + 1
        dims = (0, rows, 0, cols)
    body.append(_record(0x0200, struct.pack("<IIHHH", *dims, 0)))
    for r, c, v in cells:
        if isinstance(v, str):
            text = v.encode("utf-16-le")
            body.append(_record(0x0204, struct.pack("<HHHHB", r, c, 0, len(v), 1) + text))
        else:
            body.append(_record(0x0203, struct.pack("<HHHd", r, c, 0, float(v))))  # type: ignore[arg-type]
    body.append(_record(0x000A, b""))
    return b"".join(body)


def biff_xls(sheets: Mapping[str, Sequence[tuple[int, int, object]]],
             dims: dict[str, tuple[int, int, int, int]] | None = None) -> bytes:
    """A minimal BIFF8 .xls: each sheet's (row, column, value) cells (text or numbers), and the
    DIMENSIONS each claims (first row, last row + 1, first column, last column + 1; by default
    what its cells span)."""
    dims = dims or {}
    bodies = [_biff_sheet(cells, dims.get(name)) for name, cells in sheets.items()]
    names = list(sheets)

    def globals_(positions: list[int]) -> bytes:
        out = [_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)),
               _record(0x0042, struct.pack("<H", 1200))]
        for name, pos in zip(names, positions, strict=True):
            label = name.encode("utf-16-le")
            out.append(_record(0x0085, struct.pack("<IBBBB", pos, 0, 0, len(name), 1) + label))
        out.append(_record(0x000A, b""))
        return b"".join(out)

    head = len(globals_([0] * len(names)))
    positions, at = [], head
    for body in bodies:
        positions.append(at)
        at += len(body)
    stream = globals_(positions) + b"".join(bodies)
    return ole_file(stream.ljust(4096, b"\0"))


def ole_file(stream: bytes, *, fat_len: int = 1) -> bytes:
    """An OLE compound file with one stream, "Workbook" (512-byte sectors: FAT, directory, data)."""
    sectors = (len(stream) + 511) // 512
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    fat = [0xFFFFFFFD, end] + [3 + k for k in range(sectors - 1)] + [end]
    fat_sector = struct.pack(f"<{128}I", *(fat + [free] * (128 - len(fat))))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        label = (name + "\0").encode("utf-16-le")
        return (label.ljust(64, b"\0") + struct.pack("<HBB", len(label), kind, 1) + struct.pack("<III", free, free, child)
                + b"\0" * 16 + struct.pack("<I", 0) + b"\0" * 16 + struct.pack("<III", start, size, 0))

    directory = (entry("Root Entry", 5, 1, end, 0) + entry("Workbook", 2, free, 2, len(stream))).ljust(512, b"\0")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, fat_len, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<108I", *[free] * 108))
    return header + fat_sector + directory + stream.ljust(sectors * 512, b"\0")


# -- within every per-sheet limit, too much as a whole (the workbook's sum is bounded) ----------

_FAR = 65535, 255  # the last cell a BIFF8 sheet has


def xls_far_cell_on_four_sheets() -> Case:
    """5.6 KB: a cell at (65535, 255) on 4 sheets — 16.7 million cells each, 3.5 GB read whole."""
    sheets = {f"S{k}": [(0, 0, "填报单位：区财政局"), (*_FAR, "x")] for k in range(4)}
    return Case("xls_far_cell_on_four_sheets", "区财政局_远端.xls", biff_xls(sheets), "sheet-too-large")


def xls_lying_dimensions() -> Case:
    """Three cells, and a DIMENSIONS record claiming 4 billion rows: calamine reserves them."""
    cells = [(0, 0, "填报单位：区财政局"), (2, 0, "序号"), (3, 0, 1)]
    return Case("xls_lying_dimensions", "区财政局_维度.xls",
                biff_xls({"三单": cells}, {"三单": (0, 0xFFFFFFFF, 0, 200)}), "sheet-too-large")


def xls_sheets_too_large_together() -> Case:
    """Four sheets of 65,536 × 60 cells: each under max_sheet_cells, together over the workbook's."""
    sheets = {f"S{k}": [(0, 0, "填报单位：区财政局"), (65535, 59, "x")] for k in range(4)}
    return Case("xls_sheets_too_large_together", "区财政局_四表.xls", biff_xls(sheets), "sheet-too-large")


def xlsx_forty_sparse_sheets() -> Case:
    """16 KB: 40 sheets, each A1 and E1000000 — 5 million cells each, the sheet limit exactly."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "S0"
    for k in range(1, 40):
        wb.create_sheet(f"S{k}")
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    sparse = (b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="1000000">'
              b'<c r="E1000000" t="inlineStr"><is><t>y</t></is></c></row></sheetData>')
    for k in range(1, 41):
        data = _patch(data, f"xl/worksheets/sheet{k}.xml",
                      lambda b: re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>", lambda _: sparse, b, flags=re.S))
    return Case("xlsx_forty_sparse_sheets", "区财政局_四十表.xlsx", data, "sheet-too-large")


def ods_thirty_tables() -> Case:
    """1 KB: 30 tables of 1,000,000 × 5 filled cells (repeated rows), each at the sheet limit."""
    row = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string" '
           'table:number-columns-repeated="5"><text:p>x</text:p></table:table-cell></table:table-row>')
    tables = "".join(f'</table:table><table:table table:name="T{k}">{row}' for k in range(1, 30))
    return Case("ods_thirty_tables", "区财政局_三十表.ods", ods_bytes(body=row + tables), "sheet-too-large")


def csv_of_empty_cells() -> Case:
    """1.2 MB: a row of 600,000 empty cells, then 300,000 short rows — padded to one width, a grid
    of 180 billion cells."""
    return Case("csv_of_empty_cells", "区财政局_空格.csv", b"," * 600_000 + b"\r\n" + b"x\r\n" * 200_000,
                "sheet-too-large")


def csv_of_newlines() -> Case:
    """45 MB of line ends: 45 million empty rows."""
    return Case("csv_of_newlines", "区财政局_空行.csv", b"\n" * 45_000_000, "sheet-too-large")


CASES += [xls_far_cell_on_four_sheets, xls_lying_dimensions, xls_sheets_too_large_together, xlsx_forty_sparse_sheets,
          ods_thirty_tables, csv_of_empty_cells, csv_of_newlines]
