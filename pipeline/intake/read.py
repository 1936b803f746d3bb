"""Bytes of a submitted file → sheets of cell values, or file-level findings.

Pure: nothing here touches the filesystem. Spreadsheets are read with python-calamine,
which sniffs the content (so an .et file from WPS, really xls or xlsx inside, reads too);
CSV is decoded here (UTF-8 with or without BOM, UTF-16 from Excel's "Unicode text", else
GB18030, the superset of GBK that WPS on Chinese Windows writes).
"""

from __future__ import annotations

import csv
import io
import logging
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePath

import msoffcrypto
from defusedxml import ElementTree as DefusedET
from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from pipeline.config import Limits
from pipeline.intake import findings
from pipeline.intake.xlsx_stream import FORMULA_WITHOUT_VALUE, NotStreamable, SlicedWorkbook
from pipeline.model import Finding

log = logging.getLogger("sancha.read")

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et", ".csv")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CSV_DELIMITERS = (",", "\t", ";")
_MB = 1024 * 1024
# A worksheet whose XML is larger than this is read a slice of rows at a time (xlsx_stream), never
# whole: a sheet of ≈ 20,000 rows as Excel writes it; ordinary files stay on calamine's whole read.
STREAM_MIN_BYTES = 32 * _MB


@dataclass(frozen=True)
class Sheet:
    """One worksheet: `rows[r][c]` is the cell at 0-based row r, column c (A1 = rows[0][0]).

    A huge worksheet's `rows` is not a list but rows streamed anew on every iteration (only
    iterate it; rows may then be shorter than the widest one, a row without cells is [], and a
    cell that is '' because of a formula without its value or an error value is an
    `xlsx_stream.EmptyCell`)."""

    name: str
    rows: list[list] | Iterable[list]  # str / int / float / bool / date / datetime / time / timedelta; '' when empty
    merged: tuple[tuple[int, int, int, int], ...] = ()  # (r0, c0, r1, c1), 0-based, inclusive
    visible: bool = True
    # the workbook holds a formula or an error cell somewhere: a cell read as '' may not be blank
    may_hide_values: bool = False

    @property
    def streamed(self) -> bool:
        return not isinstance(self.rows, list)


def read_workbook(data: bytes, filename: str, limits: Limits, *, whole: bool = False) -> tuple[list[Sheet], list[Finding]]:
    """Read every worksheet of a submitted file; on failure, no sheets and one file-level finding.

    An xlsx with a worksheet of more than STREAM_MIN_BYTES of XML gets streamed sheets (see
    `Sheet`), unless `whole`: the caller met a sheet the streaming cannot read exactly."""
    name = PurePath(filename).name
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SPREADSHEET_SUFFIXES:
        return [], [findings.UNSUPPORTED_FORMAT.at(file=name, suffix=suffix or "无")]
    if len(data) > limits.max_file_mb * _MB:
        return [], [findings.FILE_TOO_LARGE.at(file=name, size_mb=len(data) / _MB, limit_mb=limits.max_file_mb)]
    if not data:
        return [], [findings.UNREADABLE_FILE.at(form="empty", file=name)]
    if suffix == ".csv":
        sheets = [Sheet(PurePath(filename).stem, _csv_rows(data))]
        filled = any(_has_value(s.rows) for s in sheets)
    else:
        scan = _Scan()
        problem = _container_problem(data, name, limits, scan)
        if problem:
            return [], [problem]
        try:
            sheets, filled = _spreadsheet(data, scan, whole)
        except PasswordError:
            return [], [findings.ENCRYPTED_FILE.at(file=name)]
        except Exception:  # calamine's other errors carry no reason a unit could act on
            return [], [findings.UNREADABLE_FILE.at(form="damaged", file=name)]
    if not filled:
        return [], [findings.EMPTY_WORKBOOK.at(file=name)]
    return sheets, []


def streams(data: bytes) -> bool:
    """Whether `read_workbook` streams this file's sheets: an xlsx with a worksheet of more than
    STREAM_MIN_BYTES of XML (decided from the zip's directory alone)."""
    if not data.startswith(_ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(e.file_size > STREAM_MIN_BYTES for e in archive.infolist() if _is_worksheet(e.filename))
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _is_worksheet(member: str) -> bool:
    return member.startswith("xl/worksheets/") and member.endswith(".xml")


def _spreadsheet(data: bytes, scan: _Scan, whole: bool) -> tuple[list[Sheet], bool]:
    """The worksheets, streamed when one is huge (and the streaming can read them exactly), and
    whether any cell holds a value (for a streamed sheet: its first rows read, so a broken start
    shows now). Calamine's errors are raised."""
    if not whole and scan.largest_sheet > STREAM_MIN_BYTES:
        try:
            book = SlicedWorkbook(data, scan.hides_values)
            sheets = [Sheet(name, _Rows(book, name), book.merged(name), visible == SheetVisibleEnum.Visible,
                            scan.hides_values)
                      for name, typ, visible in book.sheets if typ == SheetTypeEnum.WorkSheet]
            return sheets, any(_has_value(s.rows) for s in sheets)
        except NotStreamable as e:
            log.info("按整表读取（无法分段读取：%s）", e)
    sheets = _calamine_sheets(data, scan.hides_values)
    return sheets, any(_has_value(s.rows) for s in sheets)


class _Scan:
    """What the safety scan saw on the way: whether a worksheet holds a formula or an error cell,
    and the uncompressed size of the largest worksheet."""

    hides_values = False
    largest_sheet = 0


def _container_problem(data: bytes, name: str, limits: Limits, scan: _Scan | None = None) -> Finding | None:
    """Refuse encrypted files and zip bombs before calamine unpacks anything. A zip is known by
    its central directory, at the end, as calamine finds it too: not by its first bytes, which
    a damaged first member or bytes put in front change while calamine still reads the file."""
    if data.startswith(_OLE_MAGIC):
        return findings.ENCRYPTED_FILE.at(file=name) if _is_encrypted(data) else None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return findings.UNREADABLE_FILE.at(form="truncated", file=name) if data.startswith(_ZIP_MAGIC) else None
    with archive:
        return _entries_problem(archive, entries, name, limits, scan or _Scan(), data)


def _entries_problem(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], name: str, limits: Limits,
                     scan: _Scan, data: bytes) -> Finding | None:
    unpacked = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries)
    if unpacked > limits.max_uncompressed_mb * _MB or unpacked > limits.max_compression_ratio * max(packed, 1):
        return findings.ZIP_BOMB.at(file=name, unpacked_mb=unpacked / _MB, ratio=unpacked / max(packed, 1))
    return _xml_problem(archive, entries, name, limits, scan, data)


# -- what the zip members really hold, before calamine allocates anything --------------------

_CHUNK = 1 << 20
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
# An OOXML row or cell start tag (any namespace prefix); r= first is what Excel, WPS and openpyxl write.
_XLSX_TAG = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])(?:\s+r="([A-Z]{0,3})(\d*)")?([^>]*)>')
_R_ATTR = re.compile(rb'(?:^|\s)r\s*=\s*["\']([A-Za-z]{0,3})(\d*)["\']')
_ODS_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*)>")
_REPEAT = re.compile(rb'number-(?:rows|columns)-repeated\s*=\s*["\'](\d+)["\']')


class _Extent:
    """The last filled row and column of one sheet, counted the way calamine places cells
    (an `r` attribute, else one after the previous row or cell; ODF repeat counts)."""

    needs_exact = False  # this is the exact count

    def __init__(self, ods: bool):
        self.rows = self.cols = 0  # 1-based extent from A1
        self.row = self.col = 0  # position of the last row / cell seen (1-based)
        self.row_repeat = 1
        self._pattern, self._step = (_ODS_TAG, self.ods) if ods else (_XLSX_TAG, self.xlsx)

    def cells(self) -> int:
        return self.rows * self.cols

    def feed(self, text: bytes, cut: int) -> None:
        for m in self._pattern.finditer(text, 0, cut):
            self._step(m)

    def xlsx(self, m: re.Match) -> None:
        tag, letters, digits, rest = m.groups()
        if not digits and rest:
            r = _R_ATTR.search(rest)
            if r:
                letters, digits = r.groups()
        if tag == b"row":
            self.row = int(digits) if digits else self.row + 1
            self.col = 0
            return
        self.col = _column_number(letters) if letters else self.col + 1
        if digits:
            self.row = int(digits)
        if not rest.endswith(b"/"):  # <c .../> holds a style only; calamine skips it
            self.rows, self.cols = max(self.rows, self.row), max(self.cols, self.col)

    def ods(self, m: re.Match) -> None:
        closing, tag, rest = m.groups()
        repeat = _REPEAT.search(rest)
        n = int(repeat.group(1)) if repeat else 1
        if tag == b"table":
            self.row = 0  # a new sheet: the extent is the largest of them
        elif tag == b"table-row":
            if closing:
                self.row += self.row_repeat - 1
            else:
                self.row, self.col, self.row_repeat = self.row + 1, 0, n
        elif not closing:
            first = self.col + 1
            self.col += n
            if not rest.endswith(b"/"):  # a cell with content; repeated rows repeat it too
                self.rows = max(self.rows, self.row + self.row_repeat - 1)
                self.cols = max(self.cols, self.col if n > 1 else first)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


# The fast pass bounds an xlsx sheet's extent at C speed: every cell's row and column from its
# r="A1" reference, self-closing (style-only) cells included, so the bound is never below the
# extent `_Extent` counts. Only a bound over the limit, or a cell written otherwise (no r, r not
# first, lower case, a column without a row), sends the member through `_Extent`, which then
# gives exactly the verdict and figures it always gave. Cells with a namespace prefix (x:c) are
# matched by the slower general patterns, used only where ":c" occurs at all.
def _cell_pattern(tag: bytes) -> re.Pattern:
    # a cell's (column letters, row digits), or (b"", b"") for a cell the bound cannot place
    return re.compile(tag + rb'(?=[\s/>])(?:\s+r="([A-Z]{1,3})(\d+)")?')


_PLAIN_CELL = _cell_pattern(rb"<c")
_ANY_CELL = _cell_pattern(rb"<(?:[A-Za-z_][\w.-]*:)?c")
_PREFIXED = re.compile(rb":c(?=[\s/>])")


# Before that, one search: is every cell written <c r="A1"> … <c r="Z99999"> (a column of one
# letter, a row of at most five digits, no prefixed cell)? Then the box A1:Z99999 is the bound,
# with no cell placed one by one. Used only while the box fits in `max_sheet_cells`.
_OUTSIDE_BOX = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]\d{1,5}")')
_BOX_ROWS, _BOX_COLS = 99_999, 26


class _Bound:
    """An upper bound of `_Extent`'s rows and columns for xlsx members."""

    def __init__(self, limits: Limits):
        self.rows = self.cols = 0
        self.needs_exact = False  # a cell the bound cannot place: the member needs `_Extent`
        self._box = limits.max_sheet_cells >= _BOX_ROWS * _BOX_COLS

    def feed(self, text: bytes, cut: int) -> None:
        prefixed = _PREFIXED.search(text, 0, cut)
        if self._box and not prefixed and not _OUTSIDE_BOX.search(text, 0, cut):
            self.rows, self.cols = max(self.rows, _BOX_ROWS), max(self.cols, _BOX_COLS)
            return
        cells = set((_ANY_CELL if prefixed else _PLAIN_CELL).findall(text, 0, cut))
        if (b"", b"") in cells:
            self.needs_exact = True
        elif cells:
            self.rows = max(self.rows, max(map(int, {digits for _, digits in cells})))
            self.cols = max(self.cols, max(map(_column_number, {letters for letters, _ in cells})))

    def cells(self) -> int:
        return self.rows * self.cols


def _xml_problem(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], name: str, limits: Limits,
                 scan: _Scan, data: bytes) -> Finding | None:
    """Read every member once, streaming: refuse DTDs (XML bombs: Excel and WPS never write
    one) and sheets whose extent would not fit in memory. Reading to the end also checks each
    member's CRC, so a member larger than its header says is caught here too. On the way,
    `scan` learns whether a worksheet holds a formula or an error cell.

    Members calamine never parses (docProps, the theme) are inflated and searched all the same:
    a damaged one makes the file unreadable-file, as a damaged sheet does, and a DTD anywhere
    refuses the file. Small members are inflated at once (`_small_member`): ≈ 14 µs each, so
    skipping them would save ≈ 0.07 s on 600 files and change the verdict on damaged ones."""
    try:
        names = {e.filename for e in entries}
        ods = "content.xml" in names and "xl/workbook.xml" not in names
        for entry in entries:
            worksheet = not ods and _is_worksheet(entry.filename)
            if worksheet:
                scan.largest_sheet = max(scan.largest_sheet, entry.file_size)
            problem = _member_problem(archive, entry, data, _Extent(ods) if ods else _Bound(limits), limits, name,
                                      scan if worksheet else None)
            if problem is _NEEDS_EXACT:  # over the limit by the bound, or an unusual cell: count
                problem = _member_problem(archive, entry, data, _Extent(ods), limits, name,
                                          scan if worksheet else None)
            if problem:
                return problem
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError):
        return findings.UNREADABLE_FILE.at(form="corrupt", file=name)
    return None


_NEEDS_EXACT = object()


def _member_problem(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, data: bytes, extent: _Extent | _Bound,
                    limits: Limits, name: str, scan: _Scan | None = None):
    """One member, streamed: a finding, None, or `_NEEDS_EXACT` when a `_Bound` cannot decide.
    With `scan` (a worksheet), also notes a formula or an error cell."""
    small = _small_member(data, entry)
    with io.BytesIO(small) if small is not None else archive.open(entry) as member:
        # Every member is searched, whatever its first bytes: calamine's XML reader reads a sheet
        # with anything in front of its first tag (an image is searched for nothing, cheaply).
        tail = b""
        while chunk := member.read(_CHUNK):
            text = tail + chunk
            cut = text.rfind(b"<")  # an unfinished tag waits for the next chunk
            cut = len(text) if cut < 0 or text.find(b">", cut) >= 0 else cut
            if _DTD.search(text, 0, len(text)):
                return findings.XML_BOMB.at(file=name)
            extent.feed(text, cut)
            if scan is not None and not scan.hides_values and _holds_formula_or_error(text):
                scan.hides_values = True
            tail = text[cut:] if len(text) - cut <= _CHUNK else b""  # no tag is that long
            if extent.needs_exact:
                return _NEEDS_EXACT
            if extent.cells() > limits.max_sheet_cells:
                return _NEEDS_EXACT if isinstance(extent, _Bound) else findings.SHEET_TOO_LARGE.at(file=name, rows=extent.rows, cols=extent.cols)
    return None


_LOCAL_HEADER = struct.Struct("<4s2xH18xHH")  # signature, flags, name length, extra length
_UNSUPPORTED_FLAGS = 0x1 | 0x20 | 0x40  # encrypted, patched data, strong encryption: zipfile decides


def _small_member(data: bytes, entry: zipfile.ZipInfo) -> bytes | None:
    """A member smaller than one `_CHUNK`, inflated at once from the file's bytes — what
    `archive.open(entry).read(_CHUNK)` gives, without zipfile's layers of file objects. Only when
    every check zipfile makes passes here too: the local header's signature and name, the
    compressed data within the file, a deflate stream that ends, the declared size and CRC-32.
    Anything else (None) goes through zipfile, which then fails or reads it as it always did."""
    if (entry.file_size >= _CHUNK or entry.compress_size > _CHUNK or entry.flag_bits & _UNSUPPORTED_FLAGS
            or entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)):
        return None
    at = entry.header_offset
    try:
        signature, flags, name_length, extra_length = _LOCAL_HEADER.unpack_from(data, at)
        name = data[at + 30:at + 30 + name_length].decode("utf-8" if flags & 0x800 else "cp437")
    except (struct.error, UnicodeDecodeError):
        return None
    start = at + 30 + name_length + extra_length
    end = start + entry.compress_size
    limit = getattr(entry, "_end_offset", None)  # newer zipfile refuses members that overlap the next
    if signature != b"PK\x03\x04" or name != entry.orig_filename or end > len(data) or (limit is not None and end > limit):
        return None
    if entry.compress_type == zipfile.ZIP_STORED:
        text = data[start:end] if entry.compress_size == entry.file_size else None
    else:
        inflate = zlib.decompressobj(-15)
        try:
            text = inflate.decompress(data[start:end], _CHUNK)
        except zlib.error:
            return None
        if not inflate.eof:
            return None
    if text is None or len(text) != entry.file_size or zlib.crc32(text) != entry.CRC:
        return None
    return text


# -- why a cell calamine returned as '' is empty -------------------------------------------

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


_FORMULA = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?f[\s>/]')
_ERROR_CELL = re.compile(rb'\st="e"')


def _holds_formula_or_error(text: bytes) -> bool:
    """A formula (<f>, any prefix) or an error cell (t="e") in a piece of worksheet XML: the
    cells calamine may read as '' although they are not blank. The letter f is rare in sheet
    XML (text is mostly in sharedStrings.xml or character references): each one is looked at
    with the pattern; a literal search finds t="e"."""
    if b't="e"' in text and _ERROR_CELL.search(text):
        return True
    at = text.find(b"f")
    while at >= 0:
        start = text.rfind(b"<", 0, at + 1)
        if start >= 0 and _FORMULA.match(text, start):
            return True
        at = text.find(b"f", at + 1)
    return False


def empty_cell_causes(data: bytes, sheet: str, cells: set[str]) -> dict[str, str]:
    """For cells calamine read as '' in an xlsx sheet: `FORMULA_WITHOUT_VALUE` for a formula
    saved without its result (written by a program, never opened in Excel/WPS), or the error
    value (`#REF!`, `#N/A`, …) of an error cell. Cells that are really empty are left out.
    Streams the sheet XML and stops once every cell is found; {} for anything not an xlsx."""
    if not cells or not data.startswith(_ZIP_MAGIC):
        return {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            part = _sheet_part(archive, sheet)
            if part is None:
                return {}
            with archive.open(part) as fh:
                return _causes(fh, cells)
    except Exception:  # only a better message is at stake: the empty-cell finding stays
        return {}


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    workbook = DefusedET.fromstring(archive.read("xl/workbook.xml"))
    rid = next((s.get(f"{_REL_NS}id") for s in workbook.iter(f"{_MAIN_NS}sheet") if s.get("name") == sheet), None)
    rels = DefusedET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels.iter(f"{_PKG_REL_NS}Relationship") if r.get("Id") == rid), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")


def _causes(fh, cells: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    left = set(cells)
    for _, elem in DefusedET.iterparse(fh, events=("end",)):
        if elem.tag == f"{_MAIN_NS}c":
            ref = elem.get("r")
            if ref in left:
                left.discard(ref)
                value = elem.find(f"{_MAIN_NS}v")
                text = value.text if value is not None and value.text else ""
                if elem.get("t") == "e" and text:
                    found[ref] = text
                elif elem.find(f"{_MAIN_NS}f") is not None and not text and elem.get("t") != "str":
                    found[ref] = FORMULA_WITHOUT_VALUE  # t="str" with no text: the formula's result is ''
                if not left:
                    break
        elif elem.tag == f"{_MAIN_NS}row":
            elem.clear()  # bounded memory on a long sheet
    return found


def _is_encrypted(data: bytes) -> bool:
    try:
        return msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted()
    except Exception:  # not an Office file msoffcrypto knows: calamine will say whether it reads
        return False


def _calamine_sheets(data: bytes, may_hide_values: bool = False) -> list[Sheet]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheets = []
    for meta in workbook.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        sheet = workbook.get_sheet_by_name(meta.name)
        # skip_empty_area=False keeps rows[0][0] at A1, so cell names in findings are right
        rows = sheet.to_python(skip_empty_area=False)
        merged = tuple((r0, c0, r1, c1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ())
        sheets.append(Sheet(meta.name, rows, merged, meta.visible == SheetVisibleEnum.Visible, may_hide_values))
    return sheets


class _Rows:
    """A streamed worksheet's rows: every iteration reads the sheet again, a slice at a time."""

    def __init__(self, book: SlicedWorkbook, name: str):
        self._book, self._name = book, name

    def __iter__(self) -> Iterator[list]:
        return self._book.rows(self._name)


def _csv_rows(data: bytes) -> list[list]:
    text = _decode(data)
    sample = text[:8192]
    delimiter = max(_CSV_DELIMITERS, key=sample.count)  # ties keep the comma, listed first
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _has_value(rows: Iterable[list]) -> bool:
    return any(v != "" and not (isinstance(v, str) and v.isspace()) for row in rows for v in row)
