"""Is a submitted file safe to hand to python-calamine? Checked before it allocates anything.

Encrypted files and zip bombs are refused from the zip's directory; then every member is read
once, streaming (`_small_member` inflates the small ones straight from the file's bytes, without
zipfile's layers), to refuse DTDs (XML bombs: Excel and WPS never write one) and worksheets
whose extent would not fit in memory — bounded fast (`_Bound`), counted exactly (`_Extent`) only
when the bound cannot decide. On the way the scan notes what `read.py` needs next: whether a
worksheet holds a formula or an error cell, and the size of the largest worksheet. Pure.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

import msoffcrypto

from pipeline.config import Limits
from pipeline.intake import biff, findings
from pipeline.intake.cells import column_number
from pipeline.model import Finding

ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MB = 1024 * 1024


def is_worksheet(member: str) -> bool:
    """Whether a zip member is an xlsx worksheet's XML."""
    return member.startswith("xl/worksheets/") and member.endswith(".xml")


class Scan:
    """What the safety scan saw on the way: whether a worksheet holds a formula or an error cell,
    and the uncompressed size of the largest worksheet."""

    hides_values = False
    largest_sheet = 0


def scan(data: bytes, name: str, limits: Limits) -> tuple[Finding | None, Scan]:
    """The file's problem, if any, and what the scan saw. Refuse encrypted files and zip bombs
    before calamine unpacks anything. A zip is known by its central directory, at the end, as
    calamine finds it too: not by its first bytes, which a damaged first member or bytes put in
    front change while calamine still reads the file."""
    seen = Scan()
    return _container_problem(data, name, limits, seen), seen


def _container_problem(data: bytes, name: str, limits: Limits, seen: Scan) -> Finding | None:
    if data.startswith(_OLE_MAGIC):
        if _is_encrypted(data):
            return findings.ENCRYPTED_FILE.at(file=name)
        try:
            return _extents_problem(biff.ole_extents(data), name, limits)
        except (biff.Unreadable, struct.error):
            return findings.UNREADABLE_FILE.at(form="corrupt", file=name)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return findings.UNREADABLE_FILE.at(form="truncated", file=name) if data.startswith(ZIP_MAGIC) else None
    with archive:
        return _entries_problem(archive, entries, name, limits, seen, data)


def _extents_problem(extents: list[tuple[int, int]], name: str, limits: Limits) -> Finding | None:
    """A sheet over `max_sheet_cells`, or all of them together over `max_workbook_cells`."""
    for rows, cols in extents:
        if rows * cols > limits.max_sheet_cells:
            return findings.SHEET_TOO_LARGE.at(file=name, rows=rows, cols=cols)
    return _total_problem(sum(r * c for r, c in extents), len(extents), name, limits)


def _total_problem(cells: int, sheets: int, name: str, limits: Limits) -> Finding | None:
    if cells > limits.max_workbook_cells:
        return findings.SHEET_TOO_LARGE.at(form="workbook", file=name, sheets=sheets, cells=cells)
    return None


def _entries_problem(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], name: str, limits: Limits,
                     scan: Scan, data: bytes) -> Finding | None:
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
        self.done = 0  # cells of the ODS tables before this one
        self.sheets = 0  # ODS tables seen
        self._pattern, self._step = (_ODS_TAG, self.ods) if ods else (_XLSX_TAG, self.xlsx)

    def cells(self) -> int:
        return self.rows * self.cols

    def total(self) -> int:
        """Every table's extent together (an .ods holds them all in content.xml)."""
        return self.done + self.rows * self.cols

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
        self.col = column_number(letters) if letters else self.col + 1
        if digits:
            self.row = int(digits)
        if not rest.endswith(b"/"):  # <c .../> holds a style only; calamine skips it
            self.rows, self.cols = max(self.rows, self.row), max(self.cols, self.col)

    def ods(self, m: re.Match) -> None:
        closing, tag, rest = m.groups()
        repeat = _REPEAT.search(rest)
        n = int(repeat.group(1)) if repeat else 1
        if tag == b"table":
            if not closing:  # a new sheet: its own extent, added to the total
                self.done += self.rows * self.cols
                self.rows = self.cols = self.row = 0
                self.sheets += 1
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
_CELL_START = b"<c"


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
        if self._box and not prefixed and not _OUTSIDE_BOX.search(text, 0, cut) and _CELL_START in text:
            self.rows, self.cols = max(self.rows, _BOX_ROWS), max(self.cols, _BOX_COLS)
            return
        cells = set((_ANY_CELL if prefixed else _PLAIN_CELL).findall(text, 0, cut))
        if (b"", b"") in cells:
            self.needs_exact = True
        elif cells:
            self.rows = max(self.rows, max(map(int, {digits for _, digits in cells})))
            self.cols = max(self.cols, max(map(column_number, {letters for letters, _ in cells})))

    def cells(self) -> int:
        return self.rows * self.cols

    total = cells


def _xml_problem(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], name: str, limits: Limits,
                 scan: Scan, data: bytes) -> Finding | None:
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
        sheets: list[tuple[zipfile.ZipInfo, int, bool]] = []  # (member, its cells, counted exactly)
        tables = 0  # an .ods: the tables in its content.xml
        for entry in entries:
            worksheet = not ods and is_worksheet(entry.filename)
            if worksheet:
                scan.largest_sheet = max(scan.largest_sheet, entry.file_size)
            elif not ods and _is_binary_worksheet(entry.filename):  # .xlsb
                rows, cols = biff.xlsb_extent(archive.read(entry))
                if rows * cols > limits.max_sheet_cells:
                    return findings.SHEET_TOO_LARGE.at(file=name, rows=rows, cols=cols)
                sheets.append((entry, rows * cols, True))
                continue
            extent: _Extent | _Bound = _Extent(ods) if ods else _Bound(limits)
            problem = _member_problem(archive, entry, data, extent, limits, name, scan if worksheet else None)
            if problem is _NEEDS_EXACT:  # over the limit by the bound, or an unusual cell: count
                extent = _Extent(ods)
                problem = _member_problem(archive, entry, data, extent, limits, name, scan if worksheet else None)
            if problem:
                return problem
            if worksheet:
                sheets.append((entry, extent.total(), isinstance(extent, _Extent)))
            elif ods and entry.filename == "content.xml" and isinstance(extent, _Extent):
                tables = extent.sheets
                sheets.append((entry, extent.total(), True))
        return _workbook_problem(archive, data, sheets, tables or len(sheets), name, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError, biff.Unreadable):
        return findings.UNREADABLE_FILE.at(form="corrupt", file=name)


def _is_binary_worksheet(member: str) -> bool:
    return member.startswith("xl/worksheets/") and member.endswith(".bin")


def _workbook_problem(archive: zipfile.ZipFile, data: bytes, sheets: list[tuple[zipfile.ZipInfo, int, bool]],
                      count: int, name: str, limits: Limits) -> Finding | None:
    """All worksheets together over `max_workbook_cells`? Decided from the fast bounds when their
    sum fits; else each bounded sheet is counted exactly first (the bound of a sheet written
    A1…Z99999 is that whole box)."""
    total = sum(cells for _, cells, _ in sheets)
    if total > limits.max_workbook_cells:
        total = 0
        for entry, cells, exact in sheets:
            if not exact:
                extent = _Extent(False)
                _member_problem(archive, entry, data, extent, limits, name)
                cells = extent.total()
            total += cells
    return _total_problem(total, count, name, limits)


_NEEDS_EXACT = object()


def _member_problem(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, data: bytes, extent: _Extent | _Bound,
                    limits: Limits, name: str, scan: Scan | None = None):
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
                if isinstance(extent, _Bound):
                    return _NEEDS_EXACT
                return findings.SHEET_TOO_LARGE.at(file=name, rows=extent.rows, cols=extent.cols)
    return None


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
    if signature != ZIP_MAGIC or name != entry.orig_filename or end > len(data) or (limit is not None and end > limit):
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


def _is_encrypted(data: bytes) -> bool:
    try:
        return msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted()
    except Exception:  # not an Office file msoffcrypto knows: calamine will say whether it reads
        return False
