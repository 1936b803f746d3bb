"""Cell names and what an empty cell really was.

A1 names ↔ (row, column) numbers, written once for the whole package. And why a cell that
python-calamine reads as '' is empty: really blank, a formula saved without its result
(written by a program, never opened in Excel/WPS), or an error value (`#REF!`, `#N/A`, …) —
the rule `empty_cause`, used for a sheet read whole (`empty_cell_causes`, from the sheet XML)
and for a streamed one (`xlsx_stream`, whose cells carry it as an `EmptyCell`). Pure.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import IO

from defusedxml import ElementTree as DefusedET

FORMULA_WITHOUT_VALUE = "formula"

MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ZIP_MAGIC = b"PK\x03\x04"


# -- A1 names ---------------------------------------------------------------------------------

def column_letters(c: int) -> str:
    """The letters of 0-based column `c`: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str | bytes) -> int:
    """The 1-based column of letters such as "AA" (or b"AA", as the XML has them): A → 1."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def cell_name(r: int, c: int) -> str:
    """A1-style name of 0-based (row, column)."""
    return f"{column_letters(c)}{r + 1}"


# -- why a cell read as '' is empty -----------------------------------------------------------

class EmptyCell(str):
    """'' as calamine reads a cell that has no value to show: a formula saved without its
    result, or an error value; `cause` is FORMULA_WITHOUT_VALUE or the error (`#REF!`, `#N/A`, …)."""

    cause: str

    def __new__(cls, cause: str) -> EmptyCell:
        cell = super().__new__(cls, "")
        cell.cause = cause
        return cell


def empty_cause(cell_type: str, value: str, formula: bool) -> str | None:
    """Why a cell of this type (its t= attribute, '' when none), saved value (the text of its
    <v>) and formula (whether it has an <f>) reads as '': the error value of an error cell,
    FORMULA_WITHOUT_VALUE for a formula saved without its result — a t="str" formula with no
    text has '' as its result — else None (the cell is really empty)."""
    if cell_type == "e" and value:
        return value
    if formula and not value and cell_type != "str":
        return FORMULA_WITHOUT_VALUE
    return None


def empty_cell_causes(data: bytes, sheet: str, cells: set[str]) -> dict[str, str]:
    """For cells calamine read as '' in an xlsx sheet: their `empty_cause`; cells that are
    really empty are left out. Streams the sheet XML and stops once every cell is found; {}
    for anything not an xlsx."""
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
    rid = next((s.get(f"{REL_NS}id") for s in workbook.iter(f"{MAIN_NS}sheet") if s.get("name") == sheet), None)
    rels = DefusedET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels.iter(f"{PKG_REL_NS}Relationship") if r.get("Id") == rid), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")


def _causes(fh: IO[bytes], cells: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    left = set(cells)
    for _, elem in DefusedET.iterparse(fh, events=("end",)):
        if elem.tag == f"{MAIN_NS}c":
            ref = elem.get("r")
            if ref in left:
                left.discard(ref)
                value = elem.find(f"{MAIN_NS}v")
                text = value.text if value is not None and value.text else ""
                cause = empty_cause(elem.get("t") or "", text, elem.find(f"{MAIN_NS}f") is not None)
                if cause:
                    found[ref] = cause
                if not left:
                    break
        elif elem.tag == f"{MAIN_NS}row":
            elem.clear()  # bounded memory on a long sheet
    return found
