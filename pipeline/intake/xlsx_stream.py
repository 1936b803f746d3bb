"""A huge xlsx worksheet read a slice of rows at a time, never whole (issue 6: memory).

python-calamine holds a whole sheet in memory, and its Python lists a second time. Here the
worksheet XML is cut at row boundaries into slices of about `SLICE_BYTES`, and python-calamine
reads each slice as a small workbook made of the original's own parts (workbook, styles, so the
date system and every number format) and that slice's rows, shared strings written into the
cells as inline strings. So every value is exactly the one calamine gives for the sheet read
whole — dates by number format (the Chinese built-in ids included), booleans, error cells,
cached formula results — while memory holds one slice. The shared-string table is kept
compressed in blocks. Every pass over the rows streams the zip member again.

A cell that calamine reads as '' but that holds a formula without its saved result or an error
value comes back as an `EmptyCell` ('' that knows why, by `cells.empty_cause`, the rule
`cells.empty_cell_causes` applies to a sheet read whole).

Whatever the slicing does not reproduce exactly (rows without an `r` attribute or out of order,
prefixed or strict-namespace XML, odd shared-string references, …) raises `NotStreamable`:
the caller then reads the file whole, as before. Pure: bytes in, rows out.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator

from defusedxml import ElementTree as DefusedET
from python_calamine import CalamineWorkbook, SheetTypeEnum

from pipeline.intake.cells import MAIN_NS, PKG_REL_NS, REL_NS, EmptyCell, column_number, empty_cause

SLICE_BYTES = 4 << 20  # worksheet XML per slice; a slice of the benchmark sheet is ≈ 2,500 rows

_CHUNK = 1 << 20
_MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_STRINGS_PART = "xl/sharedStrings.xml"
_SKELETON_PARTS = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                   "xl/styles.xml")
_EMPTY_SHEET = b'<worksheet xmlns="' + _MAIN_NS + b'"><sheetData/></worksheet>'
_EMPTY_STRINGS = b'<sst xmlns="' + _MAIN_NS + b'"/>'

_ROOT = re.compile(rb"<(?![?!])([^\s/>]+)([^>]*)>")
_SHEET_DATA = re.compile(rb"<sheetData(?:\s[^>]*)?(/?)>")
_SHEET_DATA_END = b"</sheetData>"
_ROW_END = b"</row>"
_ROW_WITHOUT_R = re.compile(rb"<row(?=[\s/>])(?![^>]*\sr\s*=)")
_PREFIX_FOR_MAIN = re.compile(rb"xmlns:[\w.-]+\s*=\s*[\"']" + re.escape(_MAIN_NS))  # <x:c> and the like
# A shared-string cell as Excel and WPS write it; any other kind left over makes the sheet not streamable.
_SHARED_CELL = re.compile(rb'<c(\s[^>]*?)?\st="s"([^>]*?)(?<!/)><v>(\d+)</v></c>')
_SHARED_LEFT = re.compile(rb"<c\s[^>]*\st\s*=\s*[\"']s[\"']")
_SI = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)
# What may hide a value: a formula or an error cell (the literal test first, as safety.py does).
_FORMULA_OR_ERROR = re.compile(rb'<f[\s>/]|\st\s*=\s*["\']e["\']')
_CELL = re.compile(rb"<c(\s[^>]*?)?(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'\sr\s*=\s*["\']([A-Z]{1,3})(\d+)["\']')
_TYPE = re.compile(rb'\st\s*=\s*["\']([^"\']*)["\']')
_VALUE = re.compile(rb"<v(?:\s[^>]*)?(?:/>|>(.*?)</v>)", re.S)
_FORMULA = re.compile(rb"<f[\s>/]")


class NotStreamable(Exception):
    """The workbook holds something the slicing would not read the way calamine does whole."""


class SlicedWorkbook:
    """The worksheets of one xlsx, readable row by row. `sheets` lists every sheet as calamine
    sees it: (name, type, visibility); `rows(name)` and `merged(name)` read a worksheet."""

    def __init__(self, data: bytes, may_hide_values: bool = True):
        self._may_hide_values = may_hide_values  # the safety scan saw a formula or an error cell
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            members = set(self._zip.namelist())
            self._parts = _worksheet_parts(self._zip, members)
        except (KeyError, zipfile.BadZipFile, DefusedET.ParseError, ValueError) as e:
            raise NotStreamable(f"workbook parts: {e}") from None
        self._strings = _SharedStrings.read(self._zip) if _STRINGS_PART in members else None
        self._skeleton = {part: self._zip.read(part) for part in _SKELETON_PARTS if part in members}
        self._skeleton.update((part, _EMPTY_SHEET) for part in self._parts.values())
        if self._strings is not None:
            self._skeleton[_STRINGS_PART] = _EMPTY_STRINGS
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(self._package()))
        except Exception as e:  # calamine wants a part left out of the skeleton: read whole
            raise NotStreamable(f"skeleton: {e}") from None
        self.sheets = [(m.name, m.typ, m.visible) for m in book.sheets_metadata]
        for name, typ, _ in self.sheets:
            if typ == SheetTypeEnum.WorkSheet and name not in self._parts:
                raise NotStreamable(f"no part for sheet {name!r}")

    def rows(self, name: str) -> Iterator[list]:
        """Every row from the first (row 1 is A1's), a row without cells as []; each row a list
        from column A as calamine's `to_python` gives it, maybe shorter than the widest row."""
        after = 0  # rows before this one have been given
        root = b""
        for kind, xml in self._split(self._parts[name]):
            if kind == "root":
                root = xml
            if kind != "rows":
                continue
            first, rows = self._read_slice(name, root, xml)
            if first is None:
                continue
            if first < after:
                raise NotStreamable("rows out of order")
            for _ in range(after, first):
                yield []
            yield from rows
            after = first + len(rows)

    def merged(self, name: str) -> tuple[tuple[int, int, int, int], ...]:
        """Merged ranges (r0, c0, r1, c1), 0-based: calamine reads them from the XML after the rows."""
        root = tail = b""
        for kind, xml in self._split(self._parts[name]):
            if kind == "root":
                root = xml
            elif kind == "tail":
                tail = xml
        sheet = self._book(name, root + b"<sheetData/>" + tail).get_sheet_by_name(name)
        return tuple((r0, c0, r1, c1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ())

    # -- the worksheet XML, cut at row boundaries ------------------------------------------------
    def _split(self, part: str) -> Iterator[tuple[str, bytes]]:
        """("root", the worksheet start tag + <sheetData>), then ("rows", whole rows) slices, then
        ("tail", what follows </sheetData>: merged cells and the rest)."""
        with self._zip.open(part) as member:
            chunks = iter(lambda: member.read(_CHUNK), b"")
            buffer = bytearray()
            for chunk in chunks:
                buffer += chunk
                start = _SHEET_DATA.search(buffer)
                if start:
                    break
                if len(buffer) > 4 * SLICE_BYTES:
                    raise NotStreamable("no <sheetData> near the start")
            else:
                raise NotStreamable("no <sheetData>")
            root = _ROOT.search(buffer)
            if (not root or root[1] != b"worksheet" or b'xmlns="' + _MAIN_NS + b'"' not in root[2]
                    or _PREFIX_FOR_MAIN.search(root[2])):
                raise NotStreamable("not a plain transitional worksheet")
            yield "root", bytes(root[0]) + b"<sheetData>"
            if start[1]:  # <sheetData/>
                yield "tail", bytes(buffer[start.end():]) + b"".join(chunks)
                return
            del buffer[:start.end()]
            searched = 0  # no </sheetData> before this
            while True:
                end = buffer.find(_SHEET_DATA_END, searched)
                rows = end if end >= 0 else len(buffer)  # bytes known to be rows
                while rows > SLICE_BYTES:  # the whole rows within SLICE_BYTES (or the first row, if longer)
                    cut = buffer.rfind(_ROW_END, 0, SLICE_BYTES)
                    if cut < 0:
                        cut = buffer.find(_ROW_END, 0, rows)
                        if cut < 0:
                            if len(buffer) > 4 * SLICE_BYTES:
                                raise NotStreamable("a row larger than a slice")
                            break  # the row goes on in the next chunk
                    cut += len(_ROW_END)
                    yield "rows", bytes(memoryview(buffer)[:cut])
                    del buffer[:cut]
                    rows, end, searched = rows - cut, end - cut if end >= 0 else end, max(0, searched - cut)
                if end >= 0:
                    if end:
                        yield "rows", bytes(memoryview(buffer)[:end])
                    yield "tail", bytes(buffer[end + len(_SHEET_DATA_END):]) + b"".join(chunks)
                    return
                searched = max(0, len(buffer) - len(_SHEET_DATA_END) + 1)
                more = next(chunks, None)
                if more is None:
                    raise NotStreamable("no </sheetData>")
                buffer += more

    def _read_slice(self, name: str, root: bytes, xml: bytes) -> tuple[int | None, list[list]]:
        """The rows of one slice through calamine: (index of the first, the rows)."""
        if _ROW_WITHOUT_R.search(xml) or _MAIN_NS in xml:
            raise NotStreamable("a row without r=, or the main namespace declared again")
        unread = _unread_cells(xml, self._may_hide_values)
        if self._strings is not None:
            xml = self._strings.inline(xml)
        sheet = self._book(name, root + xml + b"</sheetData></worksheet>").get_sheet_by_name(name)
        start = sheet.start
        rows = sheet.to_python(skip_empty_area=True) if start else []
        first, column = start or (None, 0)
        if column:
            rows = [[""] * column + row for row in rows]
        if unread:
            first, rows = _mark_unread(first, rows, unread)
        return first, rows

    def _book(self, name: str, sheet_xml: bytes) -> CalamineWorkbook:
        """The workbook's own skeleton with `name`'s part holding `sheet_xml`."""
        return CalamineWorkbook.from_filelike(io.BytesIO(self._package(self._parts[name], sheet_xml)))

    def _package(self, part: str | None = None, xml: bytes = b"") -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as package:
            for member, content in self._skeleton.items():
                package.writestr(member, xml if member == part else content)
        return out.getvalue()


def _worksheet_parts(archive: zipfile.ZipFile, members: set[str]) -> dict[str, str]:
    """Worksheet name → zip member, resolved as calamine resolves relationship targets."""
    rels = DefusedET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") or "" for r in rels.iter(f"{PKG_REL_NS}Relationship")
               if r.get("Type") == _WORKSHEET_REL}
    workbook = DefusedET.fromstring(archive.read("xl/workbook.xml"))
    parts = {}
    for sheet in workbook.iter(f"{MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{REL_NS}id"))
        if target is None:
            continue
        part = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else f"xl/{target}"
        if part not in members or not part.startswith("xl/worksheets/"):
            raise NotStreamable(f"worksheet part {target!r}")
        parts[sheet.get("name")] = part
    return parts


def _unread_cells(xml: bytes, may_hide_values: bool) -> dict[tuple[int, int], str]:
    """(row, column) → why, for the cells of a slice holding a formula without a saved result or an
    error value — decided by `cells.empty_cause`, as for a sheet read whole; cells without a
    plain r= reference are left out.
    Without `may_hide_values` only an error cell written t='e' (which the safety scan's literal
    search does not see) can be here."""
    if may_hide_values:
        if not (b"<f" in xml or b't="e"' in xml or b"t='e'" in xml) or not _FORMULA_OR_ERROR.search(xml):
            return {}
    elif b"t='e'" not in xml:
        return {}
    found = {}
    for attrs, content in _CELL.findall(xml):
        if not content or not (b"<f" in content or b"e" in attrs):  # neither a formula nor maybe t="e"
            continue
        ref, typ = _REF.search(attrs), _TYPE.search(attrs)
        if ref is None:
            continue
        value = _VALUE.search(content)
        text = (value[1] or b"") if value else b""
        cause = empty_cause(typ[1].decode("utf-8", "replace") if typ else "", text.decode("utf-8", "replace"),
                            _FORMULA.search(content) is not None)
        if cause:
            found[(int(ref[2]) - 1, column_number(ref[1]) - 1)] = cause
    return found


def _mark_unread(first: int | None, rows: list[list], unread: dict[tuple[int, int], str]) -> tuple[int, list[list]]:
    """Put an `EmptyCell` where calamine gave '' for a cell in `unread` (rows added as needed)."""
    low = min(r for r, _ in unread)
    if first is None:
        first, rows = low, []
    elif low < first:
        rows = [[] for _ in range(first - low)] + rows
        first = low
    for (r, c), cause in sorted(unread.items()):
        i = r - first
        while len(rows) <= i:
            rows.append([])
        row = rows[i]
        if c >= len(row):
            row.extend([""] * (c + 1 - len(row)))
        if row[c] == "":
            row[c] = EmptyCell(cause)
    return first, rows


class _SharedStrings:
    """The shared-string table, each entry kept as the XML inside its <si> (what an inline
    string's <is> holds too), compressed in blocks so that a huge table is not in memory whole."""

    BLOCK = 2048

    def __init__(self):
        self._blocks: list[bytes] = []
        self._pending: list[bytes] = []
        self._count = 0
        self._cache: OrderedDict[int, list[bytes]] = OrderedDict()

    @classmethod
    def read(cls, archive: zipfile.ZipFile) -> _SharedStrings:
        table = cls()
        with archive.open(_STRINGS_PART) as member:
            buffer = b""
            first = True
            while chunk := member.read(_CHUNK):
                buffer += chunk
                if first:
                    root = _ROOT.search(buffer)
                    if root is None:
                        continue
                    if root[1] != b"sst" or _PREFIX_FOR_MAIN.search(root[2]):
                        raise NotStreamable("prefixed or unusual shared strings")
                    first = False
                end = found = 0
                for m in _SI.finditer(buffer):
                    table._add(m[1] or b"")
                    end, found = m.end(), found + 1
                if buffer.count(b"<si", 0, end) != found:  # an <si> written otherwise (attributes)
                    raise NotStreamable("unusual shared strings")
                buffer = buffer[end:]
        table._flush()
        return table

    def _add(self, inner: bytes) -> None:
        self._pending.append(inner)
        self._count += 1
        if len(self._pending) == self.BLOCK:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._blocks.append(zlib.compress(b"\0".join(self._pending), 1))  # NUL never occurs in XML
            self._pending = []

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> bytes:
        block = self._cache.get(index // self.BLOCK)
        if block is None:
            block = zlib.decompress(self._blocks[index // self.BLOCK]).split(b"\0")
            self._cache[index // self.BLOCK] = block
            if len(self._cache) > 8:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index // self.BLOCK)
        return block[index % self.BLOCK]

    def inline(self, xml: bytes) -> bytes:
        """The slice with every shared-string cell turned into an inline-string cell."""

        def inline_cell(m: re.Match) -> bytes:
            index = int(m[3])
            if index >= self._count:
                raise NotStreamable("shared string index out of range")
            return b"<c" + (m[1] or b"") + b' t="inlineStr"' + m[2] + b"><is>" + self[index] + b"</is></c>"

        xml = _SHARED_CELL.sub(inline_cell, xml)
        if _SHARED_LEFT.search(xml):
            raise NotStreamable("a shared-string cell written otherwise")
        return xml

