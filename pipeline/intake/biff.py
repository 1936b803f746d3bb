"""The extent of binary workbooks before calamine reads them: legacy .xls (BIFF8/BIFF5 in an OLE
compound file, also WPS's .et) and .xlsb (BIFF12 records in a zip). Pure.

calamine reads every sheet of an .xls when it opens the file: it reserves room for the cells
the DIMENSIONS record claims, then allocates the range from A1 to the last cell (and a second
one for formulas). A 5 KB file claiming a cell at (65535, 255) on a few sheets takes gigabytes
and aborts the process. So the records are walked here the way calamine walks them — every
BOUNDSHEET's substream, nested substreams (charts) skipped — and each sheet's extent is the
larger of what DIMENSIONS claims and where its cells are. The compound file's header numbers
that calamine allocates from (FAT and DIFAT lengths) are checked against the file's size.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

_SECTOR_SHIFT_AT, _FAT_LEN_AT = 30, 44
_MAX_TABLE_ENTRIES = 16 << 20  # entries calamine may reserve for a header's FAT/DIFAT length (64 MB)

# BIFF8 records that put a value in a cell calamine keeps (MS-XLS 2.4): row u16, column u16 first.
_CELLS = frozenset({0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006})
_MULRK, _DIMENSIONS, _BOF, _EOF, _BOUNDSHEET = 0x00BD, 0x0200, 0x0809, 0x000A, 0x0085


class Unreadable(ValueError):
    """The file is not the container or the records it claims to be."""


def ole_extents(data: bytes) -> list[tuple[int, int]]:
    """(rows, columns) from A1 of every sheet calamine would read in this .xls; Unreadable when
    the compound file or its records are broken (calamine would fail too)."""
    _check_header(data)
    import olefile  # installed with msoffcrypto

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        stream = next((s for s in ("Workbook", "Book", "WORKBOOK", "BOOK") if ole.exists(s)), None)
        if stream is None:
            return []  # no workbook stream: calamine refuses the file, allocating nothing
        book = ole.openstream(stream).read()
    except Exception as e:  # olefile's many ways of saying "damaged"
        raise Unreadable(str(e)) from None
    return biff_extents(book)


def _check_header(data: bytes) -> None:
    if len(data) < 512:
        raise Unreadable("short header")
    sector = 1 << struct.unpack_from("<H", data, _SECTOR_SHIFT_AT)[0]
    if sector not in (512, 4096):
        raise Unreadable("sector size")
    sectors = len(data) // sector + 1
    fat_len, = struct.unpack_from("<I", data, _FAT_LEN_AT)
    difat_len, = struct.unpack_from("<I", data, 72)
    odd_len, = struct.unpack_from("<I", data, 62)  # what calamine reads as the DIFAT length
    if fat_len > sectors or difat_len > sectors or odd_len > _MAX_TABLE_ENTRIES:
        raise Unreadable("table lengths beyond the file")


def biff_extents(book: bytes) -> list[tuple[int, int]]:
    """(rows, columns) of each sheet of a BIFF workbook stream, in BOUNDSHEET order."""
    positions = [pos for typ, body in _records(book, 0, globals_only=True) if typ == _BOUNDSHEET
                 for pos in (struct.unpack_from("<I", body)[0],) if len(body) >= 4]
    known: dict[int, tuple[int, int]] = {}
    return [known.setdefault(pos, _sheet_extent(book, pos)) for pos in positions]


def _records(book: bytes, at: int, *, globals_only: bool = False) -> Iterator[tuple[int, bytes]]:
    """(type, body) of each record from `at` to the substream's EOF."""
    while at + 4 <= len(book):
        typ, size = struct.unpack_from("<HH", book, at)
        body = book[at + 4:at + 4 + size]
        if len(body) < size:
            raise Unreadable("record beyond the stream")
        yield typ, body
        at += 4 + size
        if typ == _EOF:
            return


def _sheet_extent(book: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(book):
        raise Unreadable("sheet beyond the stream")
    rows = cols = 0
    depth, seen_bof = 0, False
    at = pos
    while at + 4 <= len(book):
        typ, size = struct.unpack_from("<HH", book, at)
        body = book[at + 4:at + 4 + size]
        at += 4 + size
        if depth:
            depth += typ == _BOF
            depth -= typ == _EOF
            continue
        if typ == _BOF:
            depth, seen_bof = (1, seen_bof) if seen_bof else (0, True)
        elif typ == _EOF:
            break
        elif typ == _DIMENSIONS:
            r, c = _dimensions(body)
            rows, cols = max(rows, r), max(cols, c)
        elif typ in _CELLS and len(body) >= 4:
            r, c = struct.unpack_from("<HH", body)
            rows, cols = max(rows, r + 1), max(cols, c + 1)
        elif typ == _MULRK and len(body) >= 6:
            r, = struct.unpack_from("<H", body)
            last, = struct.unpack_from("<H", body, len(body) - 2)
            rows, cols = max(rows, r + 1), max(cols, last + 1)
    return rows, cols


def _dimensions(body: bytes) -> tuple[int, int]:
    """What a DIMENSIONS record makes calamine reserve, as (rows, columns) from A1."""
    if len(body) == 14:
        first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", body)
    elif len(body) == 10:
        first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", body)
    else:
        return 0, 0
    if first_col > 0xFF or last_col < first_col:
        first_col = 0
    if last_row < 1 or last_col < 1:
        return 0, 0
    if last_row <= first_row:  # calamine's row count wraps around: as good as endless
        return 1 << 32, last_col
    return last_row, last_col


# -- .xlsb: BIFF12 records in xl/worksheets/*.bin ------------------------------------------------

_XLSB_ROW, _XLSB_DIM = 0x0000, 0x0094
_XLSB_CELLS = frozenset(range(0x0001, 0x000C))  # BrtCellBlank … BrtFmlaError: column u32 first


def xlsb_extent(sheet: bytes) -> tuple[int, int]:
    """(rows, columns) of one .xlsb worksheet part: BrtWsDim's claim or its cells, the larger."""
    rows = cols = row = 0
    at = 0
    while at < len(sheet):
        typ, at = _varint(sheet, at, 2)
        size, at = _varint(sheet, at, 4)
        body = sheet[at:at + size]
        at += size
        if typ == _XLSB_ROW and len(body) >= 4:
            row, = struct.unpack_from("<I", body)
            rows = max(rows, row + 1)
        elif typ in _XLSB_CELLS and len(body) >= 4:
            col, = struct.unpack_from("<I", body)
            cols = max(cols, col + 1)
        elif typ == _XLSB_DIM and len(body) >= 16:
            _, last_row, _, last_col = struct.unpack_from("<IIII", body)
            rows, cols = max(rows, last_row + 1), max(cols, last_col + 1)
    return rows, cols


def _varint(data: bytes, at: int, most: int) -> tuple[int, int]:
    value = shift = 0
    for _ in range(most):
        if at >= len(data):
            raise Unreadable("record beyond the part")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return value, at
